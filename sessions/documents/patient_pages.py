"""The patient's upload pages (to be written)."""

from django.http import Http404

from clinic.access import public


@public
def intake_documents(request, token: str):
    raise Http404


@public
def request_documents(request, token: str):
    raise Http404
