from django.conf import settings

from clinic.roles import Role, primary_role, user_roles


def clinic(request):
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else frozenset()
    return {
        "clinic_name": settings.CLINIC_NAME,
        "role": primary_role(user) if user is not None else None,
        "is_clinic_admin": Role.ADMIN in roles,
        "is_physio": Role.PHYSIO in roles,
        "is_front_desk": Role.FRONT_DESK in roles,
    }
