from django.urls import path

from . import views, views_channels

app_name = "cases"
urlpatterns = [
    path("tasks/", views.inbox, name="inbox"),
    path("tasks/claim/", views.task_claim, name="claim"),
    path("tasks/release/", views.task_release, name="release"),
    path("cases/new/", views.case_new, name="new"),
    path("cases/<id:case_id>/", views.case_detail, name="detail"),
    path("cases/<id:case_id>/decide/", views.case_decide, name="decide"),
    path("cases/<id:case_id>/content/", views.content_save, name="content"),
    path("cases/<id:case_id>/withdraw/", views.case_withdraw, name="withdraw"),
    path("cases/<id:case_id>/comments/", views.comment_add, name="comment"),
    path(
        "cases/<id:case_id>/channels/drop/",
        views_channels.channels_drop,
        name="channels_drop",
    ),
    path("cases/<id:case_id>/files/", views.attachment_add, name="attach"),
    path("cases/<id:case_id>/files/<str:key>/", views.attachment_download, name="file"),
    path(
        "cases/<id:case_id>/files/<str:key>/preview/",
        views.attachment_preview,
        name="preview",
    ),
    path("cases/<id:case_id>/media/", views.media_change, name="media"),
]
