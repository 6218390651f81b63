from django.core.management.base import BaseCommand

from sessions.followups.selectors import message_health, sms_backend_name


class Command(BaseCommand):
    help = (
        "Print follow-up message health: due, sending, failed, sent in 24 h, oldest overdue, "
        "email instead of a text in 24 h, and texts sent, delivered, not delivered and stuck."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"sms_backend: {sms_backend_name()}")
        for name, value in message_health().items():
            self.stdout.write(f"{name}: {value}")
