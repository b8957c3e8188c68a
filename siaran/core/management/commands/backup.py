"""`siaran backup -o FILE`: the database, the media and a manifest in one archive."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _

from siaran.core import backup

from ._passphrase import passphrase


class Command(BaseCommand):
    help = "Write one consistent archive of the database and the media while Siaran runs."

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="the archive to write (.tar)")
        parser.add_argument(
            "--with-keys",
            action="store_true",
            help="add the secret key and the credentials key, encrypted with a passphrase",
        )
        parser.add_argument(
            "--passphrase-file",
            help="file holding the passphrase (else SIARAN_BACKUP_PASSPHRASE, else asked)",
        )

    def handle(self, *args, output, with_keys, passphrase_file, **options):
        out = Path(output)
        if out.exists():
            raise CommandError(_("%(file)s exists already: name a new file.") % {"file": out})
        if not out.parent.is_dir():
            raise CommandError(_("The folder %(folder)s does not exist.") % {"folder": out.parent})
        secret = passphrase(passphrase_file, confirm=True) if with_keys else None
        try:
            done = backup.backup(out, passphrase=secret)
        except backup.ArchiveError as error:
            raise CommandError(str(error)) from None
        except DatabaseError as error:
            raise CommandError(
                _("The database cannot be read: %(error)s") % {"error": error}
            ) from None
        self.stdout.write(
            _(
                "Wrote %(file)s: %(size).1f MB in %(seconds).1f s; %(rows)d rows of %(tables)d "
                "tables, %(media)d media files (%(media_mb).1f MB)%(keys)s."
            )
            % {
                "file": done.path,
                "size": done.size / 1e6,
                "seconds": done.seconds,
                "rows": done.rows,
                "tables": done.tables,
                "media": done.media,
                "media_mb": done.media_bytes / 1e6,
                "keys": _(", the keys encrypted") if done.keys else _(", without the keys"),
            }
        )
