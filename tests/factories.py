from datetime import date

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from clinic.roles import Role
from intake.models import Patient
from sessions.models import Location, NeedlingAuthorisation

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted: Role | None, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted.value)[0])
        if create:
            self.save()


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker(
        "date_between", start_date=date(1940, 1, 1), end_date=date(2008, 1, 1)
    )
    phone = factory.Sequence(lambda n: f"403-555-{n % 10000:04d}")
    email = factory.LazyAttribute(
        lambda p: f"{p.legal_first_name}.{p.legal_last_name}@example.com".lower()
    )


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Location {n}")


class NeedlingAuthorisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NeedlingAuthorisation

    practitioner = factory.SubFactory(UserFactory, role=Role.PHYSIO)
    issuing_body = "Physiotherapy Alberta College + Association"
    number = factory.Sequence(lambda n: f"IMS-{n:05d}")
    valid_from = date(2024, 1, 1)
    valid_until = date(2030, 1, 1)
