"""The patient's link to a questionnaire (``/q/<token>/``): one purpose string, built
and read back through ``clinic.links``."""

from django.urls import reverse

from clinic import links
from sessions.outcomes.models import Questionnaire

QUESTIONNAIRE_PURPOSE = "questionnaire"


def questionnaire_link(questionnaire: Questionnaire) -> str:
    """The full address of the questionnaire's page."""
    return links.link_to(QUESTIONNAIRE_PURPOSE, questionnaire, "sessions:questionnaire")


def questionnaire_path(questionnaire: Questionnaire) -> str:
    """The questionnaire page's path on this site (the tablet opens it there and then)."""
    token = links.make_token(QUESTIONNAIRE_PURPOSE, questionnaire.pk, questionnaire.nonce)
    return reverse("sessions:questionnaire", args=[token])


def questionnaire_from_token(token: str) -> Questionnaire | None:
    """The questionnaire a genuine token names (live or not), with its patient; else None."""
    rows = Questionnaire.objects.select_related("patient", "appointment", "course")
    return links.row_from_token(QUESTIONNAIRE_PURPOSE, token, rows)
