"""URL converters shared by every app."""


class RecordId:
    """A record's id in a path: 1 to 18 digits, so every value fits the database's
    64-bit key. A longer number matches no URL (404) instead of reaching SQL, where
    SQLite and psycopg2 raise OverflowError on it."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
