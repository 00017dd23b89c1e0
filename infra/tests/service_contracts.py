"""What each deployed component reads, taken from its code as text (ast), never by importing it.

The infra suite must not import the service packages (each is its own repository in spirit), so
this module reads their source files:

- pydantic-settings classes: each field is an environment variable named
  ``<env_prefix><FIELD>`` (upper case); string literals that look like environment variable
  names (os.environ keys, validation aliases) count as read too;
- feature-pipeline/glue/job.py: the Glue arguments it resolves (its REQUIRED / RUN_OPTIONS /
  OPTIONAL tuples and ``--name`` literals) and, when it builds QualitySettings from arguments
  named after the model's fields, every QualitySettings field;
- the S3 keys the feature pipeline builds from its output prefix (f-strings that start from a
  ``...prefix`` value), rendered with a sample prefix, so a key outside the prefix is seen;
- risk-monitoring's Lambda handler: its event keys (``_setting(event, "key", ...)``,
  ``_required(event, "key")``, ``event.get("key")``), those of the helpers that fall back to
  ``MONITOR_<KEY>`` also as environment names, and the retired keys it refuses;
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


def _module_strings(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` constants (an env_prefix may name one)."""
    return {
        target.id: str(node.value.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _settings_prefix(cls: ast.ClassDef, constants: dict[str, str] | None = None) -> str | None:
    """env_prefix of a pydantic BaseSettings class (None when the class is not one); a prefix
    given as a module constant's name is resolved through `constants`."""
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
                if keyword.arg == "env_prefix" and isinstance(keyword.value, ast.Name):
                    if keyword.value.id not in (constants or {}):
                        raise AssertionError(f"env_prefix {keyword.value.id} is not a constant")
                    return (constants or {})[keyword.value.id]
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
        constants = _module_strings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                prefix = _settings_prefix(node, constants)
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
        names.update(_section_overrides(tree))
    return names


def _event_helpers(tree: ast.Module) -> dict[str, str]:
    """Module functions whose first parameter is `event`, each with the parameter that names the
    key it reads (its second one): `_setting(event, key, default)`, `_required(event, key)`."""
    helpers = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and len(node.args.args) >= 2:
            first, second = node.args.args[:2]
            if first.arg == "event":
                helpers[node.name] = second.arg
    return helpers


def _environment_fallbacks(tree: ast.Module, helpers: dict[str, str]) -> dict[str, str]:
    """Helper -> environment prefix for the helpers that fall back to f"<PREFIX>{key.upper()}",
    directly or by passing their key on to one that does (risk_monitoring's `_required`)."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    fallbacks: dict[str, str] = {}
    for name, key in helpers.items():
        for node in ast.walk(functions[name]):
            if (
                isinstance(node, ast.JoinedStr)
                and len(node.values) == 2
                and isinstance(node.values[0], ast.Constant)
                and isinstance(node.values[1], ast.FormattedValue)
                and ast.unparse(node.values[1].value) == f"{key}.upper()"
            ):
                fallbacks[name] = str(node.values[0].value)
    changed = True
    while changed:
        changed = False
        for name, key in helpers.items():
            if name in fallbacks:
                continue
            for node in ast.walk(functions[name]):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in fallbacks
                    and len(node.args) >= 2
                    and ast.unparse(node.args[1]) == key
                ):
                    fallbacks[name] = fallbacks[node.func.id]
                    changed = True
                    break
    return fallbacks


def _helper_reads(tree: ast.Module) -> list[tuple[str, str]]:
    """(helper, literal key) of every call `helper(event, "key", ...)` of an event helper."""
    helpers = _event_helpers(tree)
    return [
        (node.func.id, str(node.args[1].value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in helpers
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ]


def _section_overrides(tree: ast.Module) -> set[str]:
    """Names of model-training's section overrides, `MODEL_TRAINING_<SECTION>_<FIELD>`: a
    function that walks an `ENV_SECTIONS` tuple over a literal {section: model class} dict and
    builds f"{PREFIX}{section}_{field}"; every field of each model class is such a name."""
    constants = _module_strings(tree)
    sections = _module_tuple(tree, "ENV_SECTIONS")
    classes = {
        node.name: [
            item.target.id
            for item in node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        ]
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }
    names: set[str] = set()
    for function in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        if "ENV_SECTIONS" not in ast.unparse(function):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.JoinedStr) and isinstance(node.values[0], ast.FormattedValue):
                prefix = constants.get(ast.unparse(node.values[0].value))
            else:
                continue
            if prefix is None:
                continue
            for mapping in (n for n in ast.walk(function) if isinstance(n, ast.Dict)):
                for key, value in zip(mapping.keys, mapping.values, strict=True):
                    if not (isinstance(key, ast.Constant) and isinstance(value, ast.Name)):
                        continue
                    if key.value in sections:
                        names.update(
                            f"{prefix}{key.value}_{field}".upper()
                            for field in classes.get(value.id, [])
                        )
    return names


def _prefixed_setting_keys(tree: ast.Module) -> set[str]:
    """Keys read through a helper like risk_monitoring's `_setting(event, "logs")`, which falls
    back to f"MONITOR_{key.upper()}": returns the environment names (MONITOR_LOGS, ...)."""
    fallbacks = _environment_fallbacks(tree, _event_helpers(tree))
    return {
        f"{fallbacks[helper]}{key.upper()}"
        for helper, key in _helper_reads(tree)
        if helper in fallbacks
    }


def event_keys(tree: ast.Module) -> set[str]:
    """The keys a Lambda handler reads from its event: the literal key of every call of an event
    helper (`_setting(event, "logs_window", "all")`, `_required(event, "metadata")`) and every
    `event.get("key")` / `event["key"]`."""
    keys = {key for _, key in _helper_reads(tree)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and ast.unparse(node.func.value) == "event"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(str(node.args[0].value))
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "event"
            and isinstance(node.slice, ast.Constant)
        ):
            keys.add(str(node.slice.value))
    return keys


def retired_event_keys(tree: ast.Module, name: str = "_RETIRED_KEYS") -> set[str]:
    """Keys the handler refuses (a module-level dict literal of retired key -> way forward)."""
    for node in tree.body:
        if (
            isinstance(node, (ast.Assign, ast.AnnAssign))
            and any(
                isinstance(t, ast.Name) and t.id == name
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
            and isinstance(node.value, ast.Dict)
        ):
            return {str(k.value) for k in node.value.keys if isinstance(k, ast.Constant)}
    return set()


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


def _walks_quality_fields(job: ast.Module, config: ast.Module) -> bool:
    """Whether the Glue entry builds QualitySettings from arguments named after every field:
    it reads `QualitySettings.model_fields` itself, or calls a function of config.py that
    returns them (`quality_setting_names()`), and constructs QualitySettings."""
    returns_fields = {
        node.name
        for node in config.body
        if isinstance(node, ast.FunctionDef) and "QualitySettings.model_fields" in ast.unparse(node)
    }
    text = ast.unparse(job)
    reads_fields = "QualitySettings.model_fields" in text or any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in returns_fields
        for node in ast.walk(job)
    )
    builds = any(
        isinstance(node, ast.Call) and ast.unparse(node.func) == "QualitySettings"
        for node in ast.walk(job)
    )
    return reads_fields and builds


def glue_entry(job: Path, config: Path) -> GlueEntry:
    tree = ast.parse(job.read_text(), filename=str(job))
    required = set(_module_tuple(tree, "REQUIRED"))
    if not required:
        raise AssertionError(f"{job}: no REQUIRED tuple of Glue arguments found")
    accepted = set(required)
    for options in ("RUN_OPTIONS", "OPTIONAL"):
        accepted |= set(_module_tuple(tree, options))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.startswith("--")
            and ARG_NAME.match(node.value[2:])
        ):
            accepted.add(node.value[2:])
    config_tree = ast.parse(config.read_text(), filename=str(config))
    quality = settings_fields(config_tree).get("QualitySettings")
    if quality is None:
        raise AssertionError(f"{config}: no QualitySettings class found")
    return GlueEntry(
        required=frozenset(required),
        accepted=frozenset(accepted),
        quality_fields=frozenset(quality),
        maps_quality_settings=_walks_quality_fields(tree, config_tree),
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
    monitoring_retired_keys: set[str] = field(default_factory=set)
    training_env: set[str] = field(default_factory=set)
    train_buildspec_env: set[str] = field(default_factory=set)
    db_bootstrap_buildspec_env: set[str] = field(default_factory=set)
    glue: GlueEntry | None = None
    pipeline_keys: list[KeyTemplate] = field(default_factory=list)


def read_code(features_prefix: str = "features/") -> CodeFacts:
    handler = ast.parse(MONITORING_HANDLER.read_text(), filename=str(MONITORING_HANDLER))
    return CodeFacts(
        inference_env=environment_reads(INFERENCE),
        monitoring_env=environment_reads(MONITORING),
        monitoring_event_keys=event_keys(handler),
        monitoring_retired_keys=retired_event_keys(handler),
        training_env=environment_reads(TRAINING),
        train_buildspec_env=buildspec_variables(TRAIN_BUILDSPEC),
        db_bootstrap_buildspec_env=buildspec_variables(DB_BOOTSTRAP_BUILDSPEC),
        glue=glue_entry(GLUE_JOB, QUALITY_CONFIG),
        pipeline_keys=keys_built_from_prefix(PIPELINE_SOURCES, features_prefix),
    )
