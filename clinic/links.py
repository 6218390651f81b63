"""Signed links for patients, who have no accounts.

A token signs (purpose, object id, nonce). The nonce is random and stored on the
row, so a token cannot be guessed, and revoking or expiring the row kills it.
"""

from django.core import signing


def make_token(purpose: str, pk: int, nonce: str) -> str:
    return signing.dumps([pk, nonce], salt=f"clinic.links.{purpose}", compress=False)


def read_token(purpose: str, token: str) -> tuple[int, str] | None:
    """(pk, nonce) from a valid token of that purpose, else None."""
    try:
        pk, nonce = signing.loads(token, salt=f"clinic.links.{purpose}")
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(nonce, str):
        return None
    return pk, nonce
