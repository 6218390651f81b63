"""Walk the audit log's hash chain; report the first row changed or missing."""

from django.core.management.base import BaseCommand, CommandError

from clinic.models import AuditEvent


class Command(BaseCommand):
    help = "Check the audit log's hash chain and report the first altered or missing row."

    def handle(self, *args, **options):
        expected_prev = ""
        count = 0
        for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
            if event.prev_digest != expected_prev:
                raise CommandError(
                    f"Audit row {event.pk}: the row before it was removed or altered "
                    "(its link in the chain does not match)."
                )
            if event.compute_digest() != event.digest:
                raise CommandError(f"Audit row {event.pk} was altered after it was written.")
            expected_prev = event.digest
            count += 1
        self.stdout.write(f"Audit log intact: {count} rows, chain verified.")
