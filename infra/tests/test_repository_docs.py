"""Every document the repository cites is in the repository, and nothing cites the old references.

Code comments, READMEs, Terraform and CI scripts cite contracts by path
(`docs/contracts/features.md`). They used to cite reference texts that lived outside the
repository (the dataset, feature and ML Test Score references, the team brief), so a clone could
not read the contracts it obeys. These tests keep both from coming back.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .conftest import REPO

SCANNED_SUFFIXES = frozenset({".py", ".md", ".tf", ".sh", ".yml"})
SCANNED_NAMES = frozenset({"Dockerfile"})
# A repository-relative `docs/...md` path, or a relative link climbing to one
# (`../../docs/operations.md`). A package's own docs folder (`scripts/x/docs/y.md`) is not a
# citation of the repository's documents, hence nothing path-like may precede `docs/`. Each path
# segment starts with a word character, so a placeholder such as `docs/...md` is no citation.
DOC_CITATION = re.compile(r"(?<![\w./-])((?:\.\./)*docs/\w[\w.-]*(?:/\w[\w.-]*)*\.md)(?![\w-])")
# Case-sensitive on purpose: `docs/contracts/features.md` is ours, `FEATURES.md` was not.
OUTSIDE_REFERENCE = re.compile(
    r"DATASET\.md|FEATURES\.md|ML-TEST-SCORE\.md|shared/reference|\bBRIEF\b"
)
# Only used without git (a source archive): what .gitignore keeps out of the repository.
_UNTRACKED_DIRS = frozenset({"__pycache__", "node_modules", "mlruns", "spark-warehouse"})
_UNTRACKED_ROOT_DIRS = frozenset({"var", "build"})
THIS_FILE = Path(__file__).resolve()


@dataclass
class Scan:
    files: list[Path]
    citations: int = 0
    problems: list[str] = field(default_factory=list)


def is_scanned(path: Path) -> bool:
    return path.suffix in SCANNED_SUFFIXES or path.name in SCANNED_NAMES


def _walk(root: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(root):
        here = Path(directory)
        subdirectories[:] = [
            name
            for name in subdirectories
            if not name.startswith(".")
            and name not in _UNTRACKED_DIRS
            and not name.endswith(".egg-info")
            and not (here == root and name in _UNTRACKED_ROOT_DIRS)
        ]
        yield from (here / name for name in names)


def repository_files(root: Path) -> list[Path]:
    """Files a commit would carry: tracked plus untracked-but-not-ignored (git), else a walk."""
    try:
        listing = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(_walk(root))
    return sorted(root / name for name in listing.decode().split("\0") if name)


def scanned_files(root: Path) -> list[Path]:
    # This file spells out the forbidden references and planted citations: it is not scanned.
    return [
        path
        for path in repository_files(root)
        if is_scanned(path) and path.is_file() and path.resolve() != THIS_FILE
    ]


def cited_target(root: Path, citing: Path, citation: str) -> Path:
    if citation.startswith("../"):
        # A relative link, resolved the way a reader following it would.
        return Path(os.path.normpath(citing.parent / citation))
    return root / citation


def scan(root: Path, files: Iterable[Path]) -> Scan:
    result = Scan(files=list(files))
    docs = root / "docs"
    for path in result.files:
        relative = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            for match in DOC_CITATION.finditer(line):
                result.citations += 1
                citation = match.group(1)
                target = cited_target(root, path, citation)
                if not (target.is_relative_to(docs) and target.is_file()):
                    result.problems.append(
                        f"{relative}:{number}: cites {citation}, which is not in the repository"
                    )
            for match in OUTSIDE_REFERENCE.finditer(line):
                result.problems.append(
                    f"{relative}:{number}: cites {match.group(0)!r}, a text outside the "
                    "repository; cite the document under docs/ instead"
                )
    return result


@pytest.fixture(scope="module")
def repository_scan() -> Scan:
    return scan(REPO, scanned_files(REPO))


def test_every_cited_document_exists_and_no_outside_reference_is_cited(
    repository_scan: Scan,
) -> None:
    assert repository_scan.problems == []


def test_the_scan_covers_the_repository(repository_scan: Scan) -> None:
    # Guards the test above against passing because its file listing or pattern found nothing.
    kinds = Counter(path.suffix or path.name for path in repository_scan.files)
    assert {*SCANNED_SUFFIXES, *SCANNED_NAMES} <= set(kinds), kinds
    assert len(repository_scan.files) >= 200, kinds
    assert kinds[".py"] >= 100, kinds
    assert kinds[".tf"] >= 50, kinds
    assert kinds[".md"] >= 20, kinds
    assert repository_scan.citations >= 30
    scanned = {path.relative_to(REPO).as_posix() for path in repository_scan.files}
    assert "docs/contracts/features.md" in scanned
    assert "feature-pipeline/src/feature_pipeline/features.py" in scanned
    assert THIS_FILE.relative_to(REPO).as_posix() not in scanned


@pytest.mark.parametrize(
    ("line", "citations"),
    [
        (
            '"""Feature rules (docs/contracts/features.md) as pure transforms."""',
            ["docs/contracts/features.md"],
        ),
        ("[runbook](../../docs/operations.md)", ["../../docs/operations.md"]),
        ("# see docs/ml-test-score.md, D2", ["docs/ml-test-score.md"]),
        ("`docs/a.md` and docs/b/c.md.", ["docs/a.md", "docs/b/c.md"]),
        ("scripts/tool/docs/own.md", []),
        ("mydocs/x.md", []),
        ("docs/contracts/", []),
        ('f"docs/{name}.md"', []),
        ("docs/notes.mdx", []),
        ("every `docs/...md` path", []),
    ],
)
def test_citation_pattern(line: str, citations: list[str]) -> None:
    assert [m.group(1) for m in DOC_CITATION.finditer(line)] == citations


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("see FEATURES.md", True),
        ("(DATASET.md: no field contains a comma)", True),
        ("ML Test Score (ML-TEST-SCORE.md)", True),
        ("/work/shared/reference/x", True),
        ("as the BRIEF says", True),
        ("docs/contracts/features.md", False),
        ("in brief, a briefing", False),
        ("BRIEFLY", False),
    ],
)
def test_outside_reference_pattern(line: str, flagged: bool) -> None:
    assert bool(OUTSIDE_REFERENCE.search(line)) is flagged


def test_scan_reports_planted_bad_citations(tmp_path: Path) -> None:
    def write(relative: str, text: str) -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write("docs/contracts/real.md", "# real\n")
    write("pkg/src/mod.py", '"""Uses docs/contracts/real.md."""\n# and docs/contracts/gone.md\n')
    write("pkg/README.md", "[ok](../docs/contracts/real.md) [bad](../../docs/contracts/real.md)\n")
    write("infra/main.tf", "# layout of FEATURES.md\n")
    write("ci/run.sh", "# facts from /work/shared/reference\n")
    write("pkg/Dockerfile", "# as the BRIEF asks\n")
    write("ci/build.yml", "# docs/contracts/real.md\n")
    write("notes.txt", "docs/contracts/gone.md is not scanned: .txt\n")
    write("tools/x/docs/own.md", "a tool's own docs: tools/x/docs/own.md\n")
    write(".venv/lib/site.py", "# docs/contracts/gone.md, hidden folders are not the repository\n")

    files = scanned_files(tmp_path)  # no git here: the directory walk
    assert {p.relative_to(tmp_path).as_posix() for p in files} == {
        "docs/contracts/real.md",
        "pkg/src/mod.py",
        "pkg/README.md",
        "infra/main.tf",
        "ci/run.sh",
        "pkg/Dockerfile",
        "ci/build.yml",
        "tools/x/docs/own.md",
    }
    result = scan(tmp_path, files)
    assert result.citations == 5
    assert sorted(result.problems) == sorted(
        [
            "pkg/src/mod.py:2: cites docs/contracts/gone.md, which is not in the repository",
            "pkg/README.md:1: cites ../../docs/contracts/real.md, which is not in the repository",
            "infra/main.tf:1: cites 'FEATURES.md', a text outside the repository; "
            "cite the document under docs/ instead",
            "ci/run.sh:1: cites 'shared/reference', a text outside the repository; "
            "cite the document under docs/ instead",
            "pkg/Dockerfile:1: cites 'BRIEF', a text outside the repository; "
            "cite the document under docs/ instead",
        ]
    )
