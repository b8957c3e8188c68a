"""`siaran invite EMAIL --org SLUG [--admin] [--name NAME]`: invite someone to an institution.

The invitation is mailed, and its link printed, so that an operator without a mail server
can pass it on. Every mistake is told plainly, in Indonesian unless `--lang en`, with exit
status 1 and nothing changed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from siaran.orgs import actions
from siaran.orgs.actions import OrgError


class Command(BaseCommand):
    help = "Invite EMAIL to the institution SLUG by a single-use link that expires."

    def add_arguments(self, parser):
        parser.add_argument("email", metavar="EMAIL")
        parser.add_argument("--org", default="", metavar="SLUG")
        parser.add_argument("--admin", action="store_true", help="as its administrator")
        parser.add_argument("--name", default="", metavar="NAME")
        parser.add_argument("--lang", default="id", metavar="id|en")

    def handle(self, *args, email, org, admin, name, lang, **options):
        with translation.override("en" if lang == "en" else "id"):
            if not org:
                raise CommandError(translation.gettext("Name the institution: --org SLUG."))
            try:
                invitation = actions.invitation_send(
                    organization=org, email=email, is_admin=admin, name=name
                )
            except OrgError as error:
                raise CommandError(str(error)) from None
            self.stdout.write(
                translation.gettext("Invitation for %(email)s to %(org)s, valid until %(time)s:")
                % {
                    "email": invitation.email,
                    "org": invitation.organization.name,
                    "time": invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC"),
                }
            )
            self.stdout.write(invitation.link)
