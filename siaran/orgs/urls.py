from django.urls import path

from . import views, views_operator

app_name = "orgs"
urlpatterns = [
    path("institution/people/", views.people, name="people"),
    path("institution/people/<int:person_id>/", views.person, name="person"),
    path("institution/people/import/", views.people_import, name="people_import"),
    path(
        "institution/people/template.<str:kind>",
        views.people_template,
        name="people_template",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("institution/lanes/<slug:sop_id>/", views.lanes, name="lanes"),
    path("institution/acting/", views.acting, name="acting"),
    path("institution/calendar/", views.calendar, name="calendar"),
]

# The operator of the install (a superuser): institutions and the SOPs they run.
VERSION = "operator/<slug:slug>/sops/<slug:sop_id>/versions/<id:version_id>/"
urlpatterns += [
    path("operator/", views_operator.institutions, name="operator"),
    path("operator/new/", views_operator.institution_new, name="operator-new"),
    path("operator/<slug:slug>/", views_operator.institution, name="operator-institution"),
    path("operator/<slug:slug>/edit/", views_operator.institution_edit, name="operator-edit"),
    path(
        "operator/<slug:slug>/sops/<slug:sop_id>/",
        views_operator.sop_versions,
        name="operator-sop",
    ),
    path(VERSION, views_operator.sop_version, name="operator-version"),
    path(
        VERSION + "document.pdf",
        views_operator.sop_version_file,
        {"extension": "pdf"},
        name="operator-version-pdf",
    ),
    path(
        VERSION + "document.html",
        views_operator.sop_version_file,
        {"extension": "html"},
        name="operator-version-html",
    ),
]
