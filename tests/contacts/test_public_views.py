import pytest
from django.test import Client
from django.urls import reverse

from cxloop.contacts.models import Contact
from cxloop.contacts.services import contact_upsert, unsubscribe_token
from cxloop.organizations.models import Membership, Organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(organization: Organization) -> Contact:
    contact, _ = contact_upsert(
        organization=organization,
        data={"email": "li.wei@example.com", "phone": "13800138000", "language": "en"},
    )
    return contact


def unsubscribe_path(token: str) -> str:
    return reverse("contacts_public:unsubscribe", args=[token])


def test_get_asks_for_confirmation_and_changes_nothing(contact: Contact) -> None:
    page = Client().get(unsubscribe_path(unsubscribe_token(contact, "email")))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Stop e-mails from" in html and contact.organization.name in html
    assert "l***@example.com" in html
    assert "li.wei@example.com" not in html  # a forwarded link must not reveal the address
    assert '<form method="post">' in html
    contact.refresh_from_db()
    assert not contact.opted_out("email")


def test_post_unsubscribes_and_is_idempotent(contact: Contact) -> None:
    path = unsubscribe_path(unsubscribe_token(contact, "email"))
    client = Client(enforce_csrf_checks=True)  # mail clients post without any cookie
    first = client.post(path)
    assert first.status_code == 200
    assert 'data-testid="unsubscribed"' in first.content.decode()
    contact.refresh_from_db()
    opted_out_at = contact.email_opted_out_at
    assert opted_out_at is not None and contact.email_opt_out_source == "link"
    assert not contact.opted_out("sms")
    again = client.post(path)
    assert again.status_code == 200
    contact.refresh_from_db()
    assert contact.email_opted_out_at == opted_out_at
    # Visiting the link afterwards says so instead of asking again.
    assert 'data-testid="unsubscribed"' in client.get(path).content.decode()


def test_the_page_speaks_the_contacts_language(organization: Organization) -> None:
    contact, _ = contact_upsert(
        organization=organization, data={"phone": "13800138000", "language": "zh-Hant"}
    )
    page = Client().get(
        unsubscribe_path(unsubscribe_token(contact, "sms")), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert '<html lang="zh-Hant">' in page.content.decode()


def test_without_a_contact_language_the_browser_decides(organization: Organization) -> None:
    contact, _ = contact_upsert(organization=organization, data={"phone": "13800138000"})
    page = Client().get(
        unsubscribe_path(unsubscribe_token(contact, "sms")), HTTP_ACCEPT_LANGUAGE="en-US,en"
    )
    html = page.content.decode()
    assert '<html lang="en">' in html
    assert "Stop text messages from" in html and "***8000" in html


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_bad_token_gets_a_polite_400_and_changes_nothing(contact: Contact, method: str) -> None:
    good = unsubscribe_token(contact, "email")
    tampered = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    for token in ["nonsense", tampered]:
        response = getattr(Client(), method)(unsubscribe_path(token), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    contact.refresh_from_db()
    assert not contact.opted_out("email")


def test_a_token_only_works_for_its_own_contact_and_channel(
    contact: Contact, organization: Organization, other_membership: Membership
) -> None:
    neighbour, _ = contact_upsert(organization=organization, data={"email": "n@example.com"})
    stranger, _ = contact_upsert(
        organization=other_membership.organization, data={"email": "s@example.com"}
    )
    Client().post(unsubscribe_path(unsubscribe_token(contact, "sms")))
    for someone in (contact, neighbour, stranger):
        someone.refresh_from_db()
    assert contact.opted_out("sms")
    assert not contact.opted_out("email")
    assert not neighbour.opted_out("email") and not neighbour.opted_out("sms")
    assert not stranger.opted_out("email") and not stranger.opted_out("sms")
