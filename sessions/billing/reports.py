"""Billing reports for the front desk and the clinic admin: the day sheet of a location
(to reconcile against the card terminal) and accounts receivable by age, on screen or
as a CSV a spreadsheet opens safely."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import render

from clinic import audit, clock
from clinic.access import require_roles
from clinic.roles import BILLERS
from clinic.spreadsheet import csv_response
from sessions.billing import ledgers, money
from sessions.billing.documents import Payment
from sessions.booking.models import Location

PATIENTS_PER_PAGE = 100
DAY_SHEET_YEARS = 10  # a day sheet further off is a typing slip (and 9999-12-31 has no next day)


class DaySheetForm(forms.Form):
    location = forms.ModelChoiceField(
        label="Location", queryset=Location.objects.filter(is_active=True), empty_label=None
    )
    day = forms.DateField(label="Clinic day", widget=forms.DateInput(attrs={"type": "date"}))

    def clean_day(self):
        day = self.cleaned_data["day"]
        today = clock.clinic_today()
        if abs(day.year - today.year) > DAY_SHEET_YEARS:
            raise forms.ValidationError(
                f"Pick a day within {DAY_SHEET_YEARS} years of today.", code="out_of_range"
            )
        return day


@require_roles(*BILLERS)
def day_sheet(request):
    """GET ?location=<id>&day=YYYY-MM-DD (defaults: the first active location, today).
    Bad values fall back to the defaults with a message."""
    today = clock.clinic_today()
    first = Location.objects.filter(is_active=True).first()
    initial = {"location": first.pk if first else None, "day": today.isoformat()}
    data = {**initial, **{k: v for k, v in request.GET.items() if k in initial and v}}
    form = DaySheetForm(data)
    location, day = first, today
    if form.is_valid():
        location, day = form.cleaned_data["location"], form.cleaned_data["day"]
    else:
        problem = "That location or day could not be read"
        if form.has_error("day", "out_of_range"):
            problem = f"Pick a day within {DAY_SHEET_YEARS} years of today"
        messages.error(
            request,
            f"{problem}; showing "
            f"{first.name if first else 'no location'} on {today:%Y-%m-%d} instead.",
        )
        form = DaySheetForm(initial)
    sheet = ledgers.day_sheet(location=location, day=day) if location else None
    audit.record(request, audit.Action.VIEW, detail=f"day sheet {day.isoformat()}")
    labels = dict(Payment.Method.choices)
    by_method = [(labels.get(m, m), a) for m, a in (sheet.by_method if sheet else {}).items()]
    return render(
        request,
        "sessions/billing/day_sheet.html",
        {"form": form, "sheet": sheet, "location": location, "day": day, "by_method": by_method},
    )


@require_roles(*BILLERS)
def receivables(request):
    """Accounts receivable today, per patient (PATIENTS_PER_PAGE a page, ?page=) and per
    payer, by age, with totals over all; ?format=csv downloads every row."""
    as_of = clock.clinic_today()
    report = ledgers.receivables(as_of=as_of)
    if request.GET.get("format") == "csv":
        audit.record(request, audit.Action.EXPORT, detail=f"receivables csv {as_of.isoformat()}")
        return csv_response(
            f"receivables-{as_of.isoformat()}.csv",
            ["Debtor", "Kind", *(f"{b} days" for b in ledgers.BUCKETS), "Total"],
            _csv_rows(report),
        )
    audit.record(request, audit.Action.VIEW, detail=f"receivables {as_of.isoformat()}")
    return render(
        request,
        "sessions/billing/receivables.html",
        {
            "report": report,
            "patients": Paginator(report.patients, PATIENTS_PER_PAGE).get_page(
                request.GET.get("page")
            ),
            "as_of": as_of,
            "buckets": ledgers.BUCKETS,
            "patient_totals": _totals(report.patients),
            "payer_totals": _totals(report.payers),
        },
    )


def _totals(debtors: list[ledgers.Receivable]) -> list:
    """Each bucket's sum over ``debtors``, then the grand total."""
    sums = [money.total(r.buckets[b] for r in debtors) for b in ledgers.BUCKETS]
    return [*sums, money.total(sums)]


def _csv_rows(report: ledgers.Receivables):
    for kind, debtors in (("Patient", report.patients), ("Payer", report.payers)):
        for r in debtors:
            yield [r.name, kind, *(r.buckets[b] for b in ledgers.BUCKETS), r.total]
