"""Looking into a store database from a test."""

from __future__ import annotations

import sqlalchemy as sa


def table_names(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        return sorted(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
