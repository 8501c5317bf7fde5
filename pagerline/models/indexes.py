"""Partial indexes with any WHERE clause.

Tortoise's own ``PartialIndex`` only writes equality conditions (``status = 'PENDING'``), and the
indexes that keep hot paths independent of history need ``status <> 'RESOLVED'`` and
``status IN ('PENDING', 'SENDING')``: they hold open work only, so they stay small however much
history accumulates. PostgreSQL and SQLite both understand ``CREATE INDEX … WHERE …``.

A query uses such an index only when the planner can prove the query's condition implies the
index's, so the queries these serve filter on the same column (see the models' comments).
"""

from __future__ import annotations

from typing import Any

from tortoise.indexes import Index


class WhereIndex(Index):
    """``CREATE INDEX name ON table (fields) WHERE where``. The name is required: a partial index
    often covers the same columns as a full one, and generated names would collide."""

    def __init__(self, *, fields: tuple[str, ...] | list[str], name: str, where: str) -> None:
        super().__init__(fields=fields, name=name)
        self.where = where
        self.extra = f" WHERE {where}"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "where": self.where}

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        path, args, kwargs = super().deconstruct()
        return path, args, {**kwargs, "where": self.where}

    def __hash__(self) -> int:
        return hash((tuple(self.fields), self.name, self.where))
