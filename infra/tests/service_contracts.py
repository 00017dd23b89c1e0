"""What each deployed component reads, taken from its code as text (ast), never by importing it.

The infra suite must not import the service packages (each is its own repository in spirit), so
this module reads their source files:

- pydantic-settings classes: each field is an environment variable named
  ``<env_prefix><FIELD>`` (upper case); string literals that look like environment variable
  names (os.environ keys, validation aliases) count as read too;
- feature-pipeline/glue/job.py: the Glue arguments it resolves (its REQUIRED / OPTIONAL tuples
  and ``--name`` literals) and, when it maps them, every QualitySettings field;
- the S3 keys the feature pipeline builds from its output prefix (f-strings that start from a
  ``...prefix`` value), rendered with a sample prefix, so a key outside the prefix is seen;
- risk-monitoring's Lambda handler: its event keys (``_setting(event, "key")``), each of which
  may also come from ``MONITOR_<KEY>``;
- ci/buildspecs/*.yml: the ``$NAME`` variables a buildspec uses.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from .conftest import CI_DIR, REPO

ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
ARG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Source:
    """The code of one component: where it lives (for messages) and its Python files."""

    name: str
    files: tuple[Path, ...]

    @property
    def trees(self) -> list[tuple[Path, ast.Module]]:
        return [(path, ast.parse(path.read_text(), filename=str(path))) for path in self.files]


def python_files(*roots: Path) -> tuple[Path, ...]:
    found: list[Path] = []
    for root in roots:
        found.extend([root] if root.is_file() else sorted(root.rglob("*.py")))
    return tuple(found)


def _settings_prefix(cls: ast.ClassDef) -> str | None:
    """env_prefix of a pydantic BaseSettings class (None when the class is not one)."""
    bases = {ast.unparse(b) for b in cls.bases}
    if not any(b.endswith("BaseSettings") for b in bases):
        return None
    for node in cls.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "model_config" for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for keyword in node.value.keywords:
                if keyword.arg == "env_prefix" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return ""


def settings_fields(tree: ast.Module) -> dict[str, list[str]]:
    """Class name -> field names of every pydantic BaseSettings class in a module."""
    classes: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and _settings_prefix(node) is not None:
            classes[node.name] = [
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and item.target.id != "model_config"
            ]
    return classes


def environment_reads(source: Source) -> set[str]:
    """Every environment variable the code can read: settings fields and name-like literals."""
    names: set[str] = set()
    for _, tree in source.trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                prefix = _settings_prefix(node)
                if prefix is not None:
                    names.update(
                        f"{prefix}{item.target.id}".upper()
                        for item in node.body
                        if isinstance(item, ast.AnnAssign)
                        and isinstance(item.target, ast.Name)
                        and item.target.id != "model_config"
                    )
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and ENV_NAME.match(node.value)
            ):
                names.add(node.value)
        names.update(_prefixed_setting_keys(tree))
    return names


def _prefixed_setting_keys(tree: ast.Module) -> set[str]:
    """Keys read through a helper like risk_monitoring's `_setting(event, "logs")`, which falls
    back to f"MONITOR_{key.upper()}": returns the environment names (MONITOR_LOGS, ...)."""
    found: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        prefixes = [
            str(ast.literal_eval(node.values[0]))
            for node in ast.walk(function)
            if isinstance(node, ast.JoinedStr)
            and len(node.values) == 2
            and isinstance(node.values[0], ast.Constant)
            and isinstance(node.values[1], ast.FormattedValue)
            and ast.unparse(node.values[1].value).endswith(".upper()")
        ]
        if not prefixes:
            continue
        for key in event_keys(tree, function.name):
            found.update(f"{prefix}{key.upper()}" for prefix in prefixes)
    return found


def event_keys(tree: ast.Module, helper: str = "_setting") -> set[str]:
    """Literal keys passed as the last argument of calls to `helper` (the handler's event keys)."""
    return {
        str(node.args[-1].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == helper
        and node.args
        and isinstance(node.args[-1], ast.Constant)
        and isinstance(node.args[-1].value, str)
    }


def buildspec_variables(path: Path) -> set[str]:
    """$NAME / ${NAME...} references of a buildspec (what it reads from its environment)."""
    return set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", path.read_text()))


# -- the feature pipeline's Glue entry ----------------------------------------------------------


@dataclass(frozen=True)
class GlueEntry:
    required: frozenset[str]
    accepted: frozenset[str]
    quality_fields: frozenset[str]
    maps_quality_settings: bool


def _module_tuple(tree: ast.Module, name: str) -> list[str]:
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in node.targets)
            and isinstance(node.value, (ast.Tuple, ast.List))
        ):
            return [str(e.value) for e in node.value.elts if isinstance(e, ast.Constant)]
    return []


def glue_entry(job: Path, config: Path) -> GlueEntry:
    tree = ast.parse(job.read_text(), filename=str(job))
    required = set(_module_tuple(tree, "REQUIRED"))
    if not required:
        raise AssertionError(f"{job}: no REQUIRED tuple of Glue arguments found")
    accepted = set(required) | set(_module_tuple(tree, "OPTIONAL"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("--")
            and ARG_NAME.match(node.value[2:])
        ):
            accepted.add(node.value[2:])
    quality = settings_fields(ast.parse(config.read_text(), filename=str(config))).get(
        "QualitySettings"
    )
    if quality is None:
        raise AssertionError(f"{config}: no QualitySettings class found")
    text = job.read_text()
    # The entry maps every QualitySettings field only if it walks the model's fields.
    maps_quality = "QualitySettings" in text and "model_fields" in text
    return GlueEntry(
        required=frozenset(required),
        accepted=frozenset(accepted),
        quality_fields=frozenset(quality),
        maps_quality_settings=maps_quality,
    )


@dataclass(frozen=True)
class KeyTemplate:
    """An S3 key the code builds from its output prefix, rendered with a sample prefix."""

    key: str
    where: str


def keys_built_from_prefix(files: tuple[Path, ...], prefix: str) -> list[KeyTemplate]:
    """Render every f-string whose first part is a `...prefix...` value with `prefix` (e.g.
    "features/"): `.rstrip('/')` on it drops the slash, other values become "x". A rendered key
    that does not start with `prefix` is one the code writes beside the prefix, not under it."""
    rendered: list[KeyTemplate] = []
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.JoinedStr) and node.values):
                continue
            first = node.values[0]
            if not isinstance(first, ast.FormattedValue):
                continue
            source = ast.unparse(first.value)
            if "prefix" not in source.lower():
                continue
            parts = [
                prefix.rstrip("/") if re.search(r"\.rstrip\(['\"]/['\"]\)$", source) else prefix
            ]
            for value in node.values[1:]:
                parts.append(str(value.value) if isinstance(value, ast.Constant) else "x")
            key = "".join(parts)
            if key.startswith("/") or " " in key:
                continue  # a message or a path, not an object key
            shown = path.relative_to(REPO) if path.is_relative_to(REPO) else path
            rendered.append(KeyTemplate(key=key, where=f"{shown}:{node.lineno}"))
    return rendered


# -- the components ---------------------------------------------------------------------------

FEATURE_PIPELINE = REPO / "feature-pipeline"
GLUE_JOB = FEATURE_PIPELINE / "glue/job.py"
INFERENCE = Source("inference-service", python_files(REPO / "inference-service/src"))
MONITORING = Source("risk-monitoring", python_files(REPO / "risk-monitoring/src"))
TRAINING = Source("model-training", python_files(REPO / "model-training/src"))
QUALITY_CONFIG = FEATURE_PIPELINE / "src/feature_pipeline/config.py"
PIPELINE_SOURCES = python_files(FEATURE_PIPELINE / "src", GLUE_JOB)
TRAIN_BUILDSPEC = CI_DIR / "buildspecs/train.yml"
DB_BOOTSTRAP_BUILDSPEC = CI_DIR / "buildspecs/db-bootstrap.yml"
MONITORING_HANDLER = REPO / "risk-monitoring/src/risk_monitoring/lambda_handler.py"


@dataclass
class CodeFacts:
    """Everything the wiring checks need from the code, gathered once."""

    inference_env: set[str] = field(default_factory=set)
    monitoring_env: set[str] = field(default_factory=set)
    monitoring_event_keys: set[str] = field(default_factory=set)
    training_env: set[str] = field(default_factory=set)
    train_buildspec_env: set[str] = field(default_factory=set)
    db_bootstrap_buildspec_env: set[str] = field(default_factory=set)
    glue: GlueEntry | None = None
    pipeline_keys: list[KeyTemplate] = field(default_factory=list)


def read_code(features_prefix: str = "features/") -> CodeFacts:
    return CodeFacts(
        inference_env=environment_reads(INFERENCE),
        monitoring_env=environment_reads(MONITORING),
        monitoring_event_keys=event_keys(ast.parse(MONITORING_HANDLER.read_text())),
        training_env=environment_reads(TRAINING),
        train_buildspec_env=buildspec_variables(TRAIN_BUILDSPEC),
        db_bootstrap_buildspec_env=buildspec_variables(DB_BOOTSTRAP_BUILDSPEC),
        glue=glue_entry(GLUE_JOB, QUALITY_CONFIG),
        pipeline_keys=keys_built_from_prefix(PIPELINE_SOURCES, features_prefix),
    )
