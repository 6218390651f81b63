from django.urls import path

from intake import views

# The patient page (``intake:patient-detail``, patients/<id>/) reads both apps, so it is
# served from clinic/site/patient.py: clinic/urls.py adds it to this namespace.
app_name = "intake"

urlpatterns = [
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/<id:pk>/edit/", views.patient_edit, name="patient-edit"),
    path("patients/<id:pk>/messages/", views.patient_messages, name="patient-messages"),
    path("patients/phones-to-fix/", views.phones_to_fix, name="phones-to-fix"),
    path("patients/<id:pk>/intake/send/", views.intake_send, name="intake-send"),
    path("intake-links/<id:pk>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("intakes/<id:pk>/", views.intake_summary, name="intake-summary"),
    path("screening/rules/", views.screening_rules, name="screening-rules"),
    # The patient's own questionnaire, reached through a signed link.
    path("i/<str:token>/", views.intake_fill, name="fill"),
    path("i/<str:token>/<slug:step>/", views.intake_fill, name="fill-step"),
    # The patient's message choices, from the link a reminder or check-in carries.
    path("p/<str:token>/messages/", views.messages_page, name="messages"),
]
