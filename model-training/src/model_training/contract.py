"""The data contracts this service consumes and produces (docs/contracts/)."""

from __future__ import annotations

from typing import Final, Literal

# Model inputs, in this exact order everywhere (training, ONNX, serving).
FEATURES: Final[tuple[str, ...]] = (
    "nb_previous_loans",
    "avg_amount_loans_previous",
    "age",
    "years_on_the_job",
    "flag_own_car",
)
FEATURE_DTYPES: Final[dict[str, Literal["int", "float"]]] = {
    "nb_previous_loans": "int",
    "avg_amount_loans_previous": "float",
    "age": "int",
    "years_on_the_job": "int",
    "flag_own_car": "int",
}
# How drift is measured on each feature: quantile bins (numeric) or one bucket per value.
FEATURE_KINDS: Final[dict[str, Literal["numeric", "categorical"]]] = {
    "nb_previous_loans": "numeric",
    "avg_amount_loans_previous": "numeric",
    "age": "numeric",
    "years_on_the_job": "numeric",
    "flag_own_car": "categorical",
}
LABEL: Final = "status"
CUSTOMER_ID: Final = "id"
LOAN_ID: Final = "loan_id"
LOAN_DATE: Final = "loan_date"

# The feature pipeline's training set (docs/contracts/), in file order.
TRAINING_SET_COLUMNS: Final[tuple[str, ...]] = (
    CUSTOMER_ID,
    LOAN_ID,
    LOAN_DATE,
    *FEATURES,
    LABEL,
)

# The pipeline's lake layout (DESIGN C1): runs under run=<id>/, a pointer at the root.
LATEST_POINTER: Final = "_LATEST"
RUN_MANIFEST: Final = "_SUCCESS"
TRAINING_SET_DIR: Final = "training_set"
ONLINE_ROWS_DIR: Final = "online/parquet"

# Never model inputs: identifiers and protected / sensitive attributes (slicing only).
FORBIDDEN_INPUTS: Final[frozenset[str]] = frozenset(
    {
        CUSTOMER_ID,
        LOAN_ID,
        LOAN_DATE,
        LABEL,
        "code_gender",
        "name_income_type",
        "name_family_status",
        "cnt_children",
        "cnt_fam_members",
        "birthday",
        "days_birth",
    }
)

# Raw loans CSV columns joined by customer id for slice metrics only.
RAW_SLICE_COLUMNS: Final[dict[str, str]] = {
    "code_gender": "gender",
    "name_income_type": "income_type",
}

# Serving bundle (docs/contracts/serving-bundle.md).
BUNDLE_SCHEMA_VERSION: Final = 2
ONNX_INPUT_NAME: Final = "features"
ONNX_LABEL_OUTPUT: Final = "label"
ONNX_PROBABILITY_OUTPUT: Final = "probabilities"
