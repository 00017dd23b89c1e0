"""The layout and fixed domains of the real loans file (docs/contracts/raw-loans.md)."""

from __future__ import annotations

import datetime as dt

COLUMNS: tuple[str, ...] = (
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
COLUMN_INDEX: dict[str, int] = {name: i for i, name in enumerate(COLUMNS)}

# days_birth / days_employed count days relative to this extraction date.
EXTRACTION_DATE = dt.date(2021, 9, 17)
# days_employed value for pensioners / not employed; job_start_date becomes 3021-09-18.
EMPLOYMENT_SENTINEL_DAYS = 365_243

# Loan dates: 730 distinct dates 2019-01-01..2020-12-30.
LOAN_WINDOW_START = dt.date(2019, 1, 1)
LOAN_WINDOW_DAYS = 730
LOAN_WINDOW_END = LOAN_WINDOW_START + dt.timedelta(days=LOAN_WINDOW_DAYS - 1)

FIRST_LOAN_ID = 1000
CUSTOMER_ID_MIN = 5_008_804
CUSTOMER_ID_MAX = 5_150_487

MIN_LOAN_AMOUNT = 100.0

INCOME_TYPES: tuple[tuple[str, float], ...] = (
    ("Working", 0.5158),
    ("Commercial associate", 0.2341),
    ("Pensioner", 0.1683),
    ("State servant", 0.0815),
    ("Student", 0.0003),
)
PENSIONER = "Pensioner"

EDUCATION_TYPES: tuple[tuple[str, float], ...] = (
    ("Secondary / secondary special", 0.6782),
    ("Higher education", 0.2700),
    ("Incomplete higher", 0.0387),
    ("Lower secondary", 0.0103),
    ("Academic degree", 0.0009),
)

FAMILY_STATUSES: tuple[tuple[str, float], ...] = (
    ("Married", 0.6870),
    ("Single / not married", 0.1323),
    ("Civil marriage", 0.0800),
    ("Separated", 0.0584),
    ("Widow", 0.0423),
)
PARTNERED_FAMILY_STATUSES = frozenset({"Married", "Civil marriage"})

HOUSING_TYPES: tuple[tuple[str, float], ...] = (
    ("House / apartment", 0.8933),
    ("With parents", 0.0484),
    ("Municipal apartment", 0.0315),
    ("Rented apartment", 0.0158),
    ("Office apartment", 0.0071),
    ("Co-op apartment", 0.0039),
)

# Shares among customers whose occupation is filled in.
OCCUPATION_TYPES: tuple[tuple[str, float], ...] = (
    ("Laborers", 0.2590),
    ("Core staff", 0.1420),
    ("Sales staff", 0.1350),
    ("Managers", 0.1170),
    ("Drivers", 0.0870),
    ("High skill tech staff", 0.0580),
    ("Accountants", 0.0520),
    ("Medicine staff", 0.0460),
    ("Cooking staff", 0.0270),
    ("Security staff", 0.0260),
    ("Cleaning staff", 0.0220),
    ("Private service staff", 0.0120),
    ("Low-skill Laborers", 0.0070),
    ("Secretaries", 0.0070),
    ("Waiters/barmen staff", 0.0060),
    ("Realty agents", 0.0030),
    ("HR staff", 0.0030),
    ("IT staff", 0.0030),
)

# cnt_children: mostly 0..2, a thin tail up to the real maximum of 19.
CHILDREN_COUNTS: tuple[tuple[int, float], ...] = (
    (0, 0.6898),
    (1, 0.2035),
    (2, 0.0915),
    (3, 0.0118),
    (4, 0.0020),
    (5, 0.0008),
    (7, 0.00008),
    (14, 0.00006),
    (19, 0.00003),
)
