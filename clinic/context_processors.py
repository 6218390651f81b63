from django.conf import settings

from clinic.access import needs_second_factor
from clinic.roles import Role, primary_role, user_roles


def clinic(request):
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else frozenset()
    pending = user is not None and hasattr(user, "is_verified") and needs_second_factor(request)
    return {
        "clinic_name": settings.CLINIC_NAME,
        # Patients (and anyone signed out) are never pointed at the staff sign-in.
        "clinic_public_url": settings.CLINIC_PUBLIC_URL,
        # Until the second factor is done, the page shows no staff navigation.
        "role": primary_role(user) if user is not None and not pending else None,
        "is_clinic_admin": Role.ADMIN in roles,
        "is_physio": Role.PHYSIO in roles,
        "is_front_desk": Role.FRONT_DESK in roles,
    }
