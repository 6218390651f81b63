from django.urls import path, re_path

from sessions import views

app_name = "sessions"

urlpatterns = [
    path("calendar/", views.calendar_day, name="calendar-day"),
    path("calendar/week/", views.calendar_week, name="calendar-week"),
    path("calendar/feed/", views.feed_settings, name="feed-settings"),
    path("calendar/feed/<str:token>/", views.calendar_feed, name="calendar-feed"),
    path("appointments/new/", views.appointment_new, name="appointment-new"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment-detail"),
    path("appointments/<int:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    re_path(
        r"^appointments/(?P<pk>\d+)/mark/(?P<status>arrived|no_show|completed)/$",
        views.appointment_status,
        name="appointment-status",
    ),
    path("patients/<int:pk>/course/", views.course_edit, name="course-edit"),
]
