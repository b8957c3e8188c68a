"""`siaran notifications digest|schedule|timers`: the daily digest by hand, its place in the
queue, and the step timers' chain."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from siaran.notifications import actions


class Command(BaseCommand):
    help = "Send the daily notification digest now, queue the next one, or the step timers."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(
            dest="action", required=True, metavar="{digest,schedule,timers}"
        )
        commands.add_parser("digest", help="mail every digest that waits, now")
        commands.add_parser(
            "schedule", help="queue the next daily digest unless one is queued (safe to repeat)"
        )
        commands.add_parser(
            "timers",
            help="queue the step timers (reminders, escalations) unless they are queued; "
            "on RQ, run it once",
        )

    def handle(self, *args, action, **options):
        if action == "digest":
            sent = actions.digest_send()
            self.stdout.write(f"{sent} digest mail(s) sent")
            return
        if action == "timers":
            at = actions.step_timers_plan()
            if at is None:
                self.stdout.write("the step timers are already queued")
            else:
                self.stdout.write(f"step timers queued for {timezone.localtime(at):%H:%M:%S %Z}")
            return
        at = actions.digest_schedule()
        if at is None:
            self.stdout.write("the next digest is already queued")
        else:
            self.stdout.write(f"next digest queued for {timezone.localtime(at):%Y-%m-%d %H:%M %Z}")
