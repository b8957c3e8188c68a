"""Every table of Siaran, read and written row by row through the ORM, on either engine.

The one mechanism behind `siaran backup`, `siaran restore` and `siaran dbcopy`: a
consistent snapshot of the source (SQLite's online backup API into a file beside the
database, or a repeatable-read, read-only transaction on PostgreSQL), its rows streamed
table by table in batches, written into an empty database with their own primary keys
and timestamps, unchanged (the audit chains hash them), in one transaction, after which
PostgreSQL's sequences are moved past the highest key. Rows travel as JSON values, so
a backup of SQLite restores into PostgreSQL and back.
"""

from __future__ import annotations

import base64
import datetime as dt
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connections, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.db.models.sql.subqueries import InsertQuery

BATCH = 1000

# Rows that `migrate` writes into a new database by itself (content types, permissions,
# the tasks it plans): a database holding only these is empty, and they are replaced by
# the copied ones.
MADE_BY_MIGRATE = {
    "contenttypes.contenttype",
    "auth.permission",
    "django_tasks_database.dbtaskresult",
}


def label(model) -> str:
    return model._meta.label_lower


def all_models() -> list[type[models.Model]]:
    """Every table Siaran keeps, the many-to-many ones included, each after the tables
    its foreign keys point at (constraints are deferred to the commit anyway, so a cycle
    only needs some order)."""
    found = [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]
    known = set(found)
    ordered: list = []
    done: set = set()

    def visit(model, path: tuple) -> None:
        if model in done or model in path:
            return
        for field in model._meta.concrete_fields:
            target = field.related_model if field.is_relation else None
            if target is not None and target is not model and target in known:
                visit(target._meta.concrete_model, (*path, model))
        done.add(model)
        ordered.append(model)

    for model in sorted(found, key=label):
        visit(model, ())
    return ordered


def attnames(model) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


# -- Database aliases made on the fly --------------------------------------------------


def add_alias(alias: str, settings_dict: dict) -> str:
    """A database connection named `alias` from a settings dict (dj_database_url's)."""
    config = {
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {},
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {"CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None, "NAME": None},
        **settings_dict,
    }
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**config["OPTIONS"], **settings.SQLITE_OPTIONS}
    connections.settings[alias] = config
    return alias


def drop_alias(alias: str) -> None:
    if alias in connections.settings:
        connections[alias].close()
        del connections.settings[alias]
        if hasattr(connections._connections, alias):
            delattr(connections._connections, alias)


@contextmanager
def snapshot(alias: str = "default") -> Iterator[str]:
    """The database at one moment, while Siaran goes on writing: yields the alias to read.

    SQLite: the online backup API copies it into a file beside it (pages written during
    the copy make it restart, so the copy is one moment). PostgreSQL: one repeatable-read,
    read-only transaction sees one moment for every table.
    """
    connection = connections[alias]
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        folder = Path(str(connection.settings_dict["NAME"])).parent
        with tempfile.TemporaryDirectory(dir=folder, prefix=".snapshot-") as temporary:
            copy = Path(temporary) / "snapshot.sqlite3"
            target = sqlite3.connect(copy)
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            name = add_alias(
                f"{alias}-snapshot",
                {"ENGINE": connection.settings_dict["ENGINE"], "NAME": str(copy)},
            )
            try:
                yield name
            finally:
                drop_alias(name)
    else:
        with transaction.atomic(using=alias):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield alias


def migrations(alias: str) -> list[str]:
    """The migrations applied to the database, as "app.name", sorted."""
    recorder = MigrationRecorder(connections[alias])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def code_migrations() -> list[str]:
    """The migrations this version of Siaran has, as "app.name", sorted."""
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    return sorted(f"{app}.{name}" for app, name in loader.disk_migrations)


# -- Reading and writing rows ------------------------------------------------------------


def rows(model, alias: str) -> Iterator[tuple]:
    """The table's rows in key order, as the database holds them."""
    query = model._base_manager.using(alias).order_by("pk").values_list(*attnames(model))
    yield from query.iterator(chunk_size=BATCH)


def encode(value):
    """A value JSON cannot carry itself, as text that the field reads back exactly
    (Django's JSON encoder would cut microseconds, which the audit chains hash)."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return f"{value.days} {value.seconds}.{value.microseconds:06d}"
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError(f"{type(value).__name__} cannot be stored")


def decode(model, values: list) -> list:
    """A row read back from JSON, each value as its field takes it."""
    out = []
    for field, value in zip(model._meta.concrete_fields, values, strict=True):
        if value is None or isinstance(field, models.JSONField):
            out.append(value)
        elif isinstance(field, models.DurationField):
            days, seconds = value.split(" ")
            out.append(dt.timedelta(days=int(days), seconds=float(seconds)))
        else:
            out.append(field.to_python(value))
    return out


def insert(model, batch: Iterable[list], alias: str) -> int:
    """Inserts rows as given: keys, timestamps and all (no auto_now, no signals)."""
    fields = model._meta.concrete_fields
    names = attnames(model)
    objs = [model(**dict(zip(names, values, strict=True))) for values in batch]
    if not objs:
        return 0
    ops = connections[alias].ops
    size = max(1, min(BATCH, ops.bulk_batch_size(fields, objs)))
    for start in range(0, len(objs), size):
        query = InsertQuery(model)
        query.insert_values(fields, objs[start : start + size], raw=True)
        query.get_compiler(using=alias).execute_sql()
    return len(objs)


def batches(items: Iterable, size: int = BATCH) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def existing_tables(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        return set(connections[alias].introspection.table_names(cursor))


def holdings(alias: str) -> dict[str, int]:
    """Rows per table beyond what `migrate` writes: empty for an empty database."""
    tables = existing_tables(alias)
    counts = {}
    for model in all_models():
        if label(model) in MADE_BY_MIGRATE or model._meta.db_table not in tables:
            continue
        count = model._base_manager.using(alias).count()
        if count:
            counts[label(model)] = count
    return counts


def clear_made_by_migrate(alias: str) -> None:
    """Inside the load's transaction: the rows migrate wrote give way to the copied ones."""
    for model in reversed(all_models()):
        if label(model) in MADE_BY_MIGRATE:
            model._base_manager.using(alias).all()._raw_delete(alias)


def reset_sequences(alias: str) -> None:
    """PostgreSQL's next keys after the highest copied (SQLite takes the highest itself)."""
    connection = connections[alias]
    statements = connection.ops.sequence_reset_sql(no_style(), all_models())
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def counts(alias: str) -> dict[str, int]:
    return {label(model): model._base_manager.using(alias).count() for model in all_models()}
