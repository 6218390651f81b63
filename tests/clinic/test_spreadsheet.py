"""CSV cells a spreadsheet shows, never runs."""

from decimal import Decimal

import pytest

from clinic.spreadsheet import cell, csv_response


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tleading tab", "'\tleading tab"),
        ("\rcarriage", "'\rcarriage"),
        ("Zoë O'Neil", "Zoë O'Neil"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (Decimal("-5.00"), "-5.00"),
        (3, "3"),
    ],
)
def test_cell_neutralises_formulas(value, expected):
    assert cell(value) == expected


def test_csv_response_has_bom_and_quotes_cells():
    response = csv_response("x.csv", ["Name", "Total"], [["=1+1", Decimal("2.50")], ["Zoë", 1]])
    assert response.content.startswith(b"\xef\xbb\xbf")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines() == ["Name,Total", "'=1+1,2.50", "Zoë,1"]
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
