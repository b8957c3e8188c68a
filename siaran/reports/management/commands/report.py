"""`siaran report monitoring`: the SOP monitoring form as a spreadsheet or a PDF.

    siaran report monitoring --sop ID [--from DATE --to DATE] [--org SLUG]
                             --format xlsx|pdf -o FILE [--lang id|en]

Every mistake is told plainly, in Indonesian unless `--lang en`, with exit status 1 and
nothing written. Arguments are checked here rather than by argparse, whose own messages
are English only.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from siaran.core import sops
from siaran.orgs.models import Organization, OrgSop
from siaran.reports import selectors
from siaran.reports.pdf import render_pdf
from siaran.reports.selectors import PeriodError, parse_period
from siaran.reports.xlsx import render_xlsx

FORMATS = ("xlsx", "pdf")


class Command(BaseCommand):
    help = "SOP reports: `report monitoring` writes the monitoring form as XLSX or PDF."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="report", required=True, metavar="{monitoring}")
        monitoring = commands.add_parser(
            "monitoring", help="the SOP monitoring form of one SOP over a period"
        )
        monitoring.add_argument("--sop", default="", metavar="ID")
        monitoring.add_argument("--from", dest="first", default="", metavar="YYYY-MM-DD")
        monitoring.add_argument("--to", dest="last", default="", metavar="YYYY-MM-DD")
        monitoring.add_argument(
            "--org", default="", metavar="SLUG", help="needed when several institutions run it"
        )
        monitoring.add_argument("--format", dest="format", default="", metavar="xlsx|pdf")
        monitoring.add_argument("-o", "--output", default="", metavar="FILE")
        monitoring.add_argument("--lang", default="id", metavar="id|en")

    def handle(self, *args, report, lang, **options):
        with translation.override("en" if lang == "en" else "id"):
            if lang not in ("id", "en"):
                raise CommandError(_("Choose the language id or en."))
            self.monitoring(options, lang)

    def monitoring(self, options: dict, lang: str) -> None:
        format = options["format"].lower()
        if format not in FORMATS:
            raise CommandError(
                _("Choose the format with --format xlsx or --format pdf (not %(given)s).")
                % {"given": repr(options["format"])}
            )
        if not options["output"]:
            raise CommandError(_("Name the file to write with -o FILE."))
        if not options["sop"]:
            raise CommandError(_("Name the SOP with --sop ID."))
        sop_id = options["sop"]
        # An SOP an institution uploaded is not in the deployment's catalog.
        if sops.find(sop_id) is None and not OrgSop.objects.filter(sop_id=sop_id).exists():
            known = ", ".join(s.id for s in sops.available())
            raise CommandError(
                _("No SOP has the id %(id)s. Known: %(known)s")
                % {"id": repr(sop_id), "known": known}
            )
        organization = self.organization(sop_id, options["org"])
        sop = sops.running(organization, sop_id)
        zone = organization.time_zone
        today = timezone.localtime(timezone.now(), ZoneInfo(zone)).date()
        try:
            period = parse_period(options["first"], options["last"], zone, today)
        except PeriodError as error:
            raise CommandError(str(error)) from error
        report = selectors.monitoring(organization, sop, period)
        data = render_xlsx(report, lang) if format == "xlsx" else render_pdf(report, lang)
        try:
            Path(options["output"]).write_bytes(data)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s")
                % {"file": options["output"], "error": error.strerror or error}
            ) from error
        self.stdout.write(
            _("%(file)s: the monitoring form of %(sop)s at %(org)s, %(first)s to %(last)s")
            % {
                "file": options["output"],
                "sop": sop.id,
                "org": organization.slug,
                "first": period.first.isoformat(),
                "last": period.last.isoformat(),
            }
        )

    def organization(self, sop_id: str, slug: str) -> Organization:
        """The institution to report on: the one running the SOP, or the one named."""
        running = Organization.objects.filter(sops__sop_id=sop_id).order_by("slug").distinct()
        if slug:
            found = running.filter(slug=slug).first()
            if found is None:
                raise CommandError(
                    _("No institution %(org)s runs the SOP %(sop)s.")
                    % {"org": repr(slug), "sop": sop_id}
                )
            return found
        found = list(running[:20])
        if not found:
            raise CommandError(_("No institution runs the SOP %(sop)s yet.") % {"sop": sop_id})
        if len(found) > 1:
            raise CommandError(
                _("Several institutions run the SOP %(sop)s; choose one with --org: %(orgs)s")
                % {"sop": sop_id, "orgs": ", ".join(o.slug for o in found)}
            )
        return found[0]
