from django.urls import path, re_path

from sessions.billing import account as billing_account
from sessions.billing import cases as case_views
from sessions.billing import receipts
from sessions.billing import reports as billing_reports
from sessions.billing import views as billing_views
from sessions.booking import views
from sessions.charting import site_rows
from sessions.charting import views as chart_views
from sessions.documents import urls as document_urls
from sessions.followups import sms_views
from sessions.followups import views as followup_views
from sessions.online import urls as online_urls
from sessions.outcomes import admin_views as outcome_admin
from sessions.outcomes import patient_pages as outcome_patient_pages
from sessions.outcomes import report_pages
from sessions.outcomes import staff_pages as outcome_staff_pages

app_name = "sessions"

urlpatterns = [
    path("calendar/", views.calendar_day, name="calendar-day"),
    path("calendar/week/", views.calendar_week, name="calendar-week"),
    path("calendar/feed/", views.feed_settings, name="feed-settings"),
    path("calendar/feed/<str:token>/", views.calendar_feed, name="calendar-feed"),
    path("appointments/new/", views.appointment_new, name="appointment-new"),
    path("appointments/<id:pk>/", views.appointment_detail, name="appointment-detail"),
    path("appointments/<id:pk>/cancel/", views.appointment_cancel, name="appointment-cancel"),
    re_path(
        r"^appointments/(?P<pk>[0-9]{1,18})/mark/(?P<status>arrived|no_show|completed)/$",
        views.appointment_status,
        name="appointment-status",
    ),
    path("appointments/<id:pk>/confirm/", views.appointment_confirm, name="appointment-confirm"),
    path("patients/<id:pk>/course/", views.course_edit, name="course-edit"),
    path("patients/<id:pk>/discharge/", views.course_discharge, name="course-discharge"),
    # Charting (physiotherapists).
    path("appointments/<id:appointment_pk>/chart/", chart_views.chart, name="chart"),
    path("visits/<id:pk>/safety-check/", chart_views.safety_check, name="safety-check"),
    path("visits/<id:pk>/acknowledge/", chart_views.acknowledge, name="acknowledge"),
    path("visits/<id:pk>/note/", chart_views.note_save, name="note-save"),
    path("visits/<id:pk>/sites/", chart_views.site_add, name="site-add"),
    path("visits/<id:pk>/sites/repeat/", site_rows.sites_repeat, name="sites-repeat"),
    path("sites/<id:pk>/edit/", site_rows.site_edit, name="site-edit"),
    path("sites/<id:pk>/remove/", site_rows.site_remove, name="site-remove"),
    path("visits/<id:pk>/adverse-events/", chart_views.adverse_event_add, name="adverse-add"),
    path("visits/<id:pk>/sign/", chart_views.sign, name="sign"),
    path("visits/<id:pk>/addenda/", chart_views.addendum_add, name="addendum-add"),
    path("visits/<id:pk>/print/", chart_views.visit_print, name="visit-print"),
    path("visits/<id:pk>/links/stop/", chart_views.links_revoke, name="links-revoke"),
    path("patients/<id:patient_pk>/timeline/", chart_views.timeline, name="timeline"),
    path("adverse-events/", chart_views.adverse_events, name="adverse-events"),
    # Payer cases (billing).
    path("patients/<id:patient_pk>/cases/", case_views.cases, name="cases"),
    path("patients/<id:patient_pk>/cases/new/", case_views.case_new, name="case-new"),
    path("cases/<id:pk>/edit/", case_views.case_edit, name="case-edit"),
    path("cases/<id:pk>/payments/new/", case_views.case_payment, name="case-payment"),
    # Follow-ups.
    path("alerts/<id:pk>/", followup_views.alert_detail, name="alert"),
    path("calls/<id:pk>/done/", followup_views.call_done, name="call-done"),
    path("operations/messages/", followup_views.message_health, name="message-health"),
    path("c/<str:token>/", followup_views.checkin, name="checkin"),
    path("sms/status/", sms_views.sms_status, name="sms-status"),
    path("sms/inbound/", sms_views.sms_inbound, name="sms-inbound"),
    # Billing reports (REPORTS).
    path("billing/day-sheet/", billing_reports.day_sheet, name="day-sheet"),
    path("billing/receivables/", billing_reports.receivables, name="receivables"),
    # Billing: the front desk (check-out, invoices, accounts, missed-visit fees).
    path("appointments/<id:pk>/checkout/", billing_views.checkout, name="checkout"),
    path("invoices/<id:pk>/", billing_views.invoice, name="invoice"),
    path("invoices/<id:pk>/pay/", billing_views.invoice_pay, name="invoice-pay"),
    path("invoices/<id:pk>/void/", billing_views.invoice_void_view, name="invoice-void"),
    path("invoices/<id:pk>/credit-note/", billing_views.credit_note_add, name="credit-note-add"),
    path(
        "invoices/<id:pk>/apply-credit/",
        billing_views.invoice_credit_apply,
        name="credit-apply",
    ),
    path("missed-fees/<id:pk>/", billing_views.missed_fee, name="missed-fee"),
    path("patients/<id:patient_pk>/invoices/new/", billing_account.invoice_new, name="invoice-new"),
    path("patients/<id:patient_pk>/account/", billing_account.account, name="account"),
    path(
        "patients/<id:patient_pk>/account/statement.pdf",
        billing_account.statement_pdf,
        name="statement-pdf",
    ),
    path("patients/<id:patient_pk>/refunds/new/", billing_account.refund_add, name="refund-add"),
    # The patient's aftercare page, reached through a signed link.
    path("a/<str:token>/", chart_views.aftercare, name="aftercare"),
    # Receipts (front desk and clinic admin), and the patient's signed link to one.
    path("invoices/<id:pk>/receipt/", receipts.receipt, name="receipt"),
    path("invoices/<id:pk>/receipt.pdf", receipts.receipt_pdf_view, name="receipt-pdf"),
    path("invoices/<id:pk>/receipt/send/", receipts.receipt_send_view, name="receipt-send"),
    path(
        "invoices/<id:pk>/receipt/links/stop/",
        receipts.receipt_links_revoke_view,
        name="receipt-links-revoke",
    ),
    path("r/<str:token>/", receipts.receipt_link_page, name="receipt-link"),
    path("r/<str:token>/receipt.pdf", receipts.receipt_link_pdf, name="receipt-link-pdf"),
    # Outcome measures: questionnaires
    path("q/<str:token>/", outcome_patient_pages.questionnaire_page, name="questionnaire"),
    path(
        "patients/<id:patient_pk>/questionnaires/send/",
        outcome_staff_pages.questionnaire_send,
        name="questionnaire-send",
    ),
    path(
        "patients/<id:patient_pk>/questionnaires/tablet/",
        outcome_staff_pages.questionnaire_tablet,
        name="questionnaire-tablet",
    ),
    path("outcomes/schedules/", outcome_staff_pages.schedule_list, name="schedule-list"),
    path("outcomes/schedules/new/", outcome_staff_pages.schedule_edit, name="schedule-new"),
    path("outcomes/schedules/<id:pk>/", outcome_staff_pages.schedule_edit, name="schedule-edit"),
    # Outcome measures: instruments (the clinic admin's list and licensed wording).
    path("outcomes/instruments/", outcome_admin.instrument_list, name="outcome-instruments"),
    path(
        "outcomes/instruments/<slug:code>/wording/",
        outcome_admin.wording_edit,
        name="outcome-wording",
    ),
    # End of outcome measures: instruments.
    # Outcome measures: trends and reports
    path("patients/<id:patient_pk>/outcomes/", report_pages.trends, name="outcome-trends"),
    path(
        "patients/<id:patient_pk>/progress-reports/new/",
        report_pages.report_new,
        name="progress-report-new",
    ),
    path("progress-reports/<id:pk>/", report_pages.report_page, name="progress-report"),
    path(
        "progress-reports/<id:pk>/report.pdf",
        report_pages.report_pdf_view,
        name="progress-report-pdf",
    ),
    # Online booking by patients, the wait list, approvals (sessions/online/urls.py).
    *online_urls.urlpatterns,
    *document_urls.urlpatterns,
]
