from typing import Any

import pytest
from django.core import signing
from django.db import IntegrityError

from cxloop.common.errors import InputError
from cxloop.contacts import services
from cxloop.contacts.models import Channel, Contact, OptOutSource
from cxloop.contacts.selectors import InvalidUnsubscribeToken, unsubscribe_target
from cxloop.contacts.services import (
    contact_opt_in,
    contact_opt_out,
    contact_upsert,
    contacts_upsert_many,
    unsubscribe_by_token,
    unsubscribe_token,
    unsubscribe_url,
)
from cxloop.organizations.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_upserting_the_same_external_id_twice_updates_one_contact(
    organization: Organization,
) -> None:
    first, created = contact_upsert(
        organization=organization,
        data={"external_id": "crm-1", "name": "李伟", "phone": "13800138000"},
    )
    assert created
    second, created_again = contact_upsert(
        organization=organization,
        data={"external_id": "crm-1", "email": "Li@Example.com", "attributes": {"tier": "gold"}},
    )
    assert not created_again
    assert second.pk == first.pk
    assert Contact.objects.filter(organization=organization).count() == 1
    second.refresh_from_db()
    # Fields left out keep their value; the new ones are normalized.
    assert (second.name, second.phone, second.email) == ("李伟", "+8613800138000", "Li@example.com")
    assert second.attributes == {"tier": "gold"}


def test_attributes_merge_and_empty_values_clear(organization: Organization) -> None:
    contact_upsert(
        organization=organization,
        data={"external_id": "c", "name": "A", "attributes": {"store": "S1", "tier": "gold"}},
    )
    contact, _ = contact_upsert(
        organization=organization,
        data={"external_id": "c", "name": "", "attributes": {"store": "S2", "tier": None}},
    )
    contact.refresh_from_db()
    assert contact.attributes == {"store": "S2"}
    assert contact.name == ""


def test_without_external_id_contacts_are_matched_by_email_then_phone(
    organization: Organization,
) -> None:
    by_email, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    by_phone, _ = contact_upsert(organization=organization, data={"phone": "+852 6123 4567"})
    again, created = contact_upsert(
        organization=organization, data={"email": "a@EXAMPLE.com", "name": "Ann"}
    )
    assert (again.pk, created) == (by_email.pk, False)
    again, created = contact_upsert(
        organization=organization, data={"phone": "+85261234567", "name": "Ho"}
    )
    assert (again.pk, created) == (by_phone.pk, False)
    assert Contact.objects.filter(organization=organization).count() == 2


def test_an_email_shared_by_two_contacts_needs_an_external_id(
    organization: Organization,
) -> None:
    for external_id in ("h1", "h2"):
        contact_upsert(
            organization=organization,
            data={"external_id": external_id, "email": "family@example.com"},
        )
    with pytest.raises(InputError) as caught:
        contact_upsert(organization=organization, data={"email": "family@example.com", "name": "X"})
    assert "external_id" in caught.value.by_field()["email"][0]
    assert not Contact.objects.filter(name="X").exists()


def test_same_external_id_in_two_organizations_are_two_contacts(
    organization: Organization, other_membership: Membership
) -> None:
    mine, _ = contact_upsert(organization=organization, data={"external_id": "1", "name": "A"})
    theirs, created = contact_upsert(
        organization=other_membership.organization, data={"external_id": "1", "name": "B"}
    )
    assert created and theirs.pk != mine.pk
    mine.refresh_from_db()
    assert mine.name == "A"


def test_a_concurrent_insert_of_the_same_external_id_turns_into_an_update(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other request wins the race: our insert hits the unique constraint and we retry."""
    Contact.objects.create(organization=organization, external_id="race", name="other request")
    real_find = services._find
    calls: list[int] = []

    def racing_find(org: Organization, data: Any) -> Contact | None:
        # The first lookup ran before the other request committed its row.
        calls.append(1)
        return None if len(calls) == 1 else real_find(org, data)

    monkeypatch.setattr(services, "_find", racing_find)
    _contact, created = contact_upsert(
        organization=organization, data={"external_id": "race", "name": "ours"}
    )
    assert not created
    assert len(calls) == 2
    assert list(Contact.objects.values_list("name", flat=True)) == ["ours"]


def test_an_integrity_error_twice_is_not_swallowed(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always_fails(org: Organization, data: Any) -> tuple[Contact, bool]:
        raise IntegrityError("still racing")

    monkeypatch.setattr(services, "_upsert_once", always_fails)
    with pytest.raises(IntegrityError):
        contact_upsert(organization=organization, data={"external_id": "x"})


def test_upsert_many_keeps_good_items_and_reports_bad_ones(organization: Organization) -> None:
    report = contacts_upsert_many(
        organization=organization,
        items=[
            {"external_id": "a", "phone": "13800138000"},
            {"external_id": "b", "phone": "123"},
            "not an object",
            {"external_id": "a", "name": "again"},
        ],
    )
    assert [(item.index, item.status) for item in report.items] == [
        (0, "created"),
        (1, "error"),
        (2, "error"),
        (3, "updated"),
    ]
    assert [e.field for e in report.items[1].errors] == ["phone"]
    assert not report.all_created
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["a"]


def test_opt_out_is_per_channel_and_idempotent(organization: Organization) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    contact = contact_opt_out(contact=contact, channel=Channel.EMAIL, source=OptOutSource.API)
    first_time = contact.email_opted_out_at
    assert contact.opted_out("email") and not contact.opted_out("sms")
    assert contact.email_opt_out_source == OptOutSource.API
    contact = contact_opt_out(
        contact=contact, channel="email", source=OptOutSource.UNSUBSCRIBE_LINK
    )
    assert contact.email_opted_out_at == first_time
    assert contact.email_opt_out_source == OptOutSource.API
    contact = contact_opt_in(contact=contact, channel="email")
    assert not contact.opted_out("email")
    assert contact.email_opt_out_source == ""


def test_an_unknown_channel_is_refused(organization: Organization) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    with pytest.raises(InputError) as caught:
        contact_opt_out(contact=contact, channel="fax", source=OptOutSource.API)
    assert list(caught.value.by_field()) == ["channel"]
    with pytest.raises(ValueError, match="fax"):
        contact.opted_out("fax")


def test_an_unsubscribe_token_opts_out_its_contact_on_its_channel_only(
    organization: Organization,
) -> None:
    mine, _ = contact_upsert(
        organization=organization, data={"email": "a@example.com", "phone": "13800138000"}
    )
    other, _ = contact_upsert(organization=organization, data={"email": "b@example.com"})
    token = unsubscribe_token(mine, "sms")
    target = unsubscribe_target(token)
    assert (target.contact.pk, target.channel) == (mine.pk, "sms")
    unsubscribe_by_token(token)
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.opted_out("sms")
    assert not mine.opted_out("email")
    assert not other.opted_out("sms") and not other.opted_out("email")
    assert mine.sms_opt_out_source == OptOutSource.UNSUBSCRIBE_LINK


def test_unsubscribe_links_start_with_the_public_url(
    organization: Organization, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://cx.example.com"
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    url = unsubscribe_url(contact, "email")
    assert url.startswith("https://cx.example.com/u/")
    assert unsubscribe_target(url.removeprefix("https://cx.example.com/u/")).contact == contact


def test_forged_altered_or_expired_tokens_are_refused(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    other, _ = contact_upsert(organization=organization, data={"email": "b@example.com"})
    payload, _, signature = unsubscribe_token(mine, "email").partition(":")
    forged_payload = signing.dumps(
        {"o": organization.pk, "c": other.pk, "ch": "email"}, salt="another purpose"
    )
    tokens = [
        "",
        "garbage",
        # Another contact's payload carried with this contact's signature.
        forged_payload.partition(":")[0] + ":" + signature,
        # Properly signed, but for another purpose.
        forged_payload,
    ]
    for token in tokens:
        with pytest.raises(InvalidUnsubscribeToken):
            unsubscribe_target(token)
    monkeypatch.setattr("cxloop.contacts.selectors.UNSUBSCRIBE_TOKEN_MAX_AGE", -1)
    with pytest.raises(InvalidUnsubscribeToken):
        unsubscribe_target(unsubscribe_token(mine, "email"))
    other.refresh_from_db()
    assert not other.opted_out("email")
    assert payload  # the token had a payload part to tamper with


def test_a_token_of_a_deleted_contact_is_refused(organization: Organization) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    token = unsubscribe_token(contact, "email")
    contact.delete()
    with pytest.raises(InvalidUnsubscribeToken):
        unsubscribe_by_token(token)
