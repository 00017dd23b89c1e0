"""Row-level data-quality rules: raw text lines -> typed rows with one boolean column per rule.

Every input line is kept: the header is marked, each data line is either accepted (no rule
violated) or rejected with the rules it breaks. All rules are evaluated in one projection over the
scan, plus one window for duplicate loan ids; nothing here triggers a Spark action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F  # noqa: N812 - the conventional PySpark alias

from feature_pipeline.config import MIN_LOAN_AMOUNT, DateWindow
from feature_pipeline.rules import Rule
from feature_pipeline.schema import RAW_COLUMN_COUNT, RAW_COLUMNS, RAW_DELIMITER, RAW_HEADER

# Raw line columns (produced by spark_io.read_raw_lines or built by hand in tests).
LINE_BLOCK = "line_block"  # byte offset of the file split the line was read from
LINE_SEQ = "line_seq"  # strictly increasing within a split, in file order
LINE_VALUE = "value"

IS_HEADER = "is_header"
REJECTED = "rejected"
RAW_LINE = "raw_line"  # kept only for rejected lines: the quarantine must lose nothing

_INTEGER_ID = r"^[0-9]{1,18}$"
_ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# A plain decimal number; "NaN", "Infinity" or hex would cast to a double but are not amounts.
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"


def rule_column(rule: Rule) -> str:
    return f"violates_{rule.value.lower()}"


RULE_COLUMNS: dict[Rule, str] = {rule: rule_column(rule) for rule in Rule}

TYPED_COLUMNS: tuple[str, ...] = (
    "id",
    "loan_id",
    "loan_date",
    "loan_amount",
    "status",
    "flag_own_car",
    "birthday",
    "job_start_date",
)


def _field(parts: Column, name: str) -> Column:
    return parts.getItem(RAW_COLUMNS.index(name))


def _parse_date(text: Column) -> Column:
    # The regex admits only the canonical YYYY-MM-DD shape; the plain cast (much faster than a
    # formatter) then rejects impossible calendar dates such as 02-30 by returning null.
    return F.when(text.rlike(_ISO_DATE), text.cast("date"))


def _flag(condition: Column) -> Column:
    return F.coalesce(condition, F.lit(False))


def validate(
    lines: DataFrame, window: DateWindow, min_loan_amount: float = MIN_LOAN_AMOUNT
) -> DataFrame:
    """Raw lines (line_block, line_seq, value) -> typed columns + header mark + one flag per rule.

    The work is laid out as successive projections, each computing every expensive expression
    (split, regex, date parse) exactly once; Spark does not collapse projections that would
    duplicate such expressions, and conditional branches would otherwise re-evaluate them.
    """
    fields = _split_fields(lines)
    typed = _rule_flags(_parse_fields(fields), window, min_loan_amount)
    with_duplicates = _flag_duplicates(typed)
    rejected = F.lit(False)
    for column in RULE_COLUMNS.values():
        rejected = rejected | F.col(column)
    return with_duplicates.withColumn(REJECTED, rejected).select(
        LINE_BLOCK,
        LINE_SEQ,
        IS_HEADER,
        REJECTED,
        *RULE_COLUMNS.values(),
        *TYPED_COLUMNS,
        F.when(F.col(REJECTED), F.col(LINE_VALUE)).alias(RAW_LINE),
    )


_USED_FIELDS = (
    "loan_id",
    "id",
    "flag_own_car",
    "status",
    "birthday",
    "job_start_date",
    "loan_date",
    "loan_amount",
)


def _split_fields(lines: DataFrame) -> DataFrame:
    """Header mark, well-formedness and the text of each field the rules read."""
    value = F.col(LINE_VALUE)
    # Any line spelling the header is set aside (never validated as data); the stats check that
    # there is exactly one and that it is the first line of the file. A header starts with "l",
    # "L" or a byte-order mark, all of which sort at or after "L" byte-wise, while a data line
    # starts with a digit: one byte comparison keeps the normalisation off the data lines
    # (a character-based prefix test counts the characters of every line).
    normalised = F.lower(F.regexp_replace(value, r"^\x{FEFF}|\s+$", ""))
    looks_like_header = value >= F.lit("L")
    split = lines.select(
        LINE_BLOCK,
        LINE_SEQ,
        LINE_VALUE,
        F.coalesce(looks_like_header & (normalised == RAW_HEADER), F.lit(False)).alias(IS_HEADER),
        F.split(value, RAW_DELIMITER, -1).alias("_parts"),
    )
    well_formed = ~F.col(IS_HEADER) & (F.size("_parts") == RAW_COLUMN_COUNT)
    return split.select(
        LINE_BLOCK,
        LINE_SEQ,
        LINE_VALUE,
        IS_HEADER,
        well_formed.alias("_well_formed"),
        *[
            F.when(well_formed, _field(F.col("_parts"), name)).alias(f"_{name}")
            for name in _USED_FIELDS
        ],
    )


def _parse_fields(fields: DataFrame) -> DataFrame:
    """Each field's text parsed once: ids, amount shape, dates."""
    return fields.select(
        "*",
        (F.col("_loan_id").rlike(_INTEGER_ID) & F.col("_id").rlike(_INTEGER_ID)).alias("_ids_ok"),
        F.col("_loan_amount").rlike(_DECIMAL).alias("_amount_ok"),
        _parse_date(F.col("_loan_date")).alias("_loan_date_d"),
        _parse_date(F.col("_birthday")).alias("_birthday_d"),
        _parse_date(F.col("_job_start_date")).alias("_job_start_d"),
    )


def _present_but_bad(text: str, parsed_date: str) -> Column:
    return (F.col(text) != "") & F.col(parsed_date).isNull()


def _rule_flags(parsed: DataFrame, window: DateWindow, min_loan_amount: float) -> DataFrame:
    """One boolean per row-level rule (duplicates aside), and the typed values."""
    amount = F.when(F.col("_amount_ok"), F.col("_loan_amount").cast("double"))
    well = F.col("_well_formed")
    loan_date = F.col("_loan_date_d")
    bad_date = (
        loan_date.isNull()
        | _present_but_bad("_birthday", "_birthday_d")
        | _present_but_bad("_job_start_date", "_job_start_d")
    )
    out_of_window = (loan_date < F.lit(window.earliest)) | (loan_date > F.lit(window.latest))
    status_ok = F.col("_status").isin("0", "1")
    car_ok = F.col("_flag_own_car").isin("Y", "N")
    return parsed.select(
        LINE_BLOCK,
        LINE_SEQ,
        LINE_VALUE,
        IS_HEADER,
        _flag(~F.col(IS_HEADER) & ~well).alias(RULE_COLUMNS[Rule.WRONG_COLUMN_COUNT]),
        _flag(well & ~F.col("_ids_ok")).alias(RULE_COLUMNS[Rule.MISSING_ID]),
        _flag(well & bad_date).alias(RULE_COLUMNS[Rule.BAD_DATE]),
        _flag(well & out_of_window).alias(RULE_COLUMNS[Rule.DATE_OUT_OF_WINDOW]),
        _flag(well & ~F.col("_amount_ok")).alias(RULE_COLUMNS[Rule.NON_NUMERIC_AMOUNT]),
        _flag(well & (amount < 0)).alias(RULE_COLUMNS[Rule.NEGATIVE_AMOUNT]),
        _flag(well & (amount >= 0) & (amount < F.lit(min_loan_amount))).alias(
            RULE_COLUMNS[Rule.AMOUNT_BELOW_MINIMUM]
        ),
        _flag(well & (F.col("_birthday_d") > loan_date)).alias(
            RULE_COLUMNS[Rule.BIRTHDAY_AFTER_LOAN_DATE]
        ),
        _flag(well & ~car_ok).alias(RULE_COLUMNS[Rule.BAD_FLAG_OWN_CAR]),
        _flag(well & ~status_ok).alias(RULE_COLUMNS[Rule.BAD_STATUS]),
        F.when(F.col("_ids_ok"), F.col("_id").cast("long")).alias("id"),
        F.when(F.col("_ids_ok"), F.col("_loan_id").cast("long")).alias("loan_id"),
        loan_date.alias("loan_date"),
        amount.alias("loan_amount"),
        F.when(status_ok, F.col("_status").cast("int")).alias("status"),
        F.when(F.col("_flag_own_car") == "Y", 1)
        .when(F.col("_flag_own_car") == "N", 0)
        .alias("flag_own_car"),
        F.col("_birthday_d").alias("birthday"),
        F.col("_job_start_d").alias("job_start_date"),
    )


def _flag_duplicates(typed: DataFrame) -> DataFrame:
    """DUPLICATE_LOAN_ID: a line that breaks no other rule, after such a line with its loan_id.

    So the first *valid* copy of a loan_id is kept, wherever it is; malformed copies are
    quarantined for what is wrong with them (not as duplicates), and a loan_id whose copies are
    all malformed keeps none. Lines whose loan_id cannot be read take no part. The line text is
    carried through the window's shuffle only for lines already rejected (shuffling every line's
    text was the window's main cost); a line rejected only as a duplicate gets its text back in
    quarantine_rows.
    """
    otherwise_rejected = F.greatest(
        *[F.col(c) for r, c in RULE_COLUMNS.items() if r != Rule.DUPLICATE_LOAN_ID]
    )
    typed = typed.withColumn("_otherwise_rejected", otherwise_rejected).withColumn(
        LINE_VALUE, F.when(F.col("_otherwise_rejected"), F.col(LINE_VALUE))
    )
    file_order = Window.partitionBy("loan_id", "_otherwise_rejected").orderBy(LINE_BLOCK, LINE_SEQ)
    duplicate = (
        F.col("loan_id").isNotNull()
        & ~F.col("_otherwise_rejected")
        & (F.row_number().over(file_order) > 1)
    )
    return typed.withColumn(RULE_COLUMNS[Rule.DUPLICATE_LOAN_ID], duplicate).drop(
        "_otherwise_rejected"
    )


def accepted_loans(validated: DataFrame) -> DataFrame:
    """The typed rows that broke no rule (header excluded)."""
    return validated.filter(~F.col(IS_HEADER) & ~F.col(REJECTED)).select(*TYPED_COLUMNS)


def quality_stats_by_block(validated: DataFrame) -> DataFrame:
    """One aggregation gives every count the report and the expectations need, per file split.

    Per-split row counts and first sequence numbers also turn (line_block, line_seq) into real
    line numbers without a second pass over the file.
    """
    accepted = ~F.col(IS_HEADER) & ~F.col(REJECTED)

    def count_if(condition: Column) -> Column:
        return F.sum(F.when(condition, 1).otherwise(0)).cast("long")

    return validated.groupBy(LINE_BLOCK).agg(
        F.count(F.lit(1)).alias("lines"),
        F.min(LINE_SEQ).alias("first_seq"),
        count_if(F.col(IS_HEADER)).alias("header_lines"),
        F.min(F.when(F.col(IS_HEADER), F.col(LINE_SEQ))).alias("first_header_seq"),
        count_if(~F.col(IS_HEADER) & F.col(REJECTED)).alias("rows_quarantined"),
        count_if(accepted).alias("rows_accepted"),
        count_if(accepted & (F.col("status") == 1)).alias("accepted_positives"),
        count_if(accepted & F.col("birthday").isNull()).alias("accepted_missing_birthday"),
        count_if(accepted & F.col("job_start_date").isNull()).alias("accepted_missing_job_start"),
        count_if(accepted & (F.col("job_start_date") > F.col("loan_date"))).alias(
            "accepted_job_start_after_loan"
        ),
        *[count_if(F.col(column)).alias(column) for column in RULE_COLUMNS.values()],
    )


@dataclass(frozen=True)
class QualityCounts:
    """Totals over the whole file, from quality_stats_by_block rows."""

    header_lines: int
    header_is_first_line: bool
    rows_in: int
    rows_accepted: int
    rows_quarantined: int
    accepted_positives: int
    accepted_missing_birthday: int
    accepted_missing_job_start: int
    accepted_job_start_after_loan: int
    by_rule: dict[str, int]
    # line_block -> (line number of the block's first line minus one, block's first line_seq)
    block_offsets: dict[int, tuple[int, int]] = field(default_factory=dict)


def summarise(block_rows: Iterable[Mapping[str, Any]]) -> QualityCounts:
    rows = sorted(block_rows, key=lambda row: row[LINE_BLOCK])
    offsets: dict[int, tuple[int, int]] = {}
    lines_before = 0
    for row in rows:
        offsets[int(row[LINE_BLOCK])] = (lines_before, int(row["first_seq"]))
        lines_before += int(row["lines"])

    def total(name: str) -> int:
        return sum(int(row[name]) for row in rows)

    header_lines = total("header_lines")
    first_block = rows[0] if rows else None
    return QualityCounts(
        header_lines=header_lines,
        header_is_first_line=first_block is not None
        and first_block["first_header_seq"] is not None
        and first_block["first_header_seq"] == first_block["first_seq"],
        rows_in=lines_before - header_lines,
        rows_accepted=total("rows_accepted"),
        rows_quarantined=total("rows_quarantined"),
        accepted_positives=total("accepted_positives"),
        accepted_missing_birthday=total("accepted_missing_birthday"),
        accepted_missing_job_start=total("accepted_missing_job_start"),
        accepted_job_start_after_loan=total("accepted_job_start_after_loan"),
        by_rule={rule.value: total(column) for rule, column in RULE_COLUMNS.items()},
        block_offsets=offsets,
    )


def quarantine_rows(
    validated: DataFrame,
    block_offsets: Mapping[int, tuple[int, int]],
    lines: DataFrame | None = None,
) -> DataFrame:
    """Rejected lines with their 1-based line number in the file (header = line 1) and reasons.

    Lines rejected only as duplicates carry no text in `validated`; pass the raw `lines` (a
    rescan of the same file) when there are any, and their text is joined back.
    """
    offset_of = F.create_map(
        *[
            item
            for block, (before, _) in block_offsets.items()
            for item in (F.lit(block), F.lit(before))
        ]
    )
    first_seq_of = F.create_map(
        *[
            item
            for block, (_, first) in block_offsets.items()
            for item in (F.lit(block), F.lit(first))
        ]
    )
    line_number = (
        offset_of[F.col(LINE_BLOCK)] + (F.col(LINE_SEQ) - first_seq_of[F.col(LINE_BLOCK)]) + 1
    )
    reasons = F.filter(
        F.array(
            *[F.when(F.col(column), F.lit(rule.value)) for rule, column in RULE_COLUMNS.items()]
        ),
        lambda reason: reason.isNotNull(),
    )
    rejected = validated.filter(~F.col(IS_HEADER) & F.col(REJECTED))
    raw_line = F.col(RAW_LINE)
    if lines is not None:
        rejected = lines.join(F.broadcast(rejected), [LINE_BLOCK, LINE_SEQ], "right")
        raw_line = F.coalesce(F.col(RAW_LINE), F.col(LINE_VALUE))
    return rejected.select(
        line_number.cast("long").alias("line_number"),
        reasons.alias("reasons"),
        raw_line.alias("raw_line"),
    )
