"""Online booking's addresses, in the ``sessions`` namespace (``sessions/urls.py``).

Public pages (no staff login) live under ``book/`` and the short signed-link prefixes
``v/`` (a patient's visit), ``w/`` (a wait-list entry) and ``o/`` (a wait-list offer).
"""

from django.urls import path

from sessions.online import desk, pages, visit_pages, waitlist_pages

urlpatterns = [
    # Public booking (pages.py).
    path("book/", pages.start, name="online-start"),
    path("book/sign-in/", pages.sign_in, name="online-sign-in"),
    path("book/sign-in/<str:token>/", pages.signed_in, name="online-signed-in"),
    path("book/sign-out/", pages.sign_out, name="online-sign-out"),
    path("book/hold/<str:token>/", pages.details, name="online-details"),
    path("book/hold/<str:token>/sent/", pages.check_email, name="online-check-email"),
    path("book/confirm/<str:token>/", pages.confirm, name="online-confirm"),
    path("book/<id:location_pk>/", pages.services, name="online-services"),
    path("book/<id:location_pk>/<id:type_pk>/", pages.slots, name="online-slots"),
    path("book/<id:location_pk>/<id:type_pk>/call-back/", pages.callback, name="online-callback"),
    path(
        "book/<id:location_pk>/<id:type_pk>/wait-list/",
        waitlist_pages.waitlist_join,
        name="waitlist-join",
    ),
    # The patient's own visit (visit_pages.py).
    path("v/<str:token>/", visit_pages.visit_manage, name="visit-manage"),
    path("v/<str:token>/confirm/", visit_pages.visit_confirm, name="visit-confirm-self"),
    path("v/<str:token>/cancel/", visit_pages.visit_cancel, name="visit-cancel-self"),
    path("v/<str:token>/move/", visit_pages.visit_move, name="visit-move"),
    # Wait list: the patient's entry and offers, and the front desk's list.
    path("w/<str:token>/", waitlist_pages.waitlist_entry, name="waitlist-entry"),
    path("o/<str:token>/", waitlist_pages.offer, name="offer"),
    path("wait-list/", waitlist_pages.waitlist, name="waitlist"),
    path("wait-list/new/", waitlist_pages.waitlist_new, name="waitlist-new"),
    path("wait-list/<id:pk>/", waitlist_pages.waitlist_edit, name="waitlist-edit"),
    # Front desk and clinic admin (desk.py).
    path("online/settings/", desk.online_settings, name="online-settings"),
    path("online/pending/", desk.pending, name="online-pending"),
    path("appointments/<id:pk>/approve/", desk.approve, name="appointment-approve"),
    path("appointments/<id:pk>/decline/", desk.decline, name="appointment-decline"),
]
