"""Placeholder: replaced by its owner (issue 17)."""

from django.http import Http404, HttpRequest, HttpResponse


def start(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def sign_in(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def signed_in(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def sign_out(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def services(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def slots(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def details(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def check_email(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def confirm(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404


def callback(request: HttpRequest, **kwargs: object) -> HttpResponse:
    raise Http404
