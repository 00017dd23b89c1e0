"""Deterministic synthetic stand-in for the lender's loans file (see README.md).

The public names are imported lazily so that `generate-loans --help` and argument errors answer
without loading numpy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from loan_generator.config import GENERATOR_VERSION

if TYPE_CHECKING:
    from loan_generator.csv_writer import WriteReport as WriteReport
    from loan_generator.csv_writer import build_manifest as build_manifest
    from loan_generator.csv_writer import write_csv as write_csv
    from loan_generator.csv_writer import write_manifest as write_manifest
    from loan_generator.dataset import LoanDataset as LoanDataset
    from loan_generator.dataset import generate_loans as generate_loans
    from loan_generator.defects import DEFECT_KINDS as DEFECT_KINDS
    from loan_generator.profile import format_profile as format_profile
    from loan_generator.profile import profile_dataset as profile_dataset

_PUBLIC = {
    "DEFECT_KINDS": "loan_generator.defects",
    "LoanDataset": "loan_generator.dataset",
    "WriteReport": "loan_generator.csv_writer",
    "build_manifest": "loan_generator.csv_writer",
    "format_profile": "loan_generator.profile",
    "generate_loans": "loan_generator.dataset",
    "profile_dataset": "loan_generator.profile",
    "write_csv": "loan_generator.csv_writer",
    "write_manifest": "loan_generator.csv_writer",
}
__all__ = sorted(_PUBLIC)
__version__ = GENERATOR_VERSION


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'loan_generator' has no attribute {name!r}")
