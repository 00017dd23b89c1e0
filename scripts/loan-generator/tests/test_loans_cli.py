"""Every entry point validates its input; a failed run leaves no file that looks complete."""

from __future__ import annotations

from pathlib import Path

import pytest
from lg_helpers import run_generator

from loan_generator import generate_loans, write_csv


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--customers", "0"], "--customers must be between 1 and 141684"),
        (["--customers", "141685"], "--customers must be between 1 and 141684"),
        (["--customers", "ten"], "invalid int value"),
        (["--seed", "-1"], "--seed must be non-negative"),
        (["--defects", "0.7", "--manifest", "m.json"], "defect rate must be between 0 and 0.5"),
        (["--defects", "-0.1", "--manifest", "m.json"], "defect rate must be between 0 and 0.5"),
        (["--defects", "nan", "--manifest", "m.json"], "defect rate must be a number"),
        (["--defects", "0.01"], "--defects needs --manifest"),
    ],
)
def test_bad_arguments_fail_clearly_and_write_nothing(
    tmp_path: Path, arguments: list[str], message: str
) -> None:
    out = tmp_path / "loans.csv"
    result = run_generator("--out", str(out), *arguments)
    assert result.returncode != 0
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_out_is_required(tmp_path: Path) -> None:
    result = run_generator("--customers", "10")
    assert result.returncode == 2
    assert "--out" in result.stderr


def test_output_directory_is_created_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "dir" / "loans.csv"
    manifest = tmp_path / "nested" / "manifest.json"
    result = run_generator("--customers", "50", "--out", str(out), "--manifest", str(manifest))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["loans.csv"]
    assert sorted(p.name for p in manifest.parent.iterdir()) == ["dir", "manifest.json"]


def test_out_being_a_directory_is_an_error(tmp_path: Path) -> None:
    result = run_generator("--customers", "10", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "is a directory" in result.stderr


def test_profile_is_printed_after_writing(tmp_path: Path) -> None:
    out = tmp_path / "loans.csv"
    result = run_generator("--customers", "400", "--seed", "3", "--out", str(out), "--profile")
    assert result.returncode == 0, result.stderr
    data_rows = out.read_bytes().count(b"\n") - 1
    profile = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert int(profile["rows"]) == data_rows
    assert int(profile["customers"]) == 400
    expected_keys = {
        "loans_per_customer", "positive_rate", "loan_date_range", "same_day_pairs",
        "occupation_missing_share", "employment_sentinel_share", "loan_amount",
    }  # fmt: skip
    assert expected_keys <= set(profile)


def test_api_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        generate_loans(2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="seed"):
        generate_loans(10, -3)
    with pytest.raises(ValueError, match="defect rate"):
        write_csv(generate_loans(10, 1), tmp_path / "x.csv", defects_rate=0.9)
    assert list(tmp_path.iterdir()) == []
