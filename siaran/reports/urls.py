from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("reports/monitoring/", views.monitoring, name="monitoring"),
    path("reports/monitoring/xlsx/", views.monitoring_xlsx, name="monitoring-xlsx"),
    path("reports/monitoring/pdf/", views.monitoring_pdf, name="monitoring-pdf"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
