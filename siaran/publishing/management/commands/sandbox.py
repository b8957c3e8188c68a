"""`siaran sandbox`: the platform sandboxes the demo's channel accounts point at."""

from __future__ import annotations

import contextlib
import signal
import threading
import urllib.parse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from siaran.publishing.sandbox import DEFAULT_URL, SANDBOXES


class Command(BaseCommand):
    help = (
        "Serve local stand-ins for the platforms' APIs and their OAuth pages (Instagram, "
        "Facebook, X, YouTube, TikTok, WordPress) on consecutive ports from --port on "
        "until stopped. The demo's channels post here: nothing reaches a real platform."
    )

    def add_arguments(self, parser):
        first = urllib.parse.urlsplit(settings.SIARAN_SANDBOX_URL or DEFAULT_URL)
        parser.add_argument("--host", default=first.hostname or "127.0.0.1")
        parser.add_argument(
            "--port",
            type=int,
            default=first.port or 8701,
            help="the first port: Instagram's; the others follow it, one each "
            "(default: the port of SIARAN_SANDBOX_URL, else 8701)",
        )

    def handle(self, *args, host: str = "127.0.0.1", port: int = 8701, **options):
        if not 0 < port <= 65535 - len(SANDBOXES):
            raise CommandError(f"--port must leave room for {len(SANDBOXES)} ports")
        running = []
        try:
            for offset, (name, sandbox) in enumerate(SANDBOXES.items()):
                running.append(sandbox(host, port + offset).start())
                self.stdout.write(f"{name:10} {running[-1].url}")
        except OSError as error:
            for sandbox in running:
                sandbox.stop()
            raise CommandError(f"port {port + len(running)}: {error.strerror}") from error
        self.stdout.write(f"SIARAN_SANDBOX_URL={running[0].url}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        for sandbox in running:
            sandbox.stop()
