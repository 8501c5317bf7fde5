"""Migration operations that do on SQLite what Tortoise's own do on PostgreSQL, without
rebuilding the table.

Tortoise changes a column on SQLite by making a new table, copying the rows, and dropping the
old one. With foreign keys on (as pagerline runs SQLite), dropping a table deletes every row of
every table that refers to it with ON DELETE CASCADE, and empties every SET NULL reference:
dropping a column of ``users`` that way deleted every user's notification rules, devices and
tokens. These operations keep Tortoise's bookkeeping (the migration state is the same) and
change only the database work on SQLite.
"""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops


def _on_sqlite(state_editor: Any) -> bool:
    return state_editor is not None and state_editor.client.capabilities.dialect == "sqlite"


class DropColumn(ops.RemoveField):
    """``RemoveField`` that uses SQLite's own ``ALTER TABLE ... DROP COLUMN`` (SQLite 3.35+)
    for a plain column (no index, key or constraint on it)."""

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if not _on_sqlite(state_editor):
            await super().database_forward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        column = field.source_field or field.model_field_name
        await state_editor.client.execute_script(f'ALTER TABLE "{model._meta.db_table}" DROP COLUMN "{column}"')


class WidenChoices(ops.AlterField):
    """``AlterField`` for an enum column that gains values within its length: nothing to do on
    SQLite, which keeps no column comments and does not enforce VARCHAR lengths."""

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if not _on_sqlite(state_editor):
            await super().database_forward(app_label, old_state, new_state, state_editor)


class IndexColumn(ops.AlterField):
    """``AlterField`` that only adds ``db_index`` to a plain column: on SQLite a ``CREATE INDEX``
    instead of Tortoise's table rebuild (whose drop of the old ``alerts`` table deleted every
    alert's timeline, notifications and action tokens)."""

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if not _on_sqlite(state_editor):
            await super().database_forward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        field = model._meta.fields_map[self.name]
        column = field.source_field or field.model_field_name
        table = model._meta.db_table
        await state_editor.client.execute_script(f'CREATE INDEX IF NOT EXISTS "idx_{table}_{column}" ON "{table}" ("{column}")')
