from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def base_url_is_set(app_configs, **kwargs):
    """The QR code of an approval sheet made by the task worker needs the public address."""
    if settings.SIARAN_BASE_URL:
        return []
    return [
        Warning(
            "SIARAN_BASE_URL is not set: approval sheets issued by the task worker would "
            "point their QR code, and mails their links, at http://127.0.0.1:8000.",
            hint="Set SIARAN_BASE_URL to the site's public address, e.g. https://siaran.example.go.id",
            id="siaran.W001",
        )
    ]
