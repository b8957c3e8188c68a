from django.conf import settings
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _


class LanguageMiddleware:
    """Bahasa Indonesia unless the reader chose English with the switch.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and many
    officers' browsers are set to English although they work in Indonesian.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        if request.path.startswith("/api/"):
            # A program says which language it wants in Accept-Language.
            language = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            language = chosen if chosen in self.languages else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response


class ApiErrorMiddleware:
    """Every error of the API is JSON `{"detail", "code"}`, whoever made it.

    The API's own errors are already (siaran.api.v1). Django and its middleware answer
    some requests before the API sees them: a method the address does not take (405),
    a body too large or a multipart body without a boundary (400), a locked-out login
    (429, django-axes), a server error (500). A program reading the API must not meet
    an HTML page there.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        refused = getattr(request, "upload_refused", None)  # siaran.cases.uploads
        if status == 400 and (refused or _too_large(request)):
            status = 413
        code, detail = _api_error(status, request)
        detail = refused or detail
        answer = JsonResponse({"detail": str(detail), "code": code}, status=status)
        for header in ("Allow", "Retry-After", "Content-Language", "Vary"):
            if header in response:
                answer[header] = response[header]
        return answer


def _too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _api_error(status: int, request) -> tuple[str, str]:
    if status == 404:
        return "not_found", _("Not found.")
    if status == 405:
        return "method_not_allowed", _("This address does not take %(method)s.") % {
            "method": request.method
        }
    if status == 413:
        return "too_large", _("The request is too large.")
    if status == 429:
        return "locked_out", _(
            "Too many failed logins: this account is locked for a while. Try again later."
        )
    if status == 401:
        return "unauthenticated", _("Log in first: send a valid bearer token.")
    if status == 403:
        return "forbidden", _("You may not do this.")
    if status < 500:
        return "invalid", _("The request is not valid.")
    return "server_error", _("Something went wrong in Siaran; the error is logged.")
