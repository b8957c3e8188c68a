from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "siaran.core"
    label = "core"
    verbose_name = _("Siaran")

    def ready(self):
        from django.urls import register_converter

        from .ids import IdConverter

        register_converter(IdConverter, "id")
