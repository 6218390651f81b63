"""Print the X-Twilio-Signature Twilio would send for a POST, to try the SMS webhooks
by hand (README, "Text messages: replies and the webhook"):

    manage.py sms_sign http://127.0.0.1:8000/sms/inbound/ \
        From=+14035550101 Body=C MessageSid=SMtest1
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from twilio.request_validator import RequestValidator


class Command(BaseCommand):
    help = (
        "Print the X-Twilio-Signature for POSTing the fields Field=value ... to URL, "
        "signed with TWILIO_AUTH_TOKEN."
    )

    def add_arguments(self, parser):
        parser.add_argument("url", help="The full address the POST goes to, as the server sees it.")
        parser.add_argument("fields", nargs="*", metavar="Field=value")

    def handle(self, *args, url: str, fields: list[str], **options):
        token = settings.TWILIO_AUTH_TOKEN
        if not token:
            raise CommandError(
                "TWILIO_AUTH_TOKEN is empty: nothing to sign with, and the webhooks refuse "
                "every request. Set it (the same value as the server's)."
            )
        if not url.startswith(("http://", "https://")):
            raise CommandError(f"URL must start with http:// or https:// (got {url!r}).")
        params: dict[str, str] = {}
        for pair in fields:
            name, equals, value = pair.partition("=")
            if not equals or not name:
                raise CommandError(f"Fields are Field=value (got {pair!r}).")
            params[name] = value
        self.stdout.write(RequestValidator(token).compute_signature(url, params))
