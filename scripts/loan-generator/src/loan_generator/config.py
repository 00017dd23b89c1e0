"""Embedded defaults of the generator; every one of them can be overridden on the command line."""

from __future__ import annotations

from dataclasses import dataclass

GENERATOR_VERSION = "0.1.0"


@dataclass(frozen=True)
class GeneratorDefaults:
    # The real file has 36,457 customers; the default reproduces it at full size.
    customers: int = 36_457
    seed: int = 42
    # Real file: 11,575 positives out of 777,715 rows.
    positive_rate: float = 11_575 / 777_715
    # Upper bound for --defects: above this the "defects" would be the majority of the file.
    max_defect_rate: float = 0.5


DEFAULTS = GeneratorDefaults()
