"""Health checks for the service manager and the load balancer.

`/healthz`: the process answers (no database, nothing else), for a restart when it hangs.
`/readyz`: it can do its work: the database answers, the task queue can be read (and on
RQ, Redis answers), and a file can be written where uploads are kept. Each check says in
a sentence what failed, so that the operator reading the JSON knows where to look.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# A task still waiting this long after its time suggests that no worker is running.
LATE_AFTER = dt.timedelta(minutes=10)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "alive"})


@never_cache
@require_GET
def readyz(request):
    checks = {
        "database": _check(_database, "The database does not answer"),
        "tasks": _check(_tasks, "The task queue cannot be read"),
        "media": _check(_media, "Uploaded files cannot be written"),
    }
    if _on_rq():
        checks["redis"] = _check(_redis, "Redis does not answer")
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status=200 if ready else 503,
    )


def _check(probe, failure: str) -> dict:
    try:
        return {"ok": True, **probe()}
    except Exception as error:  # any failure is the answer, never a 500
        return {"ok": False, "error": f"{failure}: {type(error).__name__}: {error}".strip()}


def _database() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"engine": connection.vendor}


def _on_rq() -> bool:
    return settings.TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend"


def _tasks() -> dict:
    if _on_rq():
        return {"backend": "rq"}
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    # Reported, not failed: a web server is ready to serve while the worker is down.
    late = waiting.filter(run_after__lt=timezone.now() - LATE_AFTER).count()
    return {"backend": "database", "late": late}


def _redis() -> dict:
    import django_rq

    django_rq.get_connection("default").ping()
    return {}


def _media() -> dict:
    root = str(settings.MEDIA_ROOT)
    os.makedirs(root, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".readyz-") as probe:
        probe.write(b"ok")
        probe.flush()
        os.fsync(probe.fileno())
    return {}
