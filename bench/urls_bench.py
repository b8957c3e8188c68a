"""The project's URLs plus one baseline page that reads a single row by primary key.

Used only by the benchmark (through override_settings(ROOT_URLCONF=...)); the app
itself never routes here.
"""

from django.http import HttpResponse
from django.urls import include, path

from siaran.cases.models import Case


def case_by_pk(request, id: int):
    return HttpResponse(Case.objects.get(pk=id).title)


urlpatterns = [
    path("bench/pk/<int:id>/", case_by_pk),
    path("", include("config.urls")),
]
