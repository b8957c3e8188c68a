"""The backup passphrase: from a file, the environment, or asked at the terminal."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

ENV = "SIARAN_BACKUP_PASSPHRASE"
MINIMUM = 12


def passphrase(file: str | None, *, confirm: bool) -> str:
    if file:
        try:
            value = Path(file).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise CommandError(
                _("The passphrase file cannot be read: %(error)s") % {"error": error}
            ) from None
    elif os.environ.get(ENV):
        value = os.environ[ENV].strip()  # as from a file: no trailing newline
    elif sys.stdin.isatty():
        value = getpass.getpass(_("Passphrase for the keys: "))
        if confirm and getpass.getpass(_("The same passphrase again: ")) != value:
            raise CommandError(_("The two passphrases differ."))
    else:
        raise CommandError(
            _("Give the passphrase with --passphrase-file FILE or %(env)s.") % {"env": ENV}
        )
    if confirm and len(value) < MINIMUM:
        raise CommandError(
            _("The passphrase must have at least %(n)d characters.") % {"n": MINIMUM}
        )
    return value
