"""`siaran audit verify` and `siaran audit anchor`."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from siaran.audit import actions, verify


class Command(BaseCommand):
    help = "Check the audit trail (verify) or seal today's heads of every chain (anchor)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        commands.add_parser("verify", help="check every chain and anchor; exit 1 at a break")
        anchor = commands.add_parser("anchor", help="seal the heads of every chain for a day")
        anchor.add_argument("--day", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, command, day=None, **options):
        if command == "verify":
            problem = verify.first_break()
            if problem is not None:
                self.stderr.write(
                    _("The audit trail is broken: %(problem)s") % {"problem": problem}
                )
                raise SystemExit(1)
            self.stdout.write(_("The audit trail holds: every chain and every anchor."))
            return
        try:
            when = dt.date.fromisoformat(day) if day else None
        except ValueError as error:
            raise CommandError(_("Write the date as YYYY-MM-DD.")) from error
        for sealed in actions.anchor_all(when):
            self.stdout.write(
                _("Anchored %(day)s for institution %(org)s: %(n)d chains.")
                % {
                    "day": sealed.day.isoformat(),
                    "org": sealed.organization_id,
                    "n": len(sealed.heads),
                }
            )
