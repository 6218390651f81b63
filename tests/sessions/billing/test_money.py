"""Money arithmetic: to the cent, half up, never floats; no database."""

from decimal import Decimal as D

import pytest

from sessions.billing import money


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.345", "2.35"), ("2.344", "2.34"), ("-2.345", "-2.35"), ("0.005", "0.01"), (7, "7.00")],
)
def test_cents_round_half_up(value, expected):
    assert money.cents(value) == D(expected)


def test_a_float_is_refused():
    with pytest.raises(TypeError, match="never a float"):
        money.cents(0.1)  # type: ignore[arg-type]


def test_total_of_nothing_is_zero_and_sums_exactly():
    assert money.total([]) == D("0.00")
    assert money.total([D("0.10")] * 3) == D("0.30")


def test_untaxed_line_is_quantity_times_price():
    line = money.line_amounts(quantity=3, unit_price=D("33.33"))
    assert (line.net, line.tax, line.total) == (D("99.99"), D("0.00"), D("99.99"))


def test_line_tax_rounds_half_up_per_line():
    # 5 % GST on 24.90 is 1.245: the half cent goes up.
    line = money.line_amounts(quantity=1, unit_price=D("24.90"), tax_rate=D("5"))
    assert (line.tax, line.total) == (D("1.25"), D("26.15"))


def test_percent_split_rounds_the_payer_and_gives_the_patient_the_rest():
    share = money.split(D("95.00"), payer_percent=D("33.33"))
    assert share.payer == D("31.66")  # 31.6635
    assert share.patient == D("63.34")
    assert share.payer + share.patient == D("95.00")


def test_split_at_half_a_cent_rounds_the_payer_up():
    share = money.split(D("0.01"), payer_percent=D("50"))
    assert (share.payer, share.patient) == (D("0.01"), D("0.00"))


def test_amount_split_is_capped_at_the_total():
    assert money.split(D("60.00"), payer_amount=D("80.00")) == money.Split(D("60.00"), D("0.00"))
    assert money.split(D("95.00"), payer_amount=D("80.00")) == money.Split(D("80.00"), D("15.00"))


def test_no_share_means_the_patient_pays_all():
    assert money.split(D("95")) == money.Split(D("0.00"), D("95.00"))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"payer_percent": D("50"), "payer_amount": D("10")},
        {"payer_percent": D("100.01")},
        {"payer_percent": D("-1")},
        {"payer_amount": D("-1")},
    ],
)
def test_impossible_shares_are_refused(kwargs):
    with pytest.raises(ValueError):
        money.split(D("95"), **kwargs)


def test_format_money():
    assert money.format_money(D("1234.5")) == "$1,234.50"
    assert money.format_money(D("-5")) == "-$5.00"
    assert money.format_money(D("10"), "EUR") == "10.00 EUR"
