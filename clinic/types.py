"""Type aliases the apps' services share.

The project keeps Django's own user model (no ``AUTH_USER_MODEL`` setting), so a staff
member is ``django.contrib.auth.models.User``; ``AnyUser`` is what ``request.user`` may
be, signed in or not.
"""

from django.contrib.auth.models import AnonymousUser, User

StaffUser = User
AnyUser = User | AnonymousUser
