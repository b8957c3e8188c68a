"""`siaran org create|list`: the institutions of this install, for the operator's scripts;
the same actions as the operator's pages (/operator/)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from siaran.orgs import actions
from siaran.orgs.actions import OrgError
from siaran.orgs.models import Organization


class Command(BaseCommand):
    help = "Create and list institutions."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True, metavar="{create,list}")
        create = commands.add_parser(
            "create", help="a new institution, with the working calendar and national holidays"
        )
        create.add_argument("slug", metavar="SLUG", help="its short address, e.g. balai-uji")
        # Not required by argparse: a missing name is told in a sentence, exit status 1.
        create.add_argument("--name", default="", metavar="NAME")
        create.add_argument("--short-name", default="", metavar="NAME")
        create.add_argument("--parent", default="", metavar="NAME", help="ministry or directorate")
        create.add_argument("--time-zone", default="Asia/Jakarta", metavar="ZONE")
        create.add_argument(
            "--unit", action="append", default=[], metavar="NAME", help="a unit; repeat for more"
        )
        create.add_argument("--lang", choices=["id", "en"], default="id")
        listing = commands.add_parser("list", help="every institution: slug, name, SOPs")
        listing.add_argument("--lang", choices=["id", "en"], default="id")

    def handle(self, *args, action, lang, **options):
        with translation.override(lang):
            if action == "create":
                self.create(**options)
            else:
                self.list()

    def create(self, *, slug, name, short_name, parent, time_zone, unit, **_options) -> None:
        try:
            organization = actions.organization_create(
                operator=None,
                slug=slug,
                name=name,
                short_name=short_name,
                parent=parent,
                time_zone=time_zone,
                units=unit,
            )
        except OrgError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            _("%(slug)s: created (%(name)s, %(holidays)d days off on its calendar)")
            % {
                "slug": organization.slug,
                "name": organization.name,
                "holidays": organization.holidays.count(),
            }
        )

    def list(self) -> None:
        for organization in Organization.objects.order_by("slug").prefetch_related("sops"):
            run = ", ".join(sorted(s.sop_id for s in organization.sops.all() if s.active))
            self.stdout.write(f"{organization.slug}\t{organization.name}\t{run}")
