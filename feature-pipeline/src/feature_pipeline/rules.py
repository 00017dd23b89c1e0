"""Row-level data-quality rule codes (the same codes as the loan generator's defect manifest)."""

from __future__ import annotations

from enum import StrEnum


class Rule(StrEnum):
    """Why a raw row was quarantined. A row may violate several rules at once."""

    WRONG_COLUMN_COUNT = "WRONG_COLUMN_COUNT"
    MISSING_ID = "MISSING_ID"
    BAD_DATE = "BAD_DATE"
    DATE_OUT_OF_WINDOW = "DATE_OUT_OF_WINDOW"
    NEGATIVE_AMOUNT = "NEGATIVE_AMOUNT"
    AMOUNT_BELOW_MINIMUM = "AMOUNT_BELOW_MINIMUM"
    BIRTHDAY_AFTER_LOAN_DATE = "BIRTHDAY_AFTER_LOAN_DATE"
    NON_NUMERIC_AMOUNT = "NON_NUMERIC_AMOUNT"
    BAD_FLAG_OWN_CAR = "BAD_FLAG_OWN_CAR"
    BAD_STATUS = "BAD_STATUS"
    DUPLICATE_LOAN_ID = "DUPLICATE_LOAN_ID"


RULE_DESCRIPTIONS: dict[Rule, str] = {
    Rule.WRONG_COLUMN_COUNT: "line does not split into exactly 24 comma-separated fields",
    Rule.MISSING_ID: "id or loan_id is empty or not a non-negative integer",
    Rule.BAD_DATE: (
        "loan_date missing, or loan_date / birthday / job_start_date present but not a valid "
        "YYYY-MM-DD calendar date"
    ),
    Rule.DATE_OUT_OF_WINDOW: "loan_date outside the configured plausible window",
    Rule.NEGATIVE_AMOUNT: "loan_amount is a number below zero",
    Rule.AMOUNT_BELOW_MINIMUM: (
        "loan_amount is at least zero but below the configured minimum loan (min_loan_amount)"
    ),
    Rule.BIRTHDAY_AFTER_LOAN_DATE: "birthday is later than loan_date (the age would be negative)",
    Rule.NON_NUMERIC_AMOUNT: "loan_amount is empty or not a finite decimal number",
    Rule.BAD_FLAG_OWN_CAR: "flag_own_car is not exactly Y or N",
    Rule.BAD_STATUS: "status is not exactly 0 or 1",
    Rule.DUPLICATE_LOAN_ID: (
        "loan_id already seen on an earlier line (the first occurrence in file order is kept)"
    ),
}
