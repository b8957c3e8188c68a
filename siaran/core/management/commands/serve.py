"""`siaran serve`: the production web server (gunicorn), with static files under hashed
names served by WhiteNoise. `siaran runserver` (`make run`) stays the development server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError


def default_workers() -> int:
    # Threaded workers: one process per core and a spare, each with a few threads, so
    # that a long download or export does not hold a whole process; capped for small
    # machines that also run the worker and the database.
    return min(2 * (os.cpu_count() or 1) + 1, 9)


class Command(BaseCommand):
    help = "Serve Siaran in production: gunicorn, static files collected and compressed."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="processes (default: 2×cores+1, at most 9)",
        )
        parser.add_argument("--threads", type=int, default=4, help="threads per process")
        parser.add_argument(
            "--timeout",
            type=int,
            default=120,
            help="seconds a process may hang before it is restarted (a streaming download "
            "keeps its process alive)",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="the static files were collected already (by a release step)",
        )

    def handle(self, *args, host, port, workers, threads, timeout, no_collectstatic, **options):
        gunicorn = shutil.which("gunicorn", path=os.path.dirname(sys.executable)) or shutil.which(
            "gunicorn"
        )
        if gunicorn is None:
            raise CommandError("gunicorn is not installed: pip install gunicorn")
        env = {**os.environ, "SIARAN_STATIC_HASHED": "1"}
        if not no_collectstatic:
            # In a process of its own: this one's settings were read without hashed names.
            collect = [sys.executable, "-m", "siaran", "collectstatic", "--noinput", "-v", "0"]
            if subprocess.run(collect, env=env).returncode != 0:
                raise CommandError("The static files could not be collected.")
        command = [
            gunicorn,
            "config.wsgi:application",
            f"--bind={_address(host, port)}",
            f"--workers={workers}",
            "--worker-class=gthread",
            f"--threads={threads}",
            f"--timeout={timeout}",
            "--graceful-timeout=30",
            "--keep-alive=5",
            # A process is renewed now and then, so that a slow leak never grows for weeks.
            "--max-requests=2000",
            "--max-requests-jitter=200",
            "--access-logfile=-",
            "--error-logfile=-",
        ]
        self.stdout.write(f"Siaran serves on http://{_address(host, port)}/ ({workers}×{threads})")
        sys.stdout.flush()
        os.execve(gunicorn, command, env)  # noqa: S606 (gunicorn takes this process's place)


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
