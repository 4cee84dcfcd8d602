from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from cxloop.common.text import has_nul


class RefuseNulBytesMiddleware:
    """Answer 400 to any request carrying a NUL character, before a view sees it.

    No legitimate form, link or API payload contains one, and PostgreSQL cannot store it,
    so refusing it at the door keeps every entry point from failing later with a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._carries_nul(request):
            message = _("The request contains a NUL character, which is not allowed.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": [{"field": "", "msg": message}]}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _carries_nul(request: HttpRequest) -> bool:
        if "%00" in request.get_full_path() or has_nul(request.path):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("application/json"):
            body = request.body
            return b"\x00" in body or b"\\u0000" in body
        if request.method == "POST":
            return any(has_nul(value) for _name, values in request.POST.lists() for value in values)
        return False


class ApiLanguageMiddleware:
    """API clients that send no Accept-Language get English messages, not the UI default."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and not request.headers.get("Accept-Language"):
            with translation.override("en"):
                return self.get_response(request)
        return self.get_response(request)
