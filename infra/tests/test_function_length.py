"""No function in any package's `src/` tree is longer than 100 lines (issue 14).

A function that long does several things; a stage of its own is easier to read, test and
change. Lengths are measured from the first decorator to the last line of the body, docstring
included, by reading the source with `ast` (infra tests never import service packages).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from .conftest import REPO

MAX_FUNCTION_LINES = 100
# Deployed services at the top level, tools under scripts/: every package keeps its code in src/.
SRC_TREE_PATTERNS = ("*/src", "scripts/*/src")


@dataclass(frozen=True)
class FunctionLength:
    where: str  # path:line
    name: str  # qualified within its module, e.g. Class.method or outer.inner
    lines: int


def src_trees(root: Path) -> list[Path]:
    return sorted(
        tree for pattern in SRC_TREE_PATTERNS for tree in root.glob(pattern) if tree.is_dir()
    )


def _functions(
    node: ast.AST, prefix: str
) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    found: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            found.append((prefix + child.name, child))
            found += _functions(child, f"{prefix}{child.name}.")
        elif isinstance(child, ast.ClassDef):
            found += _functions(child, f"{prefix}{child.name}.")
        else:
            found += _functions(child, prefix)
    return found


def function_lengths(root: Path, trees: list[Path]) -> list[FunctionLength]:
    lengths = []
    for tree in trees:
        for path in sorted(tree.rglob("*.py")):
            module = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for name, function in _functions(module, ""):
                first = min([d.lineno for d in function.decorator_list] + [function.lineno])
                last = function.end_lineno or function.lineno
                where = f"{path.relative_to(root).as_posix()}:{function.lineno}"
                lengths.append(FunctionLength(where, name, last - first + 1))
    return lengths


def too_long(lengths: list[FunctionLength]) -> list[str]:
    return [
        f"{f.where} {f.name}: {f.lines} lines (at most {MAX_FUNCTION_LINES})"
        for f in sorted(lengths, key=lambda f: (-f.lines, f.where))
        if f.lines > MAX_FUNCTION_LINES
    ]


def test_no_function_in_a_src_tree_is_over_100_lines() -> None:
    trees = src_trees(REPO)
    lengths = function_lengths(REPO, trees)
    # Guards against passing because the globs found nothing.
    names = {tree.relative_to(REPO).as_posix() for tree in trees}
    assert {"feature-pipeline/src", "model-training/src", "scripts/release-tool/src"} <= names
    assert len(trees) >= 8, names
    assert len(lengths) >= 500
    assert too_long(lengths) == []


def test_a_planted_long_function_is_reported(tmp_path: Path) -> None:
    def assignments(count: int, indent: str) -> str:
        return "".join(f"{indent}x{i} = {i}\n" for i in range(count))

    package = tmp_path / "svc" / "src" / "svc"
    package.mkdir(parents=True)
    (package / "long.py").write_text(
        "import functools\n"
        "@functools.cache\n"  # line 2; the decorator counts: 1 + def + 99 = 101 lines
        f"def long_one():\n{assignments(99, '    ')}"
        f"def just_fits():\n{assignments(99, '    ')}"  # line 103: def + 99 = 100 lines
        "class Holder:\n"  # line 203
        "    def method(self):\n"  # line 204: 1 + inner's 101 = 102 lines
        f"        def inner():\n{assignments(100, '            ')}"  # line 205
    )
    tool = tmp_path / "scripts" / "tool" / "src"
    tool.mkdir(parents=True)
    (tool / "t.py").write_text(f"async def slow():\n{assignments(101, '    ')}")
    (tmp_path / "notes").mkdir()  # not a src tree

    trees = src_trees(tmp_path)
    assert [t.relative_to(tmp_path).as_posix() for t in trees] == ["scripts/tool/src", "svc/src"]
    assert too_long(function_lengths(tmp_path, trees)) == [
        "scripts/tool/src/t.py:1 slow: 102 lines (at most 100)",
        "svc/src/svc/long.py:204 Holder.method: 102 lines (at most 100)",
        "svc/src/svc/long.py:205 Holder.method.inner: 101 lines (at most 100)",
        "svc/src/svc/long.py:3 long_one: 101 lines (at most 100)",
    ]
