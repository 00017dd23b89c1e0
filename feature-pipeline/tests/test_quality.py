"""Row-level rules on hand-written lines: each rule, its boundaries, and the row balance."""

from __future__ import annotations

from datetime import date

from pyspark.sql import SparkSession

from feature_pipeline.config import DateWindow
from feature_pipeline.quality import (
    accepted_loans,
    quality_stats_by_block,
    quarantine_rows,
    summarise,
    validate,
)
from feature_pipeline.schema import RAW_HEADER
from tests.rows import lines_frame, raw_line

WINDOW = DateWindow(date(2018, 1, 1), date(2021, 12, 31))


def _reasons_by_line(
    spark: SparkSession, lines: list[str], blocks: int = 1
) -> dict[int, list[str]]:
    validated = validate(lines_frame(spark, lines, blocks=blocks), WINDOW)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    rows = quarantine_rows(validated, counts.block_offsets).collect()
    return {row["line_number"]: sorted(row["reasons"]) for row in rows}


# (overrides of one raw line, reasons expected); all cases run in one Spark job to keep it fast.
RULE_CASES: list[tuple[dict[str, str], list[str]]] = [
    ({"id": ""}, ["MISSING_ID"]),
    ({"loan_id": ""}, ["MISSING_ID"]),
    ({"id": "50088x4"}, ["MISSING_ID"]),
    ({"loan_date": "2020-02-30"}, ["BAD_DATE"]),
    ({"loan_date": "2019-02-29"}, ["BAD_DATE"]),
    ({"loan_date": "2020/01/05"}, ["BAD_DATE"]),
    ({"loan_date": "not-a-date"}, ["BAD_DATE"]),
    ({"loan_date": ""}, ["BAD_DATE"]),
    ({"birthday": "1980-13-01"}, ["BAD_DATE"]),
    ({"job_start_date": "2010-04-31"}, ["BAD_DATE"]),
    ({"loan_date": "2017-12-31"}, ["DATE_OUT_OF_WINDOW"]),
    ({"loan_date": "2022-01-01"}, ["DATE_OUT_OF_WINDOW"]),
    ({"loan_amount": "-118.25"}, ["NEGATIVE_AMOUNT"]),
    ({"loan_amount": "0"}, ["AMOUNT_BELOW_MINIMUM"]),
    ({"loan_amount": "99.99"}, ["AMOUNT_BELOW_MINIMUM"]),
    ({"birthday": "2019-06-02"}, ["BIRTHDAY_AFTER_LOAN_DATE"]),  # loan_date 2019-06-01
    (
        {"birthday": "2030-01-01", "loan_amount": "5"},
        ["AMOUNT_BELOW_MINIMUM", "BIRTHDAY_AFTER_LOAN_DATE"],
    ),
    ({"loan_amount": "abc"}, ["NON_NUMERIC_AMOUNT"]),
    ({"loan_amount": "NaN"}, ["NON_NUMERIC_AMOUNT"]),
    ({"loan_amount": "Infinity"}, ["NON_NUMERIC_AMOUNT"]),
    ({"loan_amount": "1.2.3"}, ["NON_NUMERIC_AMOUNT"]),
    ({"loan_amount": ""}, ["NON_NUMERIC_AMOUNT"]),
    ({"flag_own_car": "X"}, ["BAD_FLAG_OWN_CAR"]),
    ({"flag_own_car": "y"}, ["BAD_FLAG_OWN_CAR"]),
    ({"flag_own_car": ""}, ["BAD_FLAG_OWN_CAR"]),
    ({"status": "2"}, ["BAD_STATUS"]),
    ({"status": "0.5"}, ["BAD_STATUS"]),
    ({"status": ""}, ["BAD_STATUS"]),
    (
        {"id": "", "flag_own_car": "X", "status": "7"},
        ["BAD_FLAG_OWN_CAR", "BAD_STATUS", "MISSING_ID"],
    ),
    # Valid edge values: accepted.
    ({"job_start_date": "3021-09-18"}, []),  # the employment sentinel is a feature rule
    ({"birthday": ""}, []),  # unknown birthday -> null age, not a rejection
    ({"job_start_date": ""}, []),
    ({"loan_amount": "1e2"}, []),  # exactly the minimum
    ({"loan_amount": "100"}, []),
    ({"birthday": "2019-06-01"}, []),  # born on the loan date: age 0, odd but not impossible
    ({"loan_amount": "118.200000000000"}, []),
    ({"loan_date": "2018-01-01"}, []),
    ({"loan_date": "2021-12-31"}, []),
    ({"flag_own_car": "Y"}, []),
    ({"status": "1"}, []),
]


def test_each_rule_flags_exactly_its_violations(spark: SparkSession) -> None:
    lines = [
        raw_line(**{"loan_id": str(100 + number), **overrides})
        for number, (overrides, _) in enumerate(RULE_CASES)
    ]
    expected = {number + 2: reasons for number, (_, reasons) in enumerate(RULE_CASES) if reasons}
    assert _reasons_by_line(spark, lines, blocks=3) == expected


def test_wrong_column_counts_are_caught_and_reported_alone(spark: SparkSession) -> None:
    good = raw_line(loan_id="1")
    fields = raw_line(loan_id="2", status="9").split(",")
    lines = [
        good,
        ",".join(fields[:-1]),  # a field short (and a bad status that must not be reported)
        ",".join([*fields, "extra"]),
        ",".join(fields[:5]),
        "",
    ]
    assert _reasons_by_line(spark, lines) == {n: ["WRONG_COLUMN_COUNT"] for n in (3, 4, 5, 6)}


def test_duplicate_loan_id_keeps_the_first_line_in_file_order(spark: SparkSession) -> None:
    lines = [
        raw_line(loan_id="7", loan_amount="100.0"),
        raw_line(loan_id="8"),
        raw_line(loan_id="7", loan_amount="200.0"),
        raw_line(loan_id="9"),
        raw_line(loan_id="7", loan_amount="300.0"),
    ]
    # Cut into blocks handed to Spark out of order: file order must still decide.
    assert _reasons_by_line(spark, lines, blocks=3) == {
        4: ["DUPLICATE_LOAN_ID"],
        6: ["DUPLICATE_LOAN_ID"],
    }
    assert _kept_amounts(spark, lines, loan_id=7) == [100.0]


def _kept_amounts(spark: SparkSession, lines: list[str], loan_id: int) -> list[float]:
    validated = validate(lines_frame(spark, lines, blocks=3), WINDOW)
    kept = accepted_loans(validated).filter(f"loan_id = {loan_id}").collect()
    return [row["loan_amount"] for row in kept]


def test_the_first_valid_copy_wins_over_an_earlier_malformed_one(spark: SparkSession) -> None:
    lines = [
        raw_line(loan_id="7", status="5", loan_amount="100.0"),  # malformed: BAD_STATUS
        raw_line(loan_id="7", flag_own_car="X", loan_amount="150.0"),  # malformed too
        raw_line(loan_id="7", loan_amount="200.0"),  # the first valid copy: kept
        raw_line(loan_id="7", loan_amount="300.0"),  # a later valid copy: the duplicate
    ]
    assert _reasons_by_line(spark, lines, blocks=2) == {
        2: ["BAD_STATUS"],
        3: ["BAD_FLAG_OWN_CAR"],
        5: ["DUPLICATE_LOAN_ID"],
    }
    assert _kept_amounts(spark, lines, loan_id=7) == [200.0]


def test_a_loan_id_whose_copies_are_all_malformed_keeps_none(spark: SparkSession) -> None:
    lines = [
        raw_line(loan_id="7", status="5"),
        raw_line(loan_id="8"),
        raw_line(loan_id="7", loan_amount="-3"),
    ]
    assert _reasons_by_line(spark, lines) == {2: ["BAD_STATUS"], 4: ["NEGATIVE_AMOUNT"]}
    assert _kept_amounts(spark, lines, loan_id=7) == []


def test_the_minimum_loan_amount_is_a_setting(spark: SparkSession) -> None:
    lines = [raw_line(loan_id="1", loan_amount="40"), raw_line(loan_id="2", loan_amount="0")]
    validated = validate(lines_frame(spark, lines), WINDOW, min_loan_amount=25.0)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    assert (counts.rows_accepted, counts.by_rule["AMOUNT_BELOW_MINIMUM"]) == (1, 1)


def test_counts_balance_and_line_numbers_span_blocks(spark: SparkSession) -> None:
    lines = [raw_line(loan_id=str(i)) for i in range(1, 21)]
    lines[4] = raw_line(loan_id="5", flag_own_car="X")  # line 6
    lines[17] = raw_line(loan_id="18", loan_amount="-1")  # line 19
    validated = validate(lines_frame(spark, lines, blocks=4), WINDOW)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    assert counts.header_lines == 1
    assert (counts.rows_in, counts.rows_accepted, counts.rows_quarantined) == (20, 18, 2)
    assert counts.by_rule["BAD_FLAG_OWN_CAR"] == 1
    assert counts.by_rule["NEGATIVE_AMOUNT"] == 1
    assert sum(counts.by_rule.values()) == 2
    rows = quarantine_rows(validated, counts.block_offsets).collect()
    assert {row["line_number"]: row["raw_line"] for row in rows} == {6: lines[4], 19: lines[17]}


def test_typed_values_of_an_accepted_row(spark: SparkSession) -> None:
    line = raw_line(loan_id="42", id="5008805", flag_own_car="Y", status="1", loan_amount="123.456")
    (row,) = accepted_loans(validate(lines_frame(spark, [line]), WINDOW)).collect()
    assert row.asDict() == {
        "id": 5008805,
        "loan_id": 42,
        "loan_date": date(2019, 6, 1),
        "loan_amount": 123.456,
        "status": 1,
        "flag_own_car": 1,
        "birthday": date(1988, 12, 19),
        "job_start_date": date(2016, 3, 31),
    }


def test_a_repeated_header_is_counted_not_validated(spark: SparkSession) -> None:
    validated = validate(lines_frame(spark, [raw_line(), RAW_HEADER], header=True), WINDOW)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    assert (counts.header_lines, counts.header_is_first_line) == (2, True)
    assert (counts.rows_in, counts.rows_accepted, counts.rows_quarantined) == (1, 1, 0)


def test_a_file_without_header_has_no_header_line(spark: SparkSession) -> None:
    validated = validate(lines_frame(spark, [raw_line()], header=False), WINDOW)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    assert (counts.header_lines, counts.header_is_first_line) == (0, False)
    assert counts.rows_in == 1


def test_duplicate_lines_get_their_text_back_from_a_rescan(spark: SparkSession) -> None:
    lines = [raw_line(loan_id="7", loan_amount="100.0"), raw_line(loan_id="7", loan_amount="200.0")]
    frame = lines_frame(spark, lines, blocks=2)
    validated = validate(frame, WINDOW)
    counts = summarise(row.asDict() for row in quality_stats_by_block(validated).collect())
    # Without the rescan the duplicate's text is not carried (it stayed out of the shuffle)...
    (bare,) = quarantine_rows(validated, counts.block_offsets).collect()
    assert (bare["line_number"], bare["raw_line"]) == (3, None)
    # ...with it, the text comes back verbatim.
    (full,) = quarantine_rows(validated, counts.block_offsets, frame).collect()
    assert (full["line_number"], full["reasons"], full["raw_line"]) == (
        3,
        ["DUPLICATE_LOAN_ID"],
        lines[1],
    )


def test_header_spellings_are_recognised_and_lookalike_lines_are_not(spark: SparkSession) -> None:
    spellings = ["\ufeff" + RAW_HEADER, RAW_HEADER.upper() + "\r", RAW_HEADER.title() + "  "]
    for spelling in spellings:
        frame = lines_frame(spark, [spelling, raw_line()], header=False)
        counts = summarise(
            row.asDict() for row in quality_stats_by_block(validate(frame, WINDOW)).collect()
        )
        assert (counts.header_lines, counts.header_is_first_line, counts.rows_in) == (1, True, 1)
    lookalikes = [RAW_HEADER + ",extra", " " + RAW_HEADER, "loan_id", "Zebra," + raw_line()]
    frame = lines_frame(spark, lookalikes, header=True)
    counts = summarise(
        row.asDict() for row in quality_stats_by_block(validate(frame, WINDOW)).collect()
    )
    assert (counts.header_lines, counts.rows_in, counts.rows_quarantined) == (1, 4, 4)
