"""Statements built once per process, for the few queries on every transition's path.

Django compiles a queryset's SQL anew on every call, and on a transition that costs
several times what the database itself spends (see bench/README.md). A `Table` builds
its UPDATE and INSERT text once from the model's own metadata, and reads rows back
through the same converters the ORM applies, so column names, types and values stay
exactly the ORM's. Everything else in Siaran uses the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, connections, models, transaction


class Table:
    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.name = connection.ops.quote_name(model._meta.db_table)
        self.fields = {field.attname: field for field in model._meta.concrete_fields}
        self.attnames = list(self.fields)
        self._statements: dict[tuple, str] = {}
        self._converters: dict[tuple[str, ...], list] = {}  # attnames -> their converters
        self._prep: dict[str, Callable[[Any], Any]] | None = None

    def columns(self, alias: str) -> str:
        """The model's columns, in `attnames` order, for a SELECT list."""
        quote = connection.ops.quote_name
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields.values())

    def from_row(self, values: Sequence[Any]) -> models.Model:
        """A model instance from the first len(attnames) values of a row, converted."""
        (converted,) = self.converted([values], tuple(self.attnames))
        return self.model.from_db(connection.alias, self.attnames, converted[: len(self.fields)])

    def converted(self, rows: Iterable[Sequence[Any]], attnames: tuple[str, ...]) -> list[list]:
        """Rows whose first values are the columns `attnames`, each converted as the ORM
        converts it (datetimes on SQLite, for one); any further values as they are."""
        converters = self._converters.get(attnames)
        if converters is None:
            converters = []
            for index, name in enumerate(attnames):
                field = self.fields[name]
                column = field.cached_col
                found = connection.ops.get_db_converters(column)
                found += field.get_db_converters(connection)
                if found:
                    converters.append((index, found, column))
            self._converters[attnames] = converters
        converted = []
        for row in rows:
            values = list(row)
            for index, functions, column in converters:
                for convert in functions:
                    values[index] = convert(values[index], column, connection)
            converted.append(values)
        return converted

    def update(self, cursor, values: dict[str, Any], **where: Any) -> int:
        """UPDATE rows matching `where` (equality on each column); the rows changed.

        A value of `Increment` adds one to the column, as F("column") + 1 does.
        """
        sql = self._statement(
            ("update", tuple(values), tuple(where)), self._update_sql, values, where
        )
        cursor.execute(sql, self._update_params(values, where))
        return cursor.rowcount

    def update_then_insert(
        self, values: dict[str, Any], where: dict[str, Any], into: Table, rows: list[dict]
    ) -> bool:
        """UPDATE the row matching `where` and, only if it matched, INSERT `rows` into
        `into`, both or neither; whether the row matched.

        On PostgreSQL this is one statement (the UPDATE a CTE the INSERT's rows wait on),
        which needs no BEGIN and COMMIT of its own: outside a transaction it is one.
        Elsewhere the two statements go in a transaction (the caller's, if any).
        """
        if connection.vendor != "postgresql":
            with transaction.atomic(savepoint=False), connection.cursor() as cursor:
                if not self.update(cursor, values, **where):
                    return False
                into.insert(cursor, rows)
                return True
        names = tuple(rows[0])
        key = ("update_then_insert", tuple(values), tuple(where), into.name, names, len(rows))
        sql = self._statement(key, self._update_then_insert_sql, values, where, into, rows)
        params = self._update_params(values, where) + into._insert_params(rows, names)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.rowcount > 0

    def _statement(self, key: tuple, build: Callable[..., str], *args: Any) -> str:
        sql = self._statements.get(key)
        if sql is None:
            sql = self._statements[key] = build(*args)
        return sql

    def _update_sql(self, values: dict[str, Any], where: dict[str, Any]) -> str:
        quote = connection.ops.quote_name
        sets = ", ".join(
            f"{quote(c)} = {quote(c)} + 1" if v is Increment else f"{quote(c)} = %s"
            for c, v in ((self.fields[a].column, v) for a, v in values.items())
        )
        condition = " AND ".join(f"{quote(self.fields[a].column)} = %s" for a in where)
        return f"UPDATE {self.name} SET {sets} WHERE {condition}"  # noqa: S608 (our names)

    def _update_params(self, values: dict[str, Any], where: dict[str, Any]) -> list:
        prep = self._preps()
        params = [prep[a](v) for a, v in values.items() if v is not Increment]
        return params + [prep[a](v) for a, v in where.items()]

    def _update_then_insert_sql(
        self, values: dict[str, Any], where: dict[str, Any], into: Table, rows: list[dict]
    ) -> str:
        # Each value is cast to its column's type: a NULL parameter has none of its own.
        casts = [into.fields[a].cast_db_type(connection) for a in rows[0]]
        one = "(" + ", ".join(f"CAST(%s AS {cast})" for cast in casts) + ")"
        return (
            f"WITH moved AS ({self._update_sql(values, where)} RETURNING 1)"  # noqa: S608
            f" INSERT INTO {into.name} ({into._column_list(tuple(rows[0]))})"
            f" SELECT * FROM (VALUES {', '.join([one] * len(rows))}) AS v"
            " WHERE EXISTS (SELECT FROM moved)"
        )

    def insert(self, cursor, rows: Iterable[dict[str, Any]]) -> None:
        """INSERT several rows, all with the same keys, in one statement."""
        rows = list(rows)
        if not rows:
            return
        names = tuple(rows[0])
        sql = self._statement(("insert", names, len(rows)), self._insert_sql, names, len(rows))
        cursor.execute(sql, self._insert_params(rows, names))

    def _column_list(self, names: tuple[str, ...]) -> str:
        return ", ".join(connection.ops.quote_name(self.fields[a].column) for a in names)

    def _insert_sql(self, names: tuple[str, ...], count: int) -> str:
        one = "(" + ", ".join(["%s"] * len(names)) + ")"
        values = ", ".join([one] * count)
        return f"INSERT INTO {self.name} ({self._column_list(names)}) VALUES {values}"  # noqa: S608

    def _insert_params(self, rows: list[dict[str, Any]], names: tuple[str, ...]) -> list:
        prep = self._preps()
        return [prep[a](row[a]) for row in rows for a in names]

    def _preps(self) -> dict[str, Callable[[Any], Any]]:
        """Per column, what turns a Python value into the database's: what the field's
        get_db_prep_save does for the values this module is given, without its detours
        (each goes through the thread-local connection proxy several times)."""
        if self._prep is None:
            db = connections[connection.alias]
            self._prep = {}
            for attname, field in self.fields.items():
                if isinstance(field, models.DateTimeField):
                    adapt = db.ops.adapt_datetimefield_value
                elif isinstance(field, models.JSONField):
                    adapt = functools.partial(field.get_db_prep_save, connection=db)
                else:
                    adapt = _same
                self._prep[attname] = functools.partial(_unless_none, adapt)
        return self._prep


def _same(value: Any) -> Any:
    return value


def _unless_none(adapt: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else adapt(value)


class Increment:
    """Marks a column to be increased by one in `Table.update`."""
