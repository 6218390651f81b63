"""Placeholder: replaced by its owner (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def online_settings(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def approve(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def decline(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
