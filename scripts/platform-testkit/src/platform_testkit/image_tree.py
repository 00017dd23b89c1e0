"""A Dockerfile's file tree without Docker, booted in an interpreter that sees only that tree.

:func:`build_image_tree` reads the Dockerfile itself (``ARG``, ``ENV``, ``WORKDIR``, ``COPY``,
``RUN pip install``, ``ENTRYPOINT``, ``CMD``) and assembles under a root directory what its build
would put in the image: the hashed lock installed with ``uv pip install --target`` for the
images' platform (manylinux x86_64, CPython 3.11, wheels only, ``--require-hashes``), the local
package installs with ``pip`` as the Dockerfile runs them, and the copied files. A change to the
Dockerfile (another lock, another folder, a new entry point) changes what the tests boot.

The lock installs are cached under ``~/.cache/platform-testkit/image-trees/<key>`` (the key
hashes the lock, the pip options and the platform) and hard-linked into each tree, so a warm
build costs about a second.

:meth:`ImageTree.command` starts the image's entry point with ``python -I -S``: no user site,
no site-packages, no ``PYTHON*`` variables; ``sys.path`` is the image's (working directory for
``-m``, ``PYTHONPATH`` from its ``ENV``) mapped into the tree, plus the standard library.

Other ``RUN`` commands (``compileall``, ``useradd``, build-time checks) are not reproduced;
:attr:`ImageTree.skipped_runs` lists them. A ``pip install`` this module does not understand,
or one without ``--require-hashes`` and ``--only-binary=:all:`` for a lock, is an error.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The images' platform: python:3.11-slim-bookworm (Debian 12, glibc 2.36), x86_64, CPython 3.11.
# The locks are resolved for manylinux_2_28 (scripts/dev/lock.sh); installing for glibc 2.36
# picks, among each locked version's wheels, the one pip picks in the image.
PYTHON_PLATFORM = "x86_64-manylinux_2_36"
PYTHON_VERSION = "3.11"
CACHE_ENV = "PLATFORM_TESTKIT_CACHE"


class ImageTreeError(RuntimeError):
    """The Dockerfile uses something the tree builder cannot reproduce, or a build step failed."""


class ImageToolMissingError(ImageTreeError):
    """uv or pip is not available to assemble the tree."""


# --- Dockerfile parsing ---------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions in order; continuation lines joined, comments and blank lines dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are dropped by Docker too
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending.append(stripped[:-1])
            continue
        pending.append(stripped)
        joined = " ".join(part.strip() for part in pending)
        pending = []
        keyword, _, args = joined.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    if pending:
        raise ImageTreeError("Dockerfile ends inside a continued instruction")
    return instructions


_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def substitute(value: str, variables: Mapping[str, str]) -> str:
    """Docker's ``$VAR`` / ``${VAR}`` substitution (unknown variables become empty)."""
    return _VARIABLE.sub(lambda m: variables.get(m.group(1) or m.group(2), ""), value)


def _key_values(args: str) -> list[tuple[str, str]]:
    pairs = []
    for token in shlex.split(args):
        if "=" not in token:
            raise ImageTreeError(f"only KEY=VALUE forms are supported, got {token!r}")
        key, _, value = token.partition("=")
        pairs.append((key, value))
    return pairs


def _exec_form(args: str) -> list[str]:
    if not args.startswith("["):
        raise ImageTreeError(f"ENTRYPOINT/CMD must use the exec (JSON) form, got {args!r}")
    value = json.loads(args)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ImageTreeError(f"ENTRYPOINT/CMD must be a JSON list of strings, got {args!r}")
    return value


# --- the tree -------------------------------------------------------------------------------


@dataclass
class ImageTree:
    """The assembled file tree of one image and how to start its entry point."""

    root: Path
    env: dict[str, str]
    workdir: str
    entrypoint: list[str]
    cmd: list[str]
    skipped_runs: list[str] = field(default_factory=list)

    def host_path(self, image_path: str) -> Path:
        """Where an absolute path of the image lies in the tree."""
        return self.root / image_path.lstrip("/")

    def _mapped(self, value: str) -> str:
        """An ENV value with the image paths the build created mapped into the tree."""
        return ":".join(
            str(self.host_path(part)) if self._in_tree(part) else part for part in value.split(":")
        )

    def _in_tree(self, image_path: str) -> bool:
        """An absolute path the build created, or one below a folder the build created."""
        if not image_path.startswith("/"):
            return False
        path = Path(image_path)
        return any(self.host_path(str(p)).exists() for p in (path, *path.parents) if p != Path("/"))

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The image's ENV (paths mapped into the tree) plus ``extra``; nothing of the host's
        environment but PATH's system part, HOME and the locale."""
        env = {k: os.environ[k] for k in ("HOME", "LANG", "LC_ALL", "TZ") if k in os.environ}
        env["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        for key, value in self.env.items():
            env[key] = self._mapped(substitute(value, {"PATH": env["PATH"]}))
        env.update(extra or {})
        return env

    def sys_path(self) -> list[str]:
        """The image's import path, mapped into the tree (the standard library is added at
        start by :meth:`command`)."""
        paths = [self._mapped(p) for p in self.env.get("PYTHONPATH", "").split(":") if p]
        return paths

    def command(self, args: Sequence[str] | None = None) -> list[str]:
        """argv that starts ENTRYPOINT + CMD (or ENTRYPOINT + ``args``) in an isolated
        interpreter seeing only the tree and the standard library."""
        argv = [*self.entrypoint, *(self.cmd if args is None else args)]
        if not argv:
            raise ImageTreeError("the image has neither ENTRYPOINT nor CMD")
        workdir = str(self.host_path(self.workdir))
        search = self.sys_path()
        if argv[0] in {"python", "python3", "python3.11", "/usr/local/bin/python"}:
            if argv[1:2] != ["-m"] or len(argv) < 3:
                raise ImageTreeError(
                    f"only `python -m <module>` entry points are supported: {argv}"
                )
            # `python -m` puts the working directory first, then PYTHONPATH.
            target = {"module": argv[2], "argv": [argv[2], *argv[3:]]}
            search = [workdir, *search]
        else:
            script = self._find_on_path(argv[0])
            target = {"script": str(script), "argv": [str(script), *argv[1:]]}
            search = [str(script.parent), *search]
        return [*isolated_python(), "-c", _BOOT, json.dumps({"path": search, **target})]

    def _find_on_path(self, name: str) -> Path:
        for directory in self.environment()["PATH"].split(":"):
            candidate = Path(directory) / name
            if candidate.is_file() and str(candidate).startswith(str(self.root)):
                return candidate
        raise ImageTreeError(f"command {name!r} is not on the image's PATH inside the tree")

    def run(
        self,
        args: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run the entry point to completion (CLI images)."""
        return subprocess.run(
            self.command(args),
            env=self.environment(env),
            cwd=self.host_path(self.workdir),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(
        self, env: Mapping[str, str] | None = None, log: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start the entry point in the background (Lambda images: it serves the Runtime API
        named by AWS_LAMBDA_RUNTIME_API in ``env``); output to ``log``. Stop it yourself."""
        output = log.open("wb") if log else subprocess.DEVNULL
        try:
            return subprocess.Popen(
                self.command(),
                env=self.environment(env),
                cwd=self.host_path(self.workdir),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        finally:
            if log:
                output.close()  # type: ignore[union-attr]

    def isolation_report(self) -> dict[str, Any]:
        """What the isolated interpreter sees: its interpreter flags, the ``sys.path`` entries
        that are neither in the tree nor the standard library (``foreign``), and which modules
        of the host's environment (pytest, this kit) it can import."""
        code = (
            "import importlib.util, json, os, sys, sysconfig\n"
            f"root = {str(self.root)!r}\n"
            "lib = os.path.dirname(sysconfig.get_path('stdlib'))\n"
            "foreign = [p for p in sys.path if not (p.startswith(root) or"
            " (p.startswith(lib) and 'site-packages' not in p))]\n"
            "print(json.dumps({'flags': [sys.flags.isolated, sys.flags.no_site],"
            " 'foreign': foreign, 'host_modules': [m for m in ('pytest', 'platform_testkit')"
            " if importlib.util.find_spec(m) is not None]}))"
        )
        report: dict[str, Any] = json.loads(self.probe(code))
        return report

    def probe(self, code: str, env: Mapping[str, str] | None = None) -> str:
        """stdout of ``code`` run by the isolated interpreter with the image's import path
        (working directory first, as under ``python -m``)."""
        search = [str(self.host_path(self.workdir)), *self.sys_path()]
        boot = json.dumps({"path": search, "code": code})
        proc = subprocess.run(
            [*isolated_python(), "-c", _BOOT, boot],
            env=self.environment(env),
            cwd=self.host_path(self.workdir),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if proc.returncode != 0:
            raise ImageTreeError(f"probe failed:\n{proc.stderr}")
        return proc.stdout


# The bootstrap the isolated interpreter runs: the image's import path first, then the standard
# library (``-S`` dropped site-packages; ``-I`` dropped PYTHONPATH and the script directory).
_BOOT = """
import json, runpy, sys
spec = json.loads(sys.argv[1])
sys.path[:0] = spec["path"]
if "code" in spec:
    exec(compile(spec["code"], "<probe>", "exec"), {"__name__": "__main__"})
elif "module" in spec:
    sys.argv = spec["argv"]
    runpy.run_module(spec["module"], run_name="__main__", alter_sys=True)
else:
    sys.argv = spec["argv"]
    runpy.run_path(spec["script"], run_name="__main__")
"""


def isolated_python() -> list[str]:
    """The base CPython 3.11 (not the venv's wrapper) with -I (isolated) and -S (no site)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return [base, "-I", "-S"]


# --- building -------------------------------------------------------------------------------


def cache_root() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "platform-testkit" / "image-trees"


def _uv() -> Path:
    candidate = Path(sys.executable).with_name("uv")
    found = candidate if candidate.exists() else shutil.which("uv")
    if not found:
        raise ImageToolMissingError("uv not found next to the interpreter or on PATH (make setup)")
    return Path(found)


def _ignored(relative: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.lstrip("/")
        if pattern.startswith("**/"):
            tail = pattern[3:]
            if any(fnmatch.fnmatch(part, tail) for part in relative.split("/")):
                return True
        elif fnmatch.fnmatch(relative, pattern) or relative.startswith(pattern.rstrip("/") + "/"):
            return True
    return False


@dataclass
class _Build:
    dockerfile: Path
    context: Path
    root: Path
    overlay: Mapping[str, Path]
    ignore: list[str]
    variables: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # image path -> host path of every file or folder COPY placed (for `-r`, package installs)
    copied: dict[str, Path] = field(default_factory=dict)
    workdir: str = "/"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def source(self, relative: str) -> Path:
        relative = relative.strip("/").removeprefix("./") or "."
        for prefix, host in self.overlay.items():
            if relative == prefix or relative.startswith(prefix.rstrip("/") + "/"):
                return host / relative[len(prefix) :].lstrip("/")
        path = self.context / relative
        if not path.exists():
            raise ImageTreeError(f"{self.dockerfile}: COPY source {relative!r} not in the context")
        if _ignored(relative, self.ignore):
            raise ImageTreeError(f"{self.dockerfile}: COPY source {relative!r} is .dockerignored")
        return path

    def image_path(self, path: str) -> str:
        return path if path.startswith("/") else f"{self.workdir.rstrip('/')}/{path}"

    def tree(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/")

    def copy(self, args: str) -> None:
        tokens = shlex.split(substitute(args, self.variables))
        if any(t.startswith("--from") for t in tokens):
            raise ImageTreeError(f"{self.dockerfile}: multi-stage COPY --from is not supported")
        tokens = [t for t in tokens if not t.startswith("--")]
        *sources, dest = tokens
        dest_image = self.image_path(dest)
        into_dir = dest.endswith("/") or len(sources) > 1
        for relative in sources:
            src = self.source(relative)
            if src.is_dir():
                target = self.tree(dest_image)
                shutil.copytree(src, target, dirs_exist_ok=True, ignore=self._ignore_for(src))
                self.copied[dest_image.rstrip("/") or "/"] = src
            else:
                target_image = f"{dest_image.rstrip('/')}/{src.name}" if into_dir else dest_image
                self.tree(target_image).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, self.tree(target_image))
                self.copied[target_image] = src

    def _ignore_for(self, src: Path):  # type: ignore[no-untyped-def]
        def ignore(directory: str, names: list[str]) -> set[str]:
            try:
                base = Path(directory).relative_to(self.context).as_posix()
            except ValueError:
                base = None  # an overlay folder: nothing of the context applies
            if base is None:
                return {n for n in names if n == "__pycache__"}
            prefix = "" if base == "." else base + "/"
            return {n for n in names if _ignored(prefix + n, self.ignore)}

        return ignore

    def run(self, args: str) -> None:
        command = substitute(args, {**self.variables, **self.env})
        for part in re.split(r"\s*&&\s*", command):
            tokens = shlex.split(part)
            assignments = {}
            while tokens and re.fullmatch(r"\w+=.*", tokens[0]):
                key, _, value = tokens.pop(0).partition("=")
                assignments[key] = value
            if tokens[:3] == ["python", "-m", "pip"]:
                tokens = tokens[2:]
            if tokens[:2] == ["pip", "install"]:
                self.pip_install(tokens[2:], assignments)
            elif tokens[:1] == ["rm"] and all(t.startswith(("/", "-")) for t in tokens[1:]):
                for path in (t for t in tokens[1:] if not t.startswith("-")):
                    self.remove(path)
            else:
                self.skipped.append(part)

    def remove(self, image_path: str) -> None:
        target = self.tree(image_path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)

    def pip_install(self, arguments: list[str], assignments: Mapping[str, str]) -> None:
        options: dict[str, str | bool] = {}
        locks: list[str] = []
        projects: list[str] = []
        iterator = iter(arguments)
        for argument in iterator:
            if argument in {"-r", "--requirement"}:
                locks.append(next(iterator))
            elif argument == "--target":
                options["target"] = next(iterator)
            elif argument.startswith("--target="):
                options["target"] = argument.split("=", 1)[1]
            elif argument.startswith("--only-binary"):
                value = argument.split("=", 1)[1] if "=" in argument else next(iterator)
                options["only_binary"] = value == ":all:"
            elif argument in {
                "--no-cache-dir",
                "--require-hashes",
                "--no-deps",
                "--no-build-isolation",
                "--upgrade",
                "--no-compile",
                "-q",
            }:
                options[argument] = True
            elif argument.startswith("-"):
                raise ImageTreeError(f"{self.dockerfile}: pip option {argument!r} is not supported")
            else:
                projects.append(argument)
        target = options.get("target")
        if not isinstance(target, str):
            raise ImageTreeError(f"{self.dockerfile}: pip install without --target")
        if locks and projects:
            raise ImageTreeError(f"{self.dockerfile}: install a lock and a project separately")
        if locks:
            if not (options.get("--require-hashes") and options.get("only_binary")):
                raise ImageTreeError(
                    f"{self.dockerfile}: a lock must be installed with --require-hashes "
                    "--only-binary=:all:"
                )
            for lock in locks:
                self.install_lock(self.copied_file(lock), target, bool(options.get("--no-deps")))
        for project in projects:
            if not (options.get("--no-deps") and options.get("--no-build-isolation")):
                raise ImageTreeError(
                    f"{self.dockerfile}: a local package must be installed with --no-deps "
                    "--no-build-isolation (its backend from the hashed build lock)"
                )
            self.install_project(
                self.copied_dir(project), target, bool(options.get("--upgrade")), assignments
            )

    def copied_file(self, image_path: str) -> Path:
        host = self.copied.get(self.image_path(image_path))
        if host is None or not host.is_file():
            raise ImageTreeError(f"{self.dockerfile}: {image_path} was not COPYed as a file")
        return host

    def copied_dir(self, image_path: str) -> Path:
        path = self.tree(self.image_path(image_path))
        if not (path / "pyproject.toml").is_file():
            raise ImageTreeError(f"{self.dockerfile}: no pyproject.toml COPYed to {image_path}")
        return path

    def install_lock(self, lock: Path, target: str, no_deps: bool) -> None:
        cached = cached_lock_tree(lock, no_deps)
        _link_tree(cached, self.tree(target))

    def install_project(
        self, project: Path, target: str, upgrade: bool, assignments: Mapping[str, str]
    ) -> None:
        # Built as the image builds it: pip, no build isolation, no index; the backend is the one
        # the Dockerfile installed from the hashed build lock (its PYTHONPATH, mapped into the
        # tree, comes before the host environment's own packages).
        command = [
            sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
            "--no-index", "--target", str(self.tree(target)), str(project),
        ]  # fmt: skip
        if upgrade:
            command.insert(4, "--upgrade")
        env = dict(os.environ)
        for key, value in assignments.items():
            env[key] = ":".join(
                str(self.tree(p)) if p.startswith("/") else p for p in value.split(":")
            )
        _check(command, f"installing {project.name}", env)


def _check(command: Sequence[str], what: str, env: Mapping[str, str] | None = None) -> None:
    proc = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise ImageTreeError(f"{what} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link ``source`` into ``target`` (cheap; files written later do not reach it)."""
    shutil.copytree(source, target, copy_function=os.link, dirs_exist_ok=True, symlinks=True)


def cached_lock_tree(lock: Path, no_deps: bool = False) -> Path:
    """The lock installed for the images' platform, built once per lock content."""
    uv = _uv()
    version = subprocess.run(
        [str(uv), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    key = hashlib.sha256(
        "\n".join(
            [lock.read_text(), PYTHON_PLATFORM, PYTHON_VERSION, version, str(no_deps)]
        ).encode()
    ).hexdigest()[:24]
    cached = cache_root() / key
    if (cached / ".complete").exists():
        return cached
    cache_root().mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=cache_root()))
    command = [
        str(uv), "pip", "install", "-q", "--target", str(staging / "tree"),
        "--python-platform", PYTHON_PLATFORM, "--python-version", PYTHON_VERSION,
        "--require-hashes", "--only-binary", ":all:", "--compile-bytecode", "-r", str(lock),
    ]  # fmt: skip
    if no_deps:
        command.append("--no-deps")
    try:
        _check(command, f"installing {lock} for {PYTHON_PLATFORM}")
        (staging / "tree" / ".complete").write_text(f"{lock}\n")
        try:
            (staging / "tree").rename(cached)
        except OSError:
            if not (cached / ".complete").exists():  # not another process winning the race
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


def build_image_tree(
    dockerfile: Path,
    context: Path,
    root: Path,
    *,
    build_args: Mapping[str, str] | None = None,
    context_overlay: Mapping[str, Path] | None = None,
) -> ImageTree:
    """Assemble under ``root`` the file tree ``docker build -f dockerfile context`` produces.

    ``context_overlay`` places files in the build context as CI does before a build (e.g.
    ``{"bundle": <dir>}`` for the inference image) without writing into the repository.
    """
    context = context.resolve()
    ignore_file = context / ".dockerignore"
    ignore = [
        line.strip()
        for line in (ignore_file.read_text().splitlines() if ignore_file.exists() else [])
        if line.strip() and not line.startswith("#")
    ]
    build = _Build(dockerfile, context, root, dict(context_overlay or {}), ignore)
    build.variables["PATH"] = "$PATH"  # resolved when the tree runs (ImageTree.environment)
    froms = 0
    for instruction in parse_dockerfile(dockerfile.read_text()):
        keyword, args = instruction.keyword, instruction.args
        if keyword == "FROM":
            froms += 1
            if froms > 1:
                raise ImageTreeError(f"{dockerfile}: multi-stage builds are not supported")
        elif keyword == "ARG":
            name, _, default = args.partition("=")
            build.variables[name] = (build_args or {}).get(name, default)
        elif keyword == "ENV":
            for key, value in _key_values(args):
                build.env[key] = substitute(value, {**build.variables, **build.env})
                build.variables[key] = build.env[key]
        elif keyword == "WORKDIR":
            build.workdir = build.image_path(substitute(args, build.variables))
            build.tree(build.workdir).mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            build.copy(args)
        elif keyword == "RUN":
            build.run(args)
        elif keyword == "ENTRYPOINT":
            build.entrypoint = _exec_form(args)
            build.cmd = []  # Docker resets CMD when ENTRYPOINT is set after it
        elif keyword == "CMD":
            build.cmd = _exec_form(args)
        elif keyword in {"USER", "LABEL", "EXPOSE", "SHELL", "HEALTHCHECK", "STOPSIGNAL"}:
            continue
        else:
            raise ImageTreeError(f"{dockerfile}:{instruction.line}: {keyword} is not supported")
    return ImageTree(
        root=root,
        env=build.env,
        workdir=build.workdir,
        entrypoint=build.entrypoint,
        cmd=build.cmd,
        skipped_runs=build.skipped,
    )
