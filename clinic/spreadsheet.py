"""CSV downloads a spreadsheet opens safely: UTF-8 with a byte-order mark (so Excel
reads accents) and no cell a spreadsheet would run as a formula."""

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """``value`` as a CSV cell text; text starting with ``= + - @``, a tab or a carriage
    return gets a leading single quote so a spreadsheet shows it instead of running it.
    Numbers are written as they are (a negative amount stays a number)."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> HttpResponse:
    """An attachment ``filename`` (UTF-8 with BOM): ``header`` then ``rows``, each cell
    through ``cell``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([cell(h) for h in header])
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return response
