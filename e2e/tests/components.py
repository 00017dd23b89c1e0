"""How each component of the platform is run in the e2e tests: as its AWS service runs it, with
the credentials of the role Terraform made for it (``Market.env_as``), from the files its image
or job would hold, with the settings Terraform gave it (read from the applied state).
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest
import yaml

from .lambda_runtime import RESPONSE_MARK
from .market import CODEBUILD, LAMBDA, REPO, Market

BIN = Path(sys.executable).parent
RUNTIME = Path(__file__).with_name("lambda_runtime.py")
DATE_COLUMNS = ("birthday", "job_start_date", "loan_date")
# days_employed = 365243 (pensioners) is written as a job start date a thousand years after the
# extraction: a sentinel, not a date, so it is not moved.
SENTINEL_YEAR = 2900


def run(
    command: list[str], env: dict[str, str], *, cwd: Path | None = None, expect: int | None = 0
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900, check=False
    )
    if expect is not None and proc.returncode != expect:
        pytest.fail(
            f"{' '.join(command[:3])} exited {proc.returncode} (expected {expect})\n"
            f"--- stdout ---\n{proc.stdout[-4000:]}\n--- stderr ---\n{proc.stderr[-4000:]}"
        )
    return proc


def tool_path() -> str:
    """PATH of a build container: the platform's console commands and python first."""
    return f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"


# -- the raw file -------------------------------------------------------------------------------


def recent_loans(
    out: Path, customers: int, seed: int, last_loan_date: date
) -> list[dict[str, str]]:
    """`generate-loans`, its dates moved so that the newest loan is dated `last_loan_date`.

    The generator writes the real file's calendar (loans 2019-2020); a market launched today
    receives recent loans. Every date of a row moves by the same number of days, so ages and
    employment spans at each loan stay as generated.
    """
    generated = out.with_suffix(".generated.csv")
    run([str(BIN / "generate-loans"), "--customers", str(customers), "--seed", str(seed),
         "--out", str(generated)], os.environ.copy())  # fmt: skip
    with generated.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    shift = last_loan_date - max(date.fromisoformat(r["loan_date"]) for r in rows)
    for row in rows:
        for column in DATE_COLUMNS:
            value = date.fromisoformat(row[column])
            if value.year < SENTINEL_YEAR:
                row[column] = (value + shift).isoformat()
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return rows


def grown_portfolio(
    out: Path, rows: list[dict[str, str]], new_customers: int, seed: int, last_loan_date: date
) -> list[dict[str, str]]:
    """`rows` plus the loans of `new_customers` more customers (another generator seed, its
    customer and loan ids kept apart from the existing ones)."""
    generated = recent_loans(out.with_suffix(".new.csv"), new_customers, seed, last_loan_date)
    known = {row["id"] for row in rows}
    next_loan_id = max(int(row["loan_id"]) for row in rows) + 1
    added = [
        {**row, "loan_id": str(next_loan_id + index)}
        for index, row in enumerate(r for r in generated if r["id"] not in known)
    ]
    assert added, "the new file adds no customer"
    combined = [*rows, *added]
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(combined)
    return combined


# -- CodeBuild steps ------------------------------------------------------------------------------


def buildspec_script(name: str) -> str:
    """The build commands of ci/buildspecs/<name> (what CodeBuild runs in the build phase)."""
    spec = yaml.safe_load((REPO / "ci/buildspecs" / name).read_text())
    return "\n".join(spec["phases"]["build"]["commands"])


def run_training_stage(
    market: Market, stage: str, env: dict[str, str], workdir: Path, expect: int = 0
) -> dict[str, str]:
    """One stage of ci/buildspecs/train.yml as the training CodeBuild project runs it, under
    the training role; returns the variables the buildspec exports."""
    spec = yaml.safe_load((REPO / "ci/buildspecs/train.yml").read_text())
    exported = spec["env"]["exported-variables"]
    dump = "".join(f'printf "%s=%s\\n" {v} "${{{v}:-}}"\n' for v in exported)
    script = buildspec_script("train.yml") + "\n" + dump
    workdir.mkdir(parents=True, exist_ok=True)
    proc = run(
        ["bash", "-c", script],
        {**market.env_as("training", CODEBUILD), **env, "TRAINING_STAGE": stage,
         "PATH": tool_path(), "CODEBUILD_BUILD_ID": f"credit-risk-co-staging-training:{stage}"},
        cwd=workdir,
        expect=expect,
    )  # fmt: skip
    lines = [line.partition("=") for line in proc.stdout.splitlines() if "=" in line]
    return {key: value for key, _, value in lines if key in exported}


# -- Lambda execution environments ----------------------------------------------------------------


@dataclass
class LambdaEnvironment:
    """One warm execution environment of a function version (lambda_runtime.py)."""

    process: subprocess.Popen[str]
    log_lines: list[str] = field(default_factory=list)
    crashed: str | None = None

    def _read_response(self) -> dict[str, Any] | None:
        stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        for line in stdout:
            if line.startswith(RESPONSE_MARK):
                payload: dict[str, Any] = json.loads(line[len(RESPONSE_MARK) :])
                return payload
            self.log_lines.append(line.rstrip("\n"))
        return None

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        if self.crashed is None:
            stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
            stdin.write(json.dumps(event) + "\n")
            stdin.flush()
            response = self._read_response()
            if response is not None:
                return response
            self.crashed = (self.process.stderr.read() if self.process.stderr else "")[-2000:]
        return {"errorMessage": f"Runtime exited: {self.crashed}", "errorType": "Runtime.Exit"}

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class LambdaService:
    """Plays AWS Lambda for the market's inference function: each published version runs in
    its own process with the environment Terraform set on the function (the store URL pointed
    at the test database), the bundle its image bakes in and the function role's credentials."""

    def __init__(
        self, market: Market, function_name: str, store_url: str, images: dict[str, Path]
    ) -> None:
        self.market = market
        self.function_name = function_name
        self.store_url = store_url
        self.images = images  # image URI -> the bundle directory its build context held
        self.empty_bundle = Path(os.devnull)
        self.environments: dict[str, LambdaEnvironment] = {}

    def _start(self, version: str) -> LambdaEnvironment:
        lam = self.market.client("lambda")
        config = lam.get_function_configuration(FunctionName=self.function_name, Qualifier=version)
        image = lam.get_function(FunctionName=self.function_name, Qualifier=version)["Code"][
            "ImageUri"
        ]
        variables = dict(config.get("Environment", {}).get("Variables", {}))
        assert variables.get("FEATURE_STORE_AUTH") == "iam", variables
        variables["FEATURE_STORE_URL"] = self.store_url  # the proxy's role, on the test server
        env = {
            **self.market.env_as(self.market.role("inference"), LAMBDA),
            **variables,
            # An image this test did not build (Terraform's bootstrap image) holds no bundle.
            "MODEL_BUNDLE_DIR": str(self.images.get(image, self.empty_bundle)),
            "AWS_LAMBDA_FUNCTION_NAME": self.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
        }
        process = subprocess.Popen(
            [sys.executable, str(RUNTIME)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        environment = LambdaEnvironment(process)
        if environment._read_response() is None:  # INIT crashed: every invoke is an error
            environment.crashed = (process.stderr.read() if process.stderr else "")[-2000:]
        return environment

    def invoke(self, version: str, event: dict[str, Any]) -> dict[str, Any]:
        if version not in self.environments:
            self.environments[version] = self._start(version)
        return self.environments[version].invoke(event)

    def invoker(self) -> Callable[[str, str, dict[str, Any]], dict[str, Any]]:
        """The pre-traffic hook's `invoke(function, qualifier, event)`."""

        def invoke(function_name: str, qualifier: str, event: dict[str, Any]) -> dict[str, Any]:
            assert function_name.split(":")[-1] == self.function_name
            return self.invoke(qualifier, event)

        return invoke

    def prediction_lines(self) -> list[str]:
        return [
            line
            for env in self.environments.values()
            for line in env.log_lines
            if line.startswith("{") and json.loads(line).get("event") == "prediction"
        ]

    def close(self) -> None:
        for environment in self.environments.values():
            environment.close()


def deliver_prediction_log(market: Market, lines: list[str], day: date) -> str:
    """What the prediction-log Firehose stream writes (decompressed, one line per record,
    GZIP, one prefix per arrival day), uploaded as the stream's role."""
    bucket, _, prefix = market.output("prediction_log_s3_prefix")[len("s3://") :].partition("/")
    key = f"{prefix}{day.isoformat()}/prediction-log-e2e-1.gz"
    firehose_role = f"{market.output('name_prefix')}-prediction-log-firehose"
    s3 = market.client("s3", market.credentials(firehose_role, "firehose.amazonaws.com"))
    s3.put_object(Bucket=bucket, Key=key, Body=gzip.compress(("\n".join(lines) + "\n").encode()))
    return f"s3://{bucket}/{key}"
