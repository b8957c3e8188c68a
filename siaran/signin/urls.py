from django.urls import path

from . import views

app_name = "signin"
urlpatterns = [
    path("institution/sign-in/", views.institution, name="institution"),
    path("accounts/security/", views.security, name="security"),
]
