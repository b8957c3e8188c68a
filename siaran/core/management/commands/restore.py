"""`siaran restore FILE`: an archive of `siaran backup` into an empty install."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from siaran.audit import verify
from siaran.core import backup

from ._passphrase import passphrase


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database and data folder (SQLite or PostgreSQL, "
        "whichever made it), after checking every file of it."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="the archive written by `siaran backup`")
        parser.add_argument(
            "--passphrase-file",
            help="for an archive with keys: file holding the passphrase (else "
            "SIARAN_BACKUP_PASSPHRASE, else asked)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="only check the archive against its manifest; restore nothing",
        )

    def handle(self, *args, archive, passphrase_file, check, **options):
        path = Path(archive)
        if not path.is_file():
            raise CommandError(_("%(file)s is not a file.") % {"file": path})
        try:
            if check:
                manifest = backup.check(path)
                self.stdout.write(
                    _("%(file)s holds: %(n)d files, each as its manifest says.")
                    % {"file": path, "n": len(manifest["files"])}
                )
                return
            restored, with_keys = backup.restore(
                path,
                passphrase=lambda: passphrase(passphrase_file, confirm=False),
                log=self.stdout.write,
            )
        except backup.ArchiveError as error:
            raise CommandError(_("Nothing was restored: %(reason)s") % {"reason": error}) from None
        except DatabaseError as error:  # unreachable, or failed while loading: rolled back
            raise CommandError(
                _("Nothing was restored: the database failed: %(error)s") % {"error": error}
            ) from None
        self.stdout.write(
            _("Restored %(rows)d rows of %(tables)d tables.")
            % {"rows": sum(restored.values()), "tables": len(restored)}
        )
        if not with_keys:
            self.stdout.write(
                _(
                    "The archive holds no keys: give this install the old SIARAN_CREDENTIALS_KEY "
                    "(or its credentials_key file), or enter the channels' access keys again."
                )
            )
        problem = verify.first_break()
        if problem is not None:
            raise CommandError(_("The audit trail is broken: %(problem)s") % {"problem": problem})
        self.stdout.write(_("The audit trail holds: every chain and every anchor."))
