"""`siaran channels_check`: warn administrators of channel access about to expire.

Run it daily (cron, a systemd timer). Publishing warns too, whenever a post goes out
through an account whose access ends within a week.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from siaran.publishing.actions import channel_tokens_check


class Command(BaseCommand):
    help = "Email administrators whose channel access expires within a week (once per expiry)."

    def handle(self, *args, **options):
        for account in channel_tokens_check():
            self.stdout.write(
                f"{account.organization.slug}\t{account.channel}\t{account.token_expires_at}"
            )
