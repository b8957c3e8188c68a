"""`siaran sandbox`: the platform sandboxes the demo's channel accounts point at."""

from __future__ import annotations

import contextlib
import signal
import threading

from django.core.management.base import BaseCommand

from siaran.publishing.sandbox import DEMO_PORTS, SANDBOXES


class Command(BaseCommand):
    help = (
        "Serve local stand-ins for the platforms' APIs on 127.0.0.1 (WordPress, Instagram, "
        "Facebook, X, YouTube, TikTok) until stopped. The demo's channels post here: "
        "nothing reaches a real platform."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host: str = "127.0.0.1", **options):
        running = []
        for name, sandbox in SANDBOXES.items():
            running.append(sandbox(host, DEMO_PORTS[name]).start())
            self.stdout.write(f"{name:10} {running[-1].url}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        for sandbox in running:
            sandbox.stop()
