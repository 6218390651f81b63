"""The authorization matrix's table covers every URL the resolver knows: a URL name
missing from ``EXPECTED`` fails, and so does a stale entry, so a new view cannot skip
this review. The whole Django admin counts as one entry, ``admin:*``."""

from tests.clinic.authorization.expected import ACTORS, EXPECTED
from tests.clinic.authorization.requesting import ARGS, LINKS, POST, url_patterns


def test_every_url_name_is_in_the_table_and_no_entry_is_stale():
    names = url_patterns().keys()
    missing = sorted(names - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - names)
    assert not missing, (
        f"Add these URL names to EXPECTED and ARGS in {__name__} (who may use them?): {missing}"
    )
    assert not stale, f"Remove these entries from EXPECTED, no URL has that name: {stale}"


def test_every_table_entry_can_be_requested():
    assert not sorted(EXPECTED.keys() - ARGS.keys()), "add the missing names to ARGS"
    assert not sorted(ARGS.keys() - EXPECTED.keys()), "remove stale names from ARGS"
    assert not sorted(POST.keys() - EXPECTED.keys()), "remove stale names from POST"
    assert all(len(row) == len(ACTORS) for row in EXPECTED.values())


def test_every_url_with_a_token_is_checked_as_a_patient_link():
    """A new token URL must say how to forge its token, or it escapes the forged checks."""
    with_token = {name for name, route in url_patterns().items() if "token>" in route}
    # Django's password reset checks its own token against the user's password hash.
    assert with_token - {"password_reset_confirm"} == LINKS.keys()
