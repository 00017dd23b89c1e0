"""Which options the local driver JVM starts with: collector, JIT tiers, class-data sharing.

This only tunes a local run on a small machine (the CLI, `make run`, the benchmark, the tests,
the batch image). AWS Glue starts its own JVMs and never reads any of this. The class-data
sharing archive these options point at is built by `feature-pipeline-jvm build-class-archive`
(see archive.py); a missing or stale archive only costs start-up time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pyspark
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ARCHIVE_SUFFIX = ".jsa"
# A batch job on 2 cores: the parallel collector spends less CPU than G1's bookkeeping. JVM
# warnings go to stderr, never into the CLI's JSON on stdout.
_BASE_OPTIONS = ("-XX:+UseParallelGC", "-Xlog:disable", "-Xlog:all=warning:stderr")
# For a short job, C1-only JIT: C2 compilations cost more CPU than their faster code saves.
C1_ONLY = "-XX:TieredStopAtLevel=1"


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


class JvmSettings(BaseSettings):
    """Environment variables FEATURE_PIPELINE_SPARK_<NAME>, beside the Spark sizing ones."""

    model_config = SettingsConfigDict(env_prefix="FEATURE_PIPELINE_SPARK_", frozen=True)

    # Inputs at least this large run long enough for the optimising JIT compiler (C2) to pay
    # for itself; smaller ones run on C1 alone (the benchmark README has the figures).
    full_jit_from_bytes: int = Field(default=512 * 1024 * 1024, ge=0)
    class_data_sharing: bool = True
    class_archive_dir: Path = Field(default_factory=lambda: _cache_home() / "feature-pipeline")
    # Set by the archive builder for the one run that writes the archive.
    archive_classes_at_exit: Path | None = None


def java_executable() -> Path | None:
    """The `java` Spark's launcher will start: $JAVA_HOME/bin/java, else the one on PATH."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate is None or not candidate.exists():
        found = shutil.which("java")
        candidate = Path(found) if found else None
    return candidate.resolve() if candidate else None


def archive_path(settings: JvmSettings) -> Path | None:
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


def usable_archive(settings: JvmSettings) -> Path | None:
    """The archive to start the JVM with, if sharing is on and the archive has been built."""
    if not settings.class_data_sharing or _class_load_hooks_requested():
        return None
    path = archive_path(settings)
    return path if path is not None and path.is_file() and path.stat().st_size > 0 else None


def java_options(settings: JvmSettings, input_bytes: int | None = None) -> list[str]:
    """The driver JVM's options; `input_bytes` (when known) decides the JIT tiers."""
    options = list(_BASE_OPTIONS)
    if input_bytes is None or input_bytes < settings.full_jit_from_bytes:
        options.append(C1_ONLY)
    if settings.archive_classes_at_exit is not None:
        options.append(f"-XX:ArchiveClassesAtExit={settings.archive_classes_at_exit}")
    else:
        archive = usable_archive(settings)
        if archive is not None:
            options.append(f"-XX:SharedArchiveFile={archive}")
    return options
