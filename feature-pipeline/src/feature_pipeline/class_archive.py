"""A JVM class-data-sharing (AppCDS) archive of the classes a pipeline run loads.

A run loads ~18,500 JVM classes (Spark, Catalyst, Hadoop, Parquet, Jackson...). Parsing and
verifying them on every start costs the local job several CPU-seconds on a 2-core machine; a
dynamic CDS archive (JDK 13+) maps them pre-parsed instead. The archive is built once per machine
by `feature-pipeline build-class-archive`: a child process runs the whole pipeline on a small
built-in sample with `-XX:ArchiveClassesAtExit`, and the JVM writes the archive when it exits.

The JVM validates the archive itself (JDK build, class path): a stale or foreign archive is
ignored with a warning on stderr and the run proceeds normally, only slower. Glue manages its own
JVM, so none of this applies there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pyspark

from feature_pipeline.config import SparkSettings
from feature_pipeline.schema import RAW_COLUMNS, RAW_HEADER

ARCHIVE_SUFFIX = ".jsa"
_SAMPLE_AS_OF = date(2020, 12, 31)
_DUMP_TIMEOUT_SECONDS = 300


def java_executable() -> Path | None:
    """The `java` Spark's launcher will start: $JAVA_HOME/bin/java, else the one on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate is None or not candidate.exists():
        found = shutil.which("java")
        candidate = Path(found) if found else None
    return candidate.resolve() if candidate else None


def archive_path(settings: SparkSettings) -> Path | None:
    """Where this JDK + Spark pair's archive lives; None when no java is found.

    The name changes with the JDK binary and the Spark jars, so an upgrade of either builds a
    new archive instead of tripping over the old one.
    """
    java = java_executable()
    if java is None:
        return None
    jars = Path(pyspark.__file__).resolve().parent / "jars"
    identity = hashlib.sha256()
    for part in (str(java), str(java.stat().st_mtime_ns), str(jars), pyspark.__version__):
        identity.update(part.encode() + b"\0")
    for jar in sorted(jars.glob("*.jar")):
        identity.update(jar.name.encode() + b"\0")
    name = f"spark-{pyspark.__version__}-{identity.hexdigest()[:16]}{ARCHIVE_SUFFIX}"
    return settings.class_archive_dir / name


def _class_load_hooks_requested() -> bool:
    # JDK 17.0.15 crashes (SIGSEGV in check_shared_class_file_load_hook) when a JVMTI class-load
    # hook such as Flight Recorder or a profiling agent meets a dynamic archive.
    options = " ".join(
        os.environ.get(name, "") for name in ("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS")
    )
    return "-agent" in options or "FlightRecording" in options


def usable_archive(settings: SparkSettings) -> Path | None:
    """The archive to start the JVM with, if sharing is on and the archive has been built."""
    if not settings.class_data_sharing or _class_load_hooks_requested():
        return None
    path = archive_path(settings)
    return path if path is not None and path.is_file() and path.stat().st_size > 0 else None


def sample_lines() -> list[str]:
    """A small valid raw file: 6 customers x 8 loans, one quarantined line, one duplicate.

    Enough to send every stage of a run through its code paths (quarantine and the duplicate
    rescan included), so the archive holds the classes a real run needs.
    """
    template = {
        "code_gender": "F",
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
        "birthday": "1988-12-19",
        "job_start_date": "2016-03-31",
    }
    lines = [RAW_HEADER]
    for customer in range(6):
        for loan in range(8):
            loan_id = customer * 8 + loan + 1
            values = {
                **template,
                "loan_id": str(loan_id),
                "id": str(5_008_800 + customer),
                "flag_own_car": "Y" if customer % 2 else "N",
                "status": "1" if loan_id == 20 else "0",
                "loan_date": f"2020-{loan + 1:02d}-{customer + 1:02d}",
                "loan_amount": f"{100 + 7.25 * loan_id:.2f}",
            }
            lines.append(",".join(values[column] for column in RAW_COLUMNS))
    lines.append(lines[-1].replace(",Y,", ",X,", 1))  # BAD_FLAG_OWN_CAR
    lines.append(lines[5])  # DUPLICATE_LOAN_ID
    return lines


def _run_sample(workdir: Path, settings: SparkSettings) -> None:
    """Runs the pipeline on the sample in this process (the child of build())."""
    from feature_pipeline.config import QualitySettings
    from feature_pipeline.pipeline import RunRequest, run
    from feature_pipeline.spark_session import build_session

    source = workdir / "sample.csv"
    source.write_text("\n".join(sample_lines()) + "\n")
    lenient = QualitySettings(
        max_quarantine_share=1.0, positive_rate_min=0.0, positive_rate_max=1.0
    )
    request = RunRequest(
        input_uri=str(source),
        output_uri=str(workdir / "out"),
        online_store_url=f"sqlite:///{workdir / 'online.db'}",
        as_of=_SAMPLE_AS_OF,
    )
    spark = build_session(settings)
    run(request, quality_settings=lenient, spark=spark)
    # The JVM writes the archive while it exits: close its stdin (PySpark's gateway exits on
    # EOF) and wait, so that build() finds the whole file when this process has ended.
    jvm_process = spark.sparkContext._gateway.proc  # type: ignore[union-attr]
    spark.stop()
    jvm_process.stdin.close()
    jvm_process.wait(timeout=_DUMP_TIMEOUT_SECONDS)


def build(settings: SparkSettings, force: bool = False) -> Path:
    """Build (or keep) this machine's archive and return its path."""
    target = archive_path(settings)
    if target is None:
        raise RuntimeError("no java found (set JAVA_HOME or put java on PATH)")
    if target.is_file() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="class-archive-", dir=target.parent) as scratch:
        staged = Path(scratch) / target.name
        environment = {
            **os.environ,
            "FEATURE_PIPELINE_SPARK_CLASS_DATA_SHARING": "false",
            "FEATURE_PIPELINE_SPARK_ARCHIVE_CLASSES_AT_EXIT": str(staged),
        }
        # A child process, because the JVM writes the archive only when it exits.
        completed = subprocess.run(
            [sys.executable, "-m", "feature_pipeline.class_archive", scratch],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0 or not staged.is_file() or staged.stat().st_size == 0:
            raise RuntimeError(
                f"building the class archive failed (exit {completed.returncode}):\n"
                f"{completed.stderr[-2000:]}"
            )
        # Atomic: a concurrent run sees either no archive or a whole one.
        staged.replace(target)
    return target


if __name__ == "__main__":
    _run_sample(Path(sys.argv[1]), SparkSettings())
