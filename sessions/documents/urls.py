"""Documents' addresses, in the ``sessions`` namespace (``sessions/urls.py``).

Staff pages (views.py) are under ``patients/<id>/documents/`` and ``documents/<id>/``;
the patient's upload pages (patient_pages.py) under the signed-link prefix ``d/``.
"""

from django.urls import path

from sessions.documents import patient_pages, views

urlpatterns = [
    # Staff.
    path("patients/<id:pk>/documents/", views.patient_documents, name="documents"),
    path(
        "patients/<id:pk>/documents/request/",
        views.request_send,
        name="document-request-send",
    ),
    path("documents/settings/", views.policy_edit, name="document-settings"),
    path("documents/<id:pk>/", views.document_detail, name="document"),
    path("documents/<id:pk>/file/", views.document_file, name="document-file"),
    path("documents/<id:pk>/thumbnail/", views.document_thumbnail, name="document-thumbnail"),
    path("documents/<id:pk>/delete/", views.document_delete, name="document-delete"),
    # Patients, through a signed link: the intake's, or a "send us a document" link.
    path("d/i/<str:token>/", patient_pages.intake_documents, name="intake-documents"),
    path("d/r/<str:token>/", patient_pages.request_documents, name="document-request-upload"),
]
