"""`siaran dbcopy --to URL`: this install's database into another, empty one (SQLite to
PostgreSQL as an install grows), streamed table by table from one snapshot."""

import os
import subprocess
import sys

import dj_database_url
from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction
from django.utils.translation import gettext as _

from siaran.core import tables

TARGET = "dbcopy-target"


class Command(BaseCommand):
    help = (
        "Copy the database into another, empty database (postgres://user@host/name or "
        "sqlite:////path), then check every table's row count and the audit trail there."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, metavar="URL", help="the empty target database")

    def handle(self, *args, to, **options):
        try:
            config = dj_database_url.parse(to)
        except Exception:
            raise CommandError(_("%(url)s is not a database address.") % {"url": to}) from None
        source = connections["default"].settings_dict
        if (config.get("ENGINE"), str(config.get("NAME")), config.get("HOST") or "") == (
            source["ENGINE"],
            str(source["NAME"]),
            source.get("HOST") or "",
        ):
            raise CommandError(_("The target is this install's own database."))
        tables.add_alias(TARGET, config)
        try:
            self._copy(to)
        finally:
            tables.drop_alias(TARGET)

    def _copy(self, url):
        try:
            held = tables.holdings(TARGET) if tables.existing_tables(TARGET) else {}
        except Exception as error:
            raise CommandError(
                _("The target database cannot be reached: %(error)s") % {"error": error}
            ) from None
        if held:
            raise CommandError(
                _("The target database is not empty (%(tables)s): copy into a new database.")
                % {"tables": ", ".join(sorted(held)[:3])}
            )
        # Migrated by a process of its own that knows the target as its only database, so
        # that what `migrate` sets up (planned tasks, first anchors) lands there, not here.
        env = {**os.environ, "DATABASE_URL": url}
        if subprocess.run(
            [sys.executable, "-m", "siaran", "migrate", "--noinput", "-v", "0"], env=env
        ).returncode:
            raise CommandError(_("The target database could not be migrated."))
        copied = {}
        with tables.snapshot() as source:
            if tables.migrations(source) != tables.migrations(TARGET):
                raise CommandError(
                    _("This database is not fully migrated: run `siaran migrate` first.")
                )
            with transaction.atomic(using=TARGET):
                tables.clear_made_by_migrate(TARGET)
                for model in tables.all_models():
                    count = 0
                    for batch in tables.batches(tables.rows(model, source)):
                        count += tables.insert(model, batch, TARGET)
                    copied[tables.label(model)] = count
                tables.reset_sequences(TARGET)
            there = tables.counts(TARGET)
        for name, count in copied.items():
            if there[name] != count:
                raise CommandError(
                    _("The table %(name)s has %(got)d rows in the target, not %(want)d.")
                    % {"name": name, "got": there[name], "want": count}
                )
            if count:
                self.stdout.write(f"{name}: {count}")
        self.stdout.write(
            _("Copied %(rows)d rows of %(tables)d tables; every count matches.")
            % {"rows": sum(copied.values()), "tables": len(copied)}
        )
        verify = [sys.executable, "-m", "siaran", "audit", "verify"]
        if subprocess.run(verify, env=env).returncode:
            raise CommandError(_("The audit trail does not hold in the target database."))
        self.stdout.write(
            _(
                "Next: set DATABASE_URL to the target for the web server and the worker, "
                "and restart them."
            )
        )
