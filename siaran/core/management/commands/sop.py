"""`siaran sop list|show|check|render|install`: the SOPs this deployment runs, a checker
for SOP files, the SOP form as a PDF or an HTML page, and an SOP given to an institution."""

from __future__ import annotations

import json
import shutil
import sys
import textwrap
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import formats, translation
from django.utils.translation import gettext as _

from siaran.core import sops
from siaran.core.templatetags.siaran import channel_label, has_inferences, localized, step_time
from siaran.documents.sop_document import (
    inferred_note,
    inferred_reasons,
    render_html,
    render_pdf,
)
from siaran.orgs import actions
from siaran.orgs.actions import OrgError, SopFileInvalid
from siaran.orgs.models import Organization
from siaran.sop.export import sop_as_json
from siaran.sop.load import check_file, read_file
from siaran.sop.model import Sop


class Command(BaseCommand):
    help = "List, show and check SOP definitions."
    requires_system_checks = []  # `sop check` must work on a half-configured machine

    def add_arguments(self, parser):
        commands = parser.add_subparsers(
            dest="action", required=True, metavar="{list,show,check,render,install}"
        )
        listing = commands.add_parser("list", help="every available SOP: id, name, institution")
        listing.add_argument("--lang", choices=["id", "en"], default="id")
        show = commands.add_parser("show", help="one SOP as a table, or as JSON")
        show.add_argument("sop_id", metavar="ID")
        show.add_argument("--json", action="store_true", help="the definition as JSON")
        show.add_argument("--lang", choices=["id", "en"], default="id")
        check = commands.add_parser("check", help="check SOP files; exit 1 on any problem")
        check.add_argument("files", nargs="+", metavar="FILE")
        check.add_argument("--lang", choices=["id", "en"], default="id")
        render = commands.add_parser("render", help="the SOP form as a PDF or an HTML page")
        render.add_argument("sop_id", metavar="ID")
        render.add_argument("--format", choices=["pdf", "html"], required=True, dest="format")
        render.add_argument("-o", "--output", required=True, metavar="FILE")
        render.add_argument("--lang", choices=["id", "en"], default="id")
        install = commands.add_parser(
            "install",
            help="an institution runs this SOP file (a new version of an SOP it runs: new "
            "cases start on it), or a shipped SOP with --shipped ID",
        )
        install.add_argument("file", nargs="?", metavar="FILE")
        install.add_argument("--shipped", default="", metavar="ID")
        install.add_argument("--org", default="", metavar="SLUG")
        install.add_argument("--lang", choices=["id", "en"], default="id")

    def handle(self, *args, action, lang, **options):
        with translation.override(lang):
            if action == "list":
                self.list()
            elif action == "show":
                self.show(options["sop_id"], as_json=options["json"])
            elif action == "render":
                self.render(options["sop_id"], options["format"], options["output"], lang)
            elif action == "install":
                self.install(options["file"], options["shipped"], options["org"])
            else:
                self.check(options["files"])

    def list(self) -> None:
        for sop in sops.available():
            self.stdout.write(f"{sop.id}\t{localized(sop, 'name')}\t{sop.institution}")
        self.warn_left_out()

    def warn_left_out(self) -> None:
        for problem in sops.catalog().problems:
            self.stderr.write(_("left out: %(problem)s") % {"problem": problem.render(_)})

    def find(self, sop_id: str) -> Sop:
        sop = sops.find(sop_id)
        if sop is None:
            known = ", ".join(s.id for s in sops.available())
            raise CommandError(
                _("No SOP has the id %(id)s. Known: %(known)s")
                % {"id": repr(sop_id), "known": known}
            )
        return sop

    def show(self, sop_id: str, as_json: bool) -> None:
        sop = self.find(sop_id)
        if as_json:
            self.stdout.write(json.dumps(sop_as_json(sop), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_table(sop, shutil.get_terminal_size((160, 40)).columns))

    def render(self, sop_id: str, format: str, output: str, lang: str) -> None:
        sop = self.find(sop_id)
        data = render_pdf(sop, lang) if format == "pdf" else render_html(sop, lang).encode()
        try:
            Path(output).write_bytes(data)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s")
                % {"file": output, "error": error.strerror or error}
            ) from error
        self.stdout.write(_("%(file)s: written") % {"file": output})

    def check(self, files: list[str]) -> None:
        failed = 0
        for name in files:
            sop, problems = check_file(name)
            if problems or sop is None:
                failed += 1
                for problem in problems:
                    self.stdout.write(problem.render(_))
            else:
                self.stdout.write(
                    _("%(file)s: valid (%(id)s, %(steps)d steps, %(lanes)d lanes)")
                    % {"file": name, "id": sop.id, "steps": len(sop.steps), "lanes": len(sop.lanes)}
                )
        if failed:
            self.stdout.write(
                _("%(failed)d of %(total)d files have problems.")
                % {"failed": failed, "total": len(files)}
            )
            sys.exit(1)

    def install(self, file: str | None, shipped: str, slug: str) -> None:
        if bool(file) == bool(shipped):
            raise CommandError(_("Name an SOP file, or a shipped SOP with --shipped ID."))
        if not slug:
            raise CommandError(_("Name the institution with --org SLUG."))
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(
                _("No institution has the short address %(org)s.") % {"org": repr(slug)}
            )
        text = None
        if file:
            text, problems = read_file(file)
            if text is None:
                self.fail(problems)
        try:
            install = actions.sop_install(
                operator=None,
                organization=organization,
                shipped=shipped,
                text=text,
                file_name=file or "",
            )
        except SopFileInvalid as error:
            self.fail(error.problems)
        except OrgError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("%(org)s runs %(id)s from now on (version %(sha)s); running cases keep theirs.")
            % {"org": slug, "id": install.org_sop.sop_id, "sha": install.version.sha256[:12]}
        )

    def fail(self, problems) -> None:
        """Every problem of a file as `sop check` prints it, then exit 1: nothing saved."""
        for problem in problems:
            self.stdout.write(problem.render(_))
        self.stdout.write(_("Nothing was installed."))
        sys.exit(1)


def _date(value) -> str:
    return formats.date_format(value, "j F Y") if value else "-"


def render_table(sop: Sop, width: int = 160) -> str:
    """The SOP the way the paper form reads: identity block, lanes, then the steps."""
    lines = [localized(sop, "name"), "=" * min(width, len(localized(sop, "name")))]

    def signatory(person) -> str:
        text = ", ".join(p for p in (person.name, person.title) if p)
        return f"{text} · NIP {person.nip}" if person.nip else text

    identity = [
        (_("SOP number"), sop.number),
        (_("Institution"), sop.institution),
        (_("Date made"), _date(sop.made)),
        (
            _("Revision"),
            (sop.revision or "-") + (f" ({_date(sop.revised)})" if sop.revised else ""),
        ),
        (_("Effective"), _date(sop.effective)),
    ]
    if sop.prepared_by:
        identity.append((_("Prepared by"), signatory(sop.prepared_by)))
    identity += [(_("Examined by"), signatory(person)) for person in sop.examined_by]
    identity.append((_("Ratified by"), signatory(sop.approved_by)))
    label_width = max(len(label) for label, _value in identity)
    lines += [f"{label.ljust(label_width)} : {value}" for label, value in identity]
    for title, items in (
        (_("Legal basis"), sop.legal_basis),
        (_("Implementer qualifications"), sop.qualifications),
        (_("Related SOPs"), sop.related),
        (_("Equipment"), sop.equipment),
        (_("Warnings"), sop.warnings),
        (_("Records"), sop.records),
    ):
        lines.append("")
        lines.append(f"{title}:")
        lines += [f"  {i}. {item}" for i, item in enumerate(items, 1)] or ["  -"]

    lines += ["", f"{_('Implementers')}:"]
    for i, lane in enumerate(sop.lanes, 1):
        holder = f" ({lane.holder})" if lane.holder else ""
        lines.append(f"  {i}. {localized(lane, 'name')}{holder}  [{lane.id}]")

    lane_names = {lane.id: localized(lane, "name") for lane in sop.lanes}
    headers = [
        _("No."),
        _("Activity"),
        _("Implementer"),
        _("Inputs"),
        _("Time"),
        _("Output"),
        _("Remarks"),
    ]
    rows = []
    for step in sop.steps:
        activity = localized(step, "activity")
        for outcome in step.outcomes:
            target = outcome.next or _("end")
            mark = " *" if outcome.inferred else ""
            activity += f"\n{localized(outcome, 'label')} -> {target}{mark}"
        if step.channels:
            activity += "\n" + ", ".join(channel_label(c) for c in step.channels)
        lane = lane_names.get(step.lane, step.lane) + (" *" if "lane" in step.inferred else "")
        rows.append(
            [
                step.no or "",
                activity,
                lane,
                "\n".join(step.inputs),
                step_time(step),
                step.output,
                step.remarks,
            ]
        )
    lines += ["", _table(headers, rows, width)]
    if has_inferences(sop):
        lines.append("* " + inferred_note())
        lines += [f"* {reason}" for reason in inferred_reasons(sop)]
    return "\n".join(lines)


def _table(headers: list[str], rows: list[list[str]], width: int) -> str:
    """A plain-text grid whose long cells wrap inside their column."""
    shares = [4, 34, 20, 20, 12, 16, 14]  # relative widths of the columns
    usable = max(width, 100) - 3 * len(headers) - 1
    widths = [max(len(h), usable * s // sum(shares)) for h, s in zip(headers, shares, strict=True)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def render(cells: list[str]) -> list[str]:
        wrapped = [
            [line for part in str(cell).split("\n") for line in (textwrap.wrap(part, w) or [""])]
            for cell, w in zip(cells, widths, strict=True)
        ]
        height = max(len(c) for c in wrapped)
        return [
            "| "
            + " | ".join(
                (c[i] if i < len(c) else "").ljust(w) for c, w in zip(wrapped, widths, strict=True)
            )
            + " |"
            for i in range(height)
        ]

    out = [rule, *render(headers), rule.replace("-", "=")]
    for row in rows:
        out += render(row)
        out.append(rule)
    return "\n".join(out)
