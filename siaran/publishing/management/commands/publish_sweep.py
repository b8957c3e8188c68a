"""`siaran publish_sweep`: give every publish job that waits without a task a new one.

Run it every few minutes beside the workers (cron, a systemd timer). Nothing is posted
twice by it: a run claims its job with a conditional update, and a job whose last call's
outcome is unknown asks the platform first.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from siaran.publishing import runner


class Command(BaseCommand):
    help = "Queue a run for publish jobs that are due but may have lost their task."

    def handle(self, *args, **options):
        for job_id in runner.sweep():
            self.stdout.write(f"queued job {job_id}")
