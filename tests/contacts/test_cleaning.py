import re

import pytest

from cxloop.common.errors import InputError
from cxloop.contacts.cleaning import clean_contact_data, normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("+8613800138000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("010-12345678", "+861012345678"),
        ("+852 6123 4567", "+85261234567"),
        ("+886 912 345 678", "+886912345678"),
    ],
)
def test_phone_numbers_are_stored_in_e164_reading_bare_numbers_as_chinese(
    raw: str, expected: str
) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "abc", "+86 138", "0912345678", ""])
def test_numbers_that_cannot_be_real_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=re.escape(raw) if raw else "^$"):
        normalize_phone(raw)


def test_an_invalid_phone_is_reported_on_its_field_with_a_hint() -> None:
    with pytest.raises(InputError) as caught:
        clean_contact_data({"external_id": "c1", "phone": "12345"})
    assert caught.value.by_field()["phone"][0].startswith("“12345” is not a valid phone number")


def test_email_domain_is_lower_cased_and_local_part_kept() -> None:
    assert normalize_email("  Li.Wei@Example.COM ") == "Li.Wei@example.com"


@pytest.mark.parametrize("raw", ["li.wei", "li@", "@example.com", "li wei@example.com"])
def test_malformed_email_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InputError) as caught:
        clean_contact_data({"email": raw})
    assert list(caught.value.by_field()) == ["email"]


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(InputError) as caught:
        clean_contact_data(
            {
                "external_id": "x" * 101,
                "email": "nope",
                "language": "fr",
                "time_zone": "Mars/Olympus",
                "attributes": {"bad name": "x", "store": {"nested": 1}, "tier": "gold"},
                "colour": "red",
            }
        )
    assert set(caught.value.by_field()) == {
        "external_id",
        "email",
        "language",
        "time_zone",
        "attributes.bad name",
        "attributes.store",
        "colour",
    }


def test_languages_accept_usual_spellings_and_numbers_become_text() -> None:
    data = clean_contact_data(
        {
            "external_id": 42,
            "phone": 13800138000,
            "language": "zh-TW",
            "time_zone": "Asia/Hong_Kong",
            "attributes": {"store": 101, "tier": None},
        }
    )
    assert data.fields == {
        "external_id": "42",
        "phone": "+8613800138000",
        "language": "zh-Hant",
        "time_zone": "Asia/Hong_Kong",
    }
    assert data.attributes == {"store": "101", "tier": None}
    assert data.lookup() == ("external_id", "42")


def test_a_contact_needs_something_to_identify_it() -> None:
    with pytest.raises(InputError) as caught:
        clean_contact_data({"name": "Li Wei", "email": ""})
    assert list(caught.value.by_field()) == [""]


def test_the_lookup_prefers_email_over_phone_when_there_is_no_external_id() -> None:
    data = clean_contact_data({"email": "a@example.com", "phone": "13800138000"})
    assert data.lookup() == ("email", "a@example.com")
