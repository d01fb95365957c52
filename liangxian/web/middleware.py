"""Refuse text input that no field of the system can hold, before any view sees it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _

# Form and JSON bodies are text; a file upload (multipart) may carry NUL bytes legitimately.
TEXT_BODIES = ("application/json", "application/x-www-form-urlencoded", "text/")


class RejectNulMiddleware:
    """Answer 400 to a query string, header, cookie or text body holding a NUL (PostgreSQL text cannot store it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            message = _("The request contains a NUL character, which no field accepts.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message, "code": "nul_character"}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
            return True
        if b"%00" in request.path_info.encode() or "\x00" in request.path_info:
            return True
        # Headers and cookies reach the database too (a session key, an API token's prefix).
        if any(
            "\x00" in value for key, value in request.META.items() if key.startswith("HTTP_") and isinstance(value, str)
        ):
            return True
        if any("\x00" in value for value in request.COOKIES.values()):
            return True
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith(TEXT_BODIES):
            body = request.body
            if b"\x00" in body or b"\\u0000" in body:
                return True
            if content_type.startswith("application/x-www-form-urlencoded") and b"\x00" in unquote_to_bytes(body):
                return True
        return False


class ChineseFirstLocaleMiddleware:
    """Speak Simplified Chinese unless the user chose another language; ignore the browser's Accept-Language.

    Intranet machines often run an English-language browser; the measures' users read Chinese, so the choice
    is the user's (the language cookie set by the switcher), never the browser's.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen and check_for_language(chosen) and chosen in dict(settings.LANGUAGES) else ""
        translation.activate(language or settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
