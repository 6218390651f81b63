"""Many rows at once, fast: COPY on PostgreSQL, bulk_create elsewhere. Rows are plain
tuples with their ids given, so related rows can name each other before they exist;
``reset_sequences`` then moves each id sequence past them. Used by ``seed_scale``.
"""

import csv
import io
import json
from datetime import date, datetime

from django.db import connection

BATCH = 50_000


def next_id(model) -> int:
    """The id after the highest in the table (ids are given, not drawn from the sequence)."""
    last = model.objects.order_by("-id").values_list("id", flat=True).first()
    return (last or 0) + 1


def insert(model, columns: list[str], rows) -> int:
    """Insert plain tuples (ids included). COPY on PostgreSQL, bulk_create elsewhere."""
    count = 0
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            count += _flush(model, columns, batch)
            batch = []
    if batch:
        count += _flush(model, columns, batch)
    return count


def _flush(model, columns, batch) -> int:
    if connection.vendor == "postgresql":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in batch:
            writer.writerow([_csv(v) for v in row])
        buffer.seek(0)
        quoted = ", ".join('"' + model._meta.get_field(c).column + '"' for c in columns)
        sql = f"COPY \"{model._meta.db_table}\" ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)
    else:
        fields = [model._meta.get_field(c).attname for c in columns]
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in batch], batch_size=2000
        )
    return len(batch)


def _csv(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def reset_sequences(models) -> None:
    """Move each table's id sequence past the ids inserted by hand (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table}"), 1))'
            )
