"""Staff pages of documents (to be written)."""

from django.http import Http404


def _todo(request, **kwargs):
    raise Http404


patient_documents = request_send = policy_edit = document_detail = _todo
document_file = document_thumbnail = document_delete = _todo
