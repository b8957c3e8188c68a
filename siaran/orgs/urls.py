from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("institution/people/", views.people, name="people"),
    path("institution/lanes/<slug:sop_id>/", views.lanes, name="lanes"),
    path("institution/acting/", views.acting, name="acting"),
    path("institution/calendar/", views.calendar, name="calendar"),
]
