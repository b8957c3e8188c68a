from django.urls import path

from . import views

app_name = "audit"
urlpatterns = [
    path("institution/audit/", views.anchors, name="anchors"),
    path("institution/audit/anchors.json", views.anchors_download, name="anchors-download"),
]
