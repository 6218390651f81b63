"""Placeholder: replaced by its owner (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def waitlist_join(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def waitlist_entry(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def offer(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def waitlist(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def waitlist_new(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def waitlist_edit(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
