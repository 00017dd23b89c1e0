"""Column layout of the raw loans file and of every output.

Contracts: docs/contracts/raw-loans.md, features.md and online-store.md.
"""

from __future__ import annotations

from typing import Final

RAW_COLUMNS: Final[tuple[str, ...]] = (
    "loan_id",
    "id",
    "code_gender",
    "flag_own_car",
    "flag_own_realty",
    "cnt_children",
    "amt_income_total",
    "name_income_type",
    "name_education_type",
    "name_family_status",
    "name_housing_type",
    "days_birth",
    "days_employed",
    "flag_mobil",
    "flag_work_phone",
    "flag_phone",
    "flag_email",
    "occupation_type",
    "cnt_fam_members",
    "status",
    "birthday",
    "job_start_date",
    "loan_date",
    "loan_amount",
)
RAW_HEADER: Final[str] = ",".join(RAW_COLUMNS)
RAW_COLUMN_COUNT: Final[int] = len(RAW_COLUMNS)
RAW_DELIMITER: Final[str] = ","

# Model features, in the order every service uses (contract 4).
MODEL_FEATURES: Final[tuple[str, ...]] = (
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
)
LABEL: Final[str] = "status"

TRAINING_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    "loan_id",
    "loan_date",
    *MODEL_FEATURES,
    LABEL,
)

ONLINE_TABLE: Final[str] = "customer_features"
ONLINE_COLUMNS: Final[tuple[str, ...]] = (
    "id",
    *MODEL_FEATURES,
    "as_of",
    "last_loan_date",
    "run_id",
)

DAYS_PER_YEAR: Final[int] = 365
