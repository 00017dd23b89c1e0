from __future__ import annotations

from pathlib import Path

import pytest
from monitoring_factories import metadata_document, write_metadata


@pytest.fixture(scope="session")
def metadata_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_metadata(tmp_path_factory.mktemp("bundle") / "metadata.json", metadata_document())
