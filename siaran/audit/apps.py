from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "siaran.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401 (logins and failed logins are recorded)
        from .tasks import anchors_first, ensure_planned

        post_migrate.connect(ensure_planned, sender=self)
        post_migrate.connect(anchors_first, sender=self)
