"""Builders for hand-written raw lines (the 24-column layout of docs/contracts/raw-loans.md)."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame, SparkSession

from feature_pipeline.schema import RAW_COLUMNS, RAW_HEADER

DEFAULTS: dict[str, str] = {
    "loan_id": "1000",
    "id": "5008804",
    "code_gender": "F",
    "flag_own_car": "N",
    "flag_own_realty": "Y",
    "cnt_children": "0",
    "amt_income_total": "162000.0",
    "name_income_type": "Working",
    "name_education_type": "Higher education",
    "name_family_status": "Married",
    "name_housing_type": "House / apartment",
    "days_birth": "-12000",
    "days_employed": "-2000",
    "flag_mobil": "1",
    "flag_work_phone": "0",
    "flag_phone": "0",
    "flag_email": "0",
    "occupation_type": "Laborers",
    "cnt_fam_members": "2.0",
    "status": "0",
    "birthday": "1988-12-19",
    "job_start_date": "2016-03-31",
    "loan_date": "2019-06-01",
    "loan_amount": "118.25",
}


def raw_line(**overrides: str) -> str:
    unknown = set(overrides) - set(RAW_COLUMNS)
    if unknown:
        raise KeyError(f"not raw columns: {sorted(unknown)}")
    values = {**DEFAULTS, **overrides}
    return ",".join(values[column] for column in RAW_COLUMNS)


def lines_frame(
    spark: SparkSession, lines: Sequence[str], header: bool = True, blocks: int = 1
) -> DataFrame:
    """Raw-line frame as the text reader would produce it, optionally cut into several blocks.

    Blocks are handed to Spark in reverse order so that nothing can rely on partition order.
    """
    all_lines = [RAW_HEADER, *lines] if header else list(lines)
    size = max(1, -(-len(all_lines) // blocks))
    rows = []
    for block_index in range(blocks):
        chunk = all_lines[block_index * size : (block_index + 1) * size]
        block_start = block_index * 1_000_000
        seq_base = (blocks - block_index) << 33
        rows.extend((block_start, seq_base + i, text) for i, text in enumerate(chunk))
    rows.reverse()
    return spark.createDataFrame(rows, "line_block long, line_seq long, value string")
