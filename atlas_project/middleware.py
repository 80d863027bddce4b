"""The console's Content-Security-Policy header (Django 5.2 has no built-in CSP support), and the
scope of the answers kept for one request (`atlas_project.request_cache`)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .request_cache import request_scope

HEADER = "Content-Security-Policy"


class ContentSecurityPolicyMiddleware:
    """Sets the policy of `ATLAS_CONTENT_SECURITY_POLICY` on every response that has none yet.

    A view that needs a different policy sets the header itself; this one does not overwrite it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = settings.ATLAS_CONTENT_SECURITY_POLICY
        if policy and HEADER not in response:
            response[HEADER] = policy
        return response


class RequestCacheMiddleware:
    """Each request gets its own scope for `per_request` answers, dropped when the response is made."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            return self.get_response(request)
