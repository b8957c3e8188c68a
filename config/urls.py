from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from siaran.api.v1 import api as api_v1

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("siaran.cases.urls")),
    path("", include("siaran.orgs.urls")),
    path("", include("siaran.notifications.urls")),
    path("", include("siaran.documents.urls")),
    path("", include("siaran.archive.urls")),
    path("", include("siaran.reports.urls")),
    path("", include("siaran.publishing.urls")),
    path("", include("siaran.api.urls")),
    path("", include("siaran.audit.urls")),
    path("", include("siaran.core.urls")),
]

handler400 = "siaran.core.views.bad_request"
# Siaran's own error pages, translated (siaran.core.views); 500 needs no database.
handler403 = "siaran.core.views.permission_denied"
handler404 = "siaran.core.views.page_not_found"
handler500 = "siaran.core.views.server_error"
