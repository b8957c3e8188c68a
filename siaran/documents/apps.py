from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "siaran.documents"
    verbose_name = "Documents"
