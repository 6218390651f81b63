"""Plain-text mail is not HTML: a clinic called "Bow River Physiotherapy & IMS" must not
arrive as "&amp;" in a subject or a text body."""

from pathlib import Path

import pytest
from django.conf import settings

EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"
TEXT_TEMPLATES = sorted(EMAILS.glob("*.txt"))


def test_there_are_text_templates():
    assert len(TEXT_TEMPLATES) > 20


@pytest.mark.parametrize("path", TEXT_TEMPLATES, ids=lambda p: p.name)
def test_every_text_template_turns_html_escaping_off(path):
    text = path.read_text()
    assert text.lstrip().startswith("{% autoescape off %}"), path.name
    assert "{% endautoescape %}" in text, path.name
