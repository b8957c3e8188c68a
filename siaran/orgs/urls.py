from django.urls import path

from . import views

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
