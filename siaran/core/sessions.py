"""Django's database sessions, read with a hand-written statement.

Every signed-in page reads its session first. The ORM's `Session.objects.get(...)` spent
more time compiling its SELECT than the database spent answering it (bench/README.md,
figure 3), so the read is written out; saving, expiring and deleting stay Django's.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        model = self.model
        connection = connections[router.db_for_read(model)]
        table = connection.ops.quote_name(model._meta.db_table)
        # The same rows Django's get(session_key=..., expire_date__gt=now) finds; the
        # moment is adapted as the ORM would store it (naive UTC text on SQLite).
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608 (our table)
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
