from django.urls import path

from . import views

app_name = "archive"
urlpatterns = [
    path("archive/", views.search, name="search"),
    path("archive/retention/", views.retention_report, name="retention"),
    path("archive/retention/classes/", views.retention_classes, name="classes"),
    path("cases/<id:case_id>/export.zip", views.case_export, name="export"),
    path("cases/<id:case_id>/consent/flag/", views.consent_flag, name="consent-flag"),
    path("cases/<id:case_id>/consent/", views.consent_add, name="consent"),
    path("cases/<id:case_id>/retention/", views.case_retention, name="case-retention"),
]
