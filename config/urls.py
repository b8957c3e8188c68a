from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from siaran.api.v1 import api as api_v1

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api_v1.urls),
    # allauth's sign-in under the names the pages and tests use (LOGIN_URL = "login").
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    # A person's address is the one on their settings page (and their administrator's):
    # not a second list of addresses kept by allauth.
    path("accounts/email/", RedirectView.as_view(pattern_name="notifications:settings")),
    path("accounts/", include("allauth.urls")),
    path("", include("siaran.signin.urls")),
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
