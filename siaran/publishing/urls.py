from django.urls import path

from . import views

app_name = "publishing"
urlpatterns = [
    path(
        "cases/<id:case_id>/publications/<slug:channel>/retry/",
        views.publication_retry,
        name="retry",
    ),
    path(
        "cases/<id:case_id>/publications/<slug:channel>/done/",
        views.publication_done,
        name="done",
    ),
    path(
        "cases/<id:case_id>/publications/<slug:channel>/proof/",
        views.proof_download,
        name="proof",
    ),
    path("publishing/media/<str:token>", views.media_link, name="media"),
    path("institution/channels/", views.channels, name="channels"),
    path("institution/channels/oauth/return/", views.channel_oauth_return, name="oauth_return"),
    path("institution/channels/<slug:channel>/", views.channel_edit, name="channel"),
    path(
        "institution/channels/<slug:channel>/connect/",
        views.channel_connect,
        name="connect",
    ),
    path(
        "institution/channels/<slug:channel>/choose/",
        views.channel_oauth_choose,
        name="oauth_choose",
    ),
]
