from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "siaran.archive"
    verbose_name = "Archive"
