from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read/", views.notifications_read, name="read"),
    path("notifications/<id:notification_id>/", views.notification_open, name="open"),
    path("settings/", views.my_settings, name="settings"),
]
