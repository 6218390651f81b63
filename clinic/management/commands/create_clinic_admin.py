"""Create the first clinic admin of a new installation. Nobody types the person's
password: they receive a link by email and choose it themselves."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clinic.accounts import staff_account_create
from clinic.roles import Role


class Command(BaseCommand):
    help = "Create a staff account with the clinic admin role; its owner sets the password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("email")

    def handle(self, *args, username: str, email: str, **options):
        if get_user_model().objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        try:
            staff_account_create(
                request=None,
                username=username,
                email=email,
                roles=[Role.ADMIN],
                by=" by create_clinic_admin",
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(
            f"Clinic admin {username!r} created. A link to choose the password was sent to {email}."
        )
