from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def credentials_key_from_environment(app_configs, **kwargs):
    """A key kept in the data folder sits beside the database it protects."""
    if settings.SIARAN_CREDENTIALS_KEY_FROM_ENV:
        return []
    return [
        checks.Warning(
            "SIARAN_CREDENTIALS_KEY is not set: channel credentials are encrypted with a key "
            "kept in the data folder, beside the database.",
            hint="Set SIARAN_CREDENTIALS_KEY (or SIARAN_CREDENTIALS_KEY_FILE) to a Fernet key "
            "kept apart from the data folder and its backups.",
            id="siaran.W002",
        )
    ]
