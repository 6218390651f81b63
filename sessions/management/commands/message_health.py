from django.core.management.base import BaseCommand

from sessions.followups.selectors import message_health


class Command(BaseCommand):
    help = "Print follow-up message health: due, sending, failed, sent in 24 h, oldest overdue."

    def handle(self, *args, **options):
        for name, value in message_health().items():
            self.stdout.write(f"{name}: {value}")
