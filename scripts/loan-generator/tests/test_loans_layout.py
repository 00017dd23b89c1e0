"""Shape, column order, format, domains and consistency rules of docs/contracts/raw-loans.md."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from lg_helpers import (
    COL,
    COLUMNS,
    CUSTOMER_COLUMNS,
    EXTRACTION_DATE,
    SENTINEL_DATE,
    SENTINEL_DAYS,
    SMALL_CUSTOMERS,
    WINDOW_END,
    WINDOW_START,
    GeneratedFile,
    parse_date,
)

INCOME_TYPES = {"Working", "Commercial associate", "Pensioner", "State servant", "Student"}
EDUCATION = {"Secondary / secondary special", "Higher education", "Incomplete higher",
             "Lower secondary", "Academic degree"}  # fmt: skip
FAMILY = {"Married", "Single / not married", "Civil marriage", "Separated", "Widow"}
HOUSING = {"House / apartment", "With parents", "Municipal apartment", "Rented apartment",
           "Office apartment", "Co-op apartment"}  # fmt: skip
INTEGER = re.compile(r"^-?\d+$")
ONE_DECIMAL = re.compile(r"^\d+\.0$")
AMOUNT = re.compile(r"^\d+\.\d+$")


def test_header_is_the_24_columns_in_file_order(small_file: GeneratedFile) -> None:
    assert small_file.header == COLUMNS
    assert len(COLUMNS) == 24


def test_every_row_has_24_fields_and_the_file_ends_with_a_newline(
    small_file: GeneratedFile,
) -> None:
    assert small_file.rows
    assert {len(row) for row in small_file.rows} == {24}
    raw = small_file.path.read_bytes()
    assert raw.endswith(b"\n")
    assert b"\r" not in raw
    assert b'"' not in raw  # no field needs quoting


def test_customer_count_and_ids(small_file: GeneratedFile) -> None:
    ids = {int(value) for value in small_file.column("id")}
    assert len(ids) == SMALL_CUSTOMERS
    assert min(ids) >= 5_008_804
    assert max(ids) <= 5_150_487
    assert max(ids) - min(ids) + 1 > len(ids)  # gaps


def test_loan_ids_are_unique_and_dense_from_1000(small_file: GeneratedFile) -> None:
    loan_ids = [int(value) for value in small_file.column("loan_id")]
    assert sorted(loan_ids) == list(range(1000, 1000 + len(loan_ids)))


def test_categorical_domains(small_file: GeneratedFile) -> None:
    assert set(small_file.column("code_gender")) == {"F", "M"}
    assert set(small_file.column("flag_own_car")) == {"N", "Y"}
    assert set(small_file.column("flag_own_realty")) == {"N", "Y"}
    assert set(small_file.column("name_income_type")) <= INCOME_TYPES
    assert set(small_file.column("name_education_type")) <= EDUCATION
    assert set(small_file.column("name_family_status")) == FAMILY
    assert set(small_file.column("name_housing_type")) <= HOUSING
    occupations = set(small_file.column("occupation_type")) - {""}
    assert 12 <= len(occupations) <= 18
    assert {"Laborers", "Core staff", "Sales staff", "Managers", "Drivers"} <= occupations
    for name in ("flag_work_phone", "flag_phone", "flag_email"):
        assert set(small_file.column(name)) == {"0", "1"}
    assert set(small_file.column("flag_mobil")) == {"1"}
    assert set(small_file.column("status")) == {"0", "1"}


def test_numeric_formats_and_ranges(small_file: GeneratedFile) -> None:
    for row in small_file.rows:
        assert INTEGER.match(row[COL["cnt_children"]])
        assert 0 <= int(row[COL["cnt_children"]]) <= 19
        assert ONE_DECIMAL.match(row[COL["amt_income_total"]])
        assert 27_000 <= float(row[COL["amt_income_total"]]) <= 1_575_000
        assert ONE_DECIMAL.match(row[COL["cnt_fam_members"]])
        assert 1 <= float(row[COL["cnt_fam_members"]]) <= 20
        assert -25_152 <= int(row[COL["days_birth"]]) <= -7_489
        employed = int(row[COL["days_employed"]])
        assert employed == SENTINEL_DAYS or -15_713 <= employed <= -1
        assert AMOUNT.match(row[COL["loan_amount"]])


def test_dates_follow_from_the_day_counts(small_file: GeneratedFile) -> None:
    for row in small_file.rows:
        birthday = parse_date(row[COL["birthday"]])
        assert birthday == EXTRACTION_DATE + dt.timedelta(days=int(row[COL["days_birth"]]))
        employed = int(row[COL["days_employed"]])
        if employed == SENTINEL_DAYS:
            assert row[COL["job_start_date"]] == SENTINEL_DATE
        else:
            start = parse_date(row[COL["job_start_date"]])
            assert start == EXTRACTION_DATE + dt.timedelta(days=employed)
            assert start is not None
            assert dt.date(1978, 9, 10) <= start <= dt.date(2021, 8, 31)


def test_loan_dates_cover_the_window_in_file_order(small_file: GeneratedFile) -> None:
    dates = [parse_date(value) for value in small_file.column("loan_date")]
    assert all(d is not None and WINDOW_START <= d <= WINDOW_END for d in dates)
    assert dates == sorted(dates)  # type: ignore[type-var]
    assert dates[0] == WINDOW_START
    assert dates[-1] == WINDOW_END
    assert len(set(dates)) >= 725  # 730 at full size; a 3,000-customer file nearly covers it


def test_rows_are_not_grouped_by_customer(small_file: GeneratedFile) -> None:
    first_hundred = small_file.column("id")[:100]
    assert len(set(first_hundred)) > 90
    ids = small_file.column("id")
    assert ids != sorted(ids)


def test_customer_attributes_are_constant_per_customer(small_file: GeneratedFile) -> None:
    seen: dict[str, tuple[str, ...]] = {}
    for row in small_file.rows:
        attributes = tuple(row[i] for i in CUSTOMER_COLUMNS)
        assert seen.setdefault(row[COL["id"]], attributes) == attributes


def test_amounts_are_distinct_and_at_least_100(small_file: GeneratedFile) -> None:
    amounts = small_file.column("loan_amount")
    assert len(set(amounts)) == len(amounts)
    assert len({float(a) for a in amounts}) == len(amounts)
    assert min(float(a) for a in amounts) >= 100.0


def test_loan_ids_are_not_chronological_within_customers(small_file: GeneratedFile) -> None:
    loans: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for row in small_file.rows:
        loans[row[COL["id"]]].append((row[COL["loan_date"]], int(row[COL["loan_id"]])))
    multi = [sorted(entries) for entries in loans.values() if len({d for d, _ in entries}) >= 3]
    out_of_order = sum(
        1 for entries in multi if [i for _, i in entries] != sorted(i for _, i in entries)
    )
    assert out_of_order / len(multi) > 0.9
