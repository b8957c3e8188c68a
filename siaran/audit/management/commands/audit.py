"""`siaran audit verify` and `siaran audit anchor`."""

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from siaran.audit import actions, verify


class Command(BaseCommand):
    help = "Check the audit trail (verify) or seal today's heads of every chain (anchor)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        check = commands.add_parser(
            "verify", help="check every chain and anchor; exit 1 at a break"
        )
        check.add_argument(
            "--anchors",
            nargs="+",
            metavar="FILE",
            help="anchors kept outside Siaran (the mailed JSON files): each must be in the "
            "database as it was sent",
        )
        anchor = commands.add_parser("anchor", help="seal the heads of every chain for a day")
        anchor.add_argument("--day", help="YYYY-MM-DD (default: today)")

    def handle(self, *args, command, day=None, anchors=None, **options):
        if command == "verify":
            copies = _copies(anchors) if anchors else None
            problem = verify.first_break(copies)
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


def _copies(files: list[str]) -> list[dict]:
    """The anchors in the files: one anchor, a list of them (as the page's download), or
    one anchor per line."""
    copies = []
    for name in files:
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("%(file)s cannot be read: %(reason)s") % {"file": name, "reason": error}
            ) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            try:
                data = [json.loads(line) for line in text.splitlines() if line.strip()]
            except json.JSONDecodeError:
                raise CommandError(
                    _("%(file)s is not an anchor file (JSON).") % {"file": name}
                ) from None
        for item in data if isinstance(data, list) else [data]:
            if not isinstance(item, dict) or "hash" not in item or "day" not in item:
                raise CommandError(_("%(file)s is not an anchor file (JSON).") % {"file": name})
            copies.append(item)
    return copies
