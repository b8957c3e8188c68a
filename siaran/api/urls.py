from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("settings/tokens/", views.my_tokens, name="my-tokens"),
    path("institution/tokens/", views.institution_token_list, name="institution-tokens"),
    path("tokens/revoke/", views.token_revoke_view, name="token-revoke"),
]
