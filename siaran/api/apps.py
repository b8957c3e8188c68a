from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "siaran.api"
    label = "api"
    verbose_name = "API"
