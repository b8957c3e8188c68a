from django.apps import AppConfig


class SigninConfig(AppConfig):
    name = "siaran.signin"
    verbose_name = "Sign-in"
