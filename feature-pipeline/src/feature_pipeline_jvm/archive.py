"""`feature-pipeline-jvm build-class-archive`: a JVM class-data-sharing (AppCDS) archive.

A run loads ~18,500 JVM classes (Spark, Catalyst, Hadoop, Parquet, Jackson...). Parsing and
verifying them on every start costs a local run several CPU-seconds on a 2-core machine; a
dynamic CDS archive (JDK 13+) maps them pre-parsed instead. This tool runs the real
`feature-pipeline run` command once, in a child process, on a small sample file
(`sample_loans.csv`: accepted lines, a quarantined line and a duplicate, so every stage's code
is loaded) with `-XX:ArchiveClassesAtExit`; the JVM writes the archive when it exits.

The JVM validates the archive itself (JDK build, class path): a stale or foreign archive is
ignored with a warning on stderr and the run proceeds, only slower.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

from feature_pipeline_jvm.options import JvmSettings, archive_path

SAMPLE = "sample_loans.csv"
_DUMP_TIMEOUT_SECONDS = 300.0
# The sample has a third of a quarantine share and one positive in 48 loans: let it through.
_LENIENT_SETTINGS = {
    "FEATURE_PIPELINE_MAX_QUARANTINE_SHARE": "1",
    "FEATURE_PIPELINE_POSITIVE_RATE_MIN": "0",
    "FEATURE_PIPELINE_POSITIVE_RATE_MAX": "1",
}


def sample_text() -> str:
    return resources.files("feature_pipeline_jvm").joinpath(SAMPLE).read_text(encoding="utf-8")


def _last_loan_date(text: str) -> str:
    rows = csv.DictReader(text.splitlines())
    return max(row["loan_date"] for row in rows)


def _wait_for_process_group(leader: int, timeout: float) -> None:
    """The JVM writes the archive while it exits, after the Python process that started it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(leader, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(leader, signal.SIGKILL)
    raise RuntimeError(f"the JVM did not exit within {timeout:.0f} s of the sample run")


def _run_sample(workdir: Path, staged: Path) -> None:
    text = sample_text()
    source = workdir / SAMPLE
    source.write_text(text, encoding="utf-8")
    command = [
        sys.executable, "-m", "feature_pipeline", "run",
        "--input", str(source), "--output", str(workdir / "out"),
        "--online-store", f"sqlite:///{workdir / 'online.db'}",
        "--as-of", _last_loan_date(text),
    ]  # fmt: skip
    environment = {
        **os.environ,
        **_LENIENT_SETTINGS,
        "FEATURE_PIPELINE_SPARK_CLASS_DATA_SHARING": "false",
        "FEATURE_PIPELINE_SPARK_ARCHIVE_CLASSES_AT_EXIT": str(staged),
    }
    # Its own process group, so that the JVM it starts can be waited for after it exits.
    child = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    _, stderr = child.communicate(timeout=_DUMP_TIMEOUT_SECONDS)
    _wait_for_process_group(child.pid, _DUMP_TIMEOUT_SECONDS)
    if child.returncode != 0 or not staged.is_file() or staged.stat().st_size == 0:
        raise RuntimeError(
            f"building the class archive failed (exit {child.returncode}):\n{stderr[-2000:]}"
        )


def build(settings: JvmSettings, force: bool = False) -> Path:
    """Build (or keep) this machine's archive and return its path."""
    target = archive_path(settings)
    if target is None:
        raise RuntimeError("no java found (set JAVA_HOME or put java on PATH)")
    if target.is_file() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="class-archive-", dir=target.parent) as scratch:
        staged = Path(scratch) / target.name
        _run_sample(Path(scratch), staged)
        # Atomic: a concurrent run sees either no archive or a whole one.
        staged.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="feature-pipeline-jvm", description="Local JVM start-up tooling for feature-pipeline."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser(
        "build-class-archive",
        help="build this machine's class-data-sharing archive (once; runs start faster)",
    )
    build_parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    args = parser.parse_args(argv)
    try:
        path = build(JvmSettings(), force=args.force)
    except (RuntimeError, OSError) as error:  # no java, a failed dump, an unwritable cache dir
        print(f"class archive not built: {error}", file=sys.stderr)
        return 1
    print(f"{path} ({path.stat().st_size / 2**20:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
