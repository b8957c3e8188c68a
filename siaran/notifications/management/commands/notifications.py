"""`siaran notifications digest|schedule`: the daily digest by hand, and its place in the queue."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from siaran.notifications import actions


class Command(BaseCommand):
    help = "Send the daily notification digest now, or queue the next one."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, metavar="{digest,schedule}")
        commands.add_parser("digest", help="mail every digest that waits, now")
        commands.add_parser(
            "schedule", help="queue the next daily digest unless one is queued (safe to repeat)"
        )

    def handle(self, *args, action, **options):
        if action == "digest":
            sent = actions.digest_send()
            self.stdout.write(f"{sent} digest mail(s) sent")
            return
        at = actions.digest_schedule()
        if at is None:
            self.stdout.write("the next digest is already queued")
        else:
            self.stdout.write(f"next digest queued for {timezone.localtime(at):%Y-%m-%d %H:%M %Z}")
