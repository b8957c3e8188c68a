from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "siaran.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_plan_step_timers, sender=self)


def _plan_step_timers(**_signal) -> None:
    """Start the step timers' chain after `migrate` (`make run` included) unless it runs
    already. Other queues than the database's are planned by their operators
    (docs/guide-operator.md)."""
    from .actions import step_timers_plan

    step_timers_plan(only_if_seen=True)
