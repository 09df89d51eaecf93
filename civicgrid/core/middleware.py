"""Request id: taken from a trusted proxy's X-Request-ID header if well-formed, else generated."""

import re

from .request_context import _request_id, new_request_id

_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID.match(incoming) else new_request_id()
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response["X-Request-ID"] = request_id
        return response


class LanguageMiddleware:
    """Choose the interface language: the user's explicit choice (the language cookie set by the
    switcher) or else the installation's default (zh-hans).

    Django's LocaleMiddleware would also follow the browser's Accept-Language, so an office PC with an
    English browser would show English by surprise; pages here follow only the explicit choice. API
    clients (/api/) may still ask for a language with Accept-Language, as HTTP intends.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings
        from django.utils import translation

        if request.path.startswith("/api/"):
            language = translation.get_language_from_request(request)
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
            supported = {code for code, _ in settings.LANGUAGES}
            language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        if not request.path.startswith("/api/"):
            from django.utils.cache import patch_vary_headers

            patch_vary_headers(response, ("Cookie",))
        return response
