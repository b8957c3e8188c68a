"""`siaran channels_check`: renew channel access ahead of its end, and warn administrators
of access about to expire that Siaran cannot renew.

Run it daily (cron, a systemd timer); hourly does no harm. Publishing renews an access
before each post too, and warns whenever a post goes out through an account whose access
ends within a week.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from siaran.publishing.actions import channel_access_renew_due, channel_tokens_check


class Command(BaseCommand):
    help = (
        "Renew channel access that ends within a day with its refresh token, and email "
        "administrators whose channel access expires within a week (once per expiry)."
    )

    def handle(self, *args, **options):
        for account, outcome in channel_access_renew_due():
            self.stdout.write(f"{account.organization.slug}\t{account.channel}\t{outcome}")
        for account in channel_tokens_check():
            self.stdout.write(
                f"{account.organization.slug}\t{account.channel}\t{account.token_expires_at}"
            )
