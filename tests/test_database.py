import os

import pytest
from django.db import connection

from tests.conftest import need
from tests.test_commands import siaran


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_given():
    url = os.environ.get("DATABASE_URL", "")
    expected = "postgresql" if url.startswith(("postgres", "pgsql")) else "sqlite"
    assert connection.vendor == expected
    if expected == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            assert int(cursor.fetchone()[0]) >= 130000


def test_embedded_database_runs_in_wal_mode(tmp_path):
    code = (
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    result = siaran("shell", "-c", code, env={"DATABASE_URL": ""}, tmp_data=tmp_path / "data")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "wal"


def test_postgresql_is_reachable_in_ci():
    """CI runs the suite on PostgreSQL too; a missing server must fail there, not skip."""
    import psycopg

    url = os.environ.get("CI_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            version = conn.execute("SHOW server_version_num").fetchone()[0]
    except psycopg.OperationalError as error:
        need(False, f"PostgreSQL at {url}: {error}")
        return
    assert int(version) >= 130000
