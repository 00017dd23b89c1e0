"""The image-tree builder on small Dockerfiles: what it copies, what it refuses, what the
isolated interpreter sees. (The services boot their real images in their own suites.)"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from platform_testkit.image_tree import ImageTreeError, build_image_tree

BASE = "FROM python:3.11-slim@sha256:" + "0" * 64


def context_with(tmp_path: Path, dockerfile: str) -> Path:
    context = tmp_path / "context"
    (context / "app" / "hello").mkdir(parents=True)
    (context / "app" / "hello" / "__init__.py").write_text("")
    (context / "app" / "hello" / "__main__.py").write_text(
        "import importlib.util, json, os, sys\n"
        "print(json.dumps({'argv': sys.argv[1:], 'data': os.environ['DATA_DIR'],"
        " 'path': sys.path, 'pytest': importlib.util.find_spec('pytest') is not None}))\n"
    )
    (context / "app" / "hello" / "secret.txt").write_text("left out")
    (context / "requirements.txt").write_text("six==1.17.0\n")
    (context / ".dockerignore").write_text("**/secret.txt\n")
    (context / "Dockerfile").write_text(dockerfile)
    return context


def test_copy_env_workdir_and_entry_point_of_the_dockerfile(tmp_path: Path) -> None:
    context = context_with(
        tmp_path,
        f"""{BASE}
ARG DATA=data
ENV APP=/opt/app \\
    DATA_DIR=/opt/${{DATA}}
COPY app/ ${{APP}}/
RUN python -m compileall -q /opt/app && useradd app
WORKDIR /opt/app
ENTRYPOINT ["python", "-m", "hello"]
CMD ["--default"]
""",
    )
    tree = build_image_tree(context / "Dockerfile", context, tmp_path / "root")
    assert (tree.host_path("/opt/app/hello/__main__.py")).is_file()
    assert not (tree.host_path("/opt/app/hello/secret.txt")).exists()  # .dockerignore
    assert tree.skipped_runs == ["python -m compileall -q /opt/app", "useradd app"]

    ran = tree.run(["--given"])
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    assert seen["argv"] == ["--given"]
    # Below a folder the build created: mapped into the tree (the image's /opt is the tree's).
    assert seen["data"] == str(tree.host_path("/opt/data"))
    assert seen["pytest"] is False
    assert seen["path"][0] == str(tree.host_path("/opt/app"))
    assert json.loads(tree.run().stdout)["argv"] == ["--default"]


def test_the_interpreter_is_isolated_from_the_host_environment(tmp_path: Path) -> None:
    context = context_with(tmp_path, f"{BASE}\nCOPY app /opt/app\nWORKDIR /opt/app\n")
    tree = build_image_tree(context / "Dockerfile", context, tmp_path / "root")
    report = tree.isolation_report()
    assert report["flags"] == [1, 1]
    assert report["host_modules"] == []
    assert report["foreign"] == []
    # The same probe under the host's venv interpreter does see them: the check can fail.
    host = subprocess.run(
        ["python", "-c", "import importlib.util as u; print(u.find_spec('pytest') is not None)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert host.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ("pip install --target /opt/app -r /tmp/requirements.txt", "--require-hashes"),
        ("pip install --require-hashes --target /opt/app -r /tmp/requirements.txt",
         "--only-binary=:all:"),
        ("pip install --require-hashes --only-binary=:all: -r /tmp/requirements.txt",
         "without --target"),
        ("pip install --index-url x --target /opt/app -r /tmp/requirements.txt",
         "option '--index-url' is not supported"),
        ("pip install --target /opt/app /opt/src", "--no-build-isolation"),
    ],
)  # fmt: skip
def test_pip_installs_it_cannot_reproduce_faithfully_are_refused(
    tmp_path: Path, run: str, message: str
) -> None:
    context = context_with(
        tmp_path, f"{BASE}\nCOPY requirements.txt /tmp/requirements.txt\nRUN {run}\n"
    )
    with pytest.raises(ImageTreeError, match=message):
        build_image_tree(context / "Dockerfile", context, tmp_path / "root")


def test_a_copy_source_missing_from_the_context_is_an_error(tmp_path: Path) -> None:
    context = context_with(tmp_path, f"{BASE}\nCOPY src/app /opt/app\n")
    with pytest.raises(ImageTreeError, match="COPY source 'src/app' not in the context"):
        build_image_tree(context / "Dockerfile", context, tmp_path / "root")


def test_multi_stage_builds_are_refused(tmp_path: Path) -> None:
    context = context_with(tmp_path, f"{BASE} AS build\n{BASE}\nCOPY --from=build /a /b\n")
    with pytest.raises(ImageTreeError, match="multi-stage"):
        build_image_tree(context / "Dockerfile", context, tmp_path / "root")
