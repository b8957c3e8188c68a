from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path(
        "sop/<slug:sop_id>/document.pdf",
        views.sop_document,
        {"extension": "pdf"},
        name="sop-pdf",
    ),
    path(
        "sop/<slug:sop_id>/document.html",
        views.sop_document,
        {"extension": "html"},
        name="sop-html",
    ),
]
urlpatterns += [
    path("cases/<id:case_id>/approval-sheet.pdf", views.approval_sheet_download, name="sheet"),
    path("verify/", views.verify_form, name="verify-form"),
    path("verify/<str:code>/", views.verify_page, name="verify"),
]
