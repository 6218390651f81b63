"""Placeholder: replaced by its owner (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def visit_manage(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def visit_cancel(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def visit_move(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
