from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "siaran.documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deploy check
