from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Make the helper module importable whatever pytest import mode the repository configures.
sys.path.insert(0, str(Path(__file__).parent))

from lg_helpers import (
    SEED,
    SIGNAL_CUSTOMERS,
    SMALL_CUSTOMERS,
    GeneratedFile,
    generate,
    read_csv,
)


@pytest.fixture(scope="session")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFile:
    return read_csv(generate(tmp_path_factory.mktemp("small"), SMALL_CUSTOMERS, SEED))


@pytest.fixture(scope="session")
def signal_file(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFile:
    return read_csv(generate(tmp_path_factory.mktemp("signal"), SIGNAL_CUSTOMERS, SEED + 1))
