"""Helpers shared by the db-bootstrap tests: run the command, read the catalog independently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import psycopg2
from typer.testing import CliRunner

from db_bootstrap.cli import app


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def changes(self) -> list[str]:
        prefix = "changed: "
        return [
            line.removeprefix(prefix)
            for line in self.stdout.splitlines()
            if line.startswith(prefix)
        ]


def run_cli(*arguments: str) -> Run:
    result = CliRunner().invoke(app, list(arguments))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg2://", "postgresql://", 1)


def query(url: str, statement: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    connection = psycopg2.connect(libpq(url))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()
