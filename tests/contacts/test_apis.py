from collections.abc import Callable

import pytest
from django.test import Client

from cxloop.contacts.models import Contact
from cxloop.contacts.services import contact_upsert
from cxloop.organizations.models import Membership, Organization
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_post_one_contact_creates_it(api_client: ApiClient, organization: Organization) -> None:
    response = api_client.post(
        "/api/v1/contacts",
        {
            "external_id": "m-1",
            "name": "李伟",
            "phone": "138 0013 8000",
            "attributes": {"tier": "gold"},
        },
    )
    assert response.status_code == 201
    body = response.json()
    contact = Contact.objects.get(organization=organization, external_id="m-1")
    assert body == {
        "created": 1,
        "updated": 0,
        "failed": 0,
        "items": [
            {"index": 0, "status": "created", "id": contact.pk, "external_id": "m-1", "errors": []}
        ],
    }
    assert contact.phone == "+8613800138000"


def test_post_many_reports_each_item_and_keeps_the_good_ones(
    api_client: ApiClient, organization: Organization
) -> None:
    contact_upsert(organization=organization, data={"external_id": "old", "name": "Before"})
    response = api_client.post(
        "/api/v1/contacts",
        [
            {"external_id": "new", "email": "n@example.com"},
            {"external_id": "old", "name": "After"},
            {"external_id": "bad", "phone": "12345", "language": "fr"},
            42,
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 1, 2)
    assert [item["status"] for item in body["items"]] == ["created", "updated", "error", "error"]
    assert {e["field"] for e in body["items"][2]["errors"]} == {"phone", "language"}
    assert body["items"][3]["errors"][0]["field"] == ""
    assert Contact.objects.get(organization=organization, external_id="old").name == "After"
    assert not Contact.objects.filter(external_id="bad").exists()


def test_a_list_of_only_new_contacts_gets_201(api_client: ApiClient) -> None:
    response = api_client.post(
        "/api/v1/contacts", [{"email": "a@example.com"}, {"phone": "+85261234567"}]
    )
    assert response.status_code == 201
    assert response.json()["created"] == 2


@pytest.mark.parametrize("body", ["5", '"text"', "[]", "null"])
def test_a_body_that_is_not_contacts_is_refused_whole(api_client: ApiClient, body: str) -> None:
    response = api_client.client.post(
        "/api/v1/contacts", body, content_type="application/json", headers=api_client.headers
    )
    assert response.status_code == 422
    assert response.json()["detail"]
    assert not Contact.objects.exists()


def test_more_than_1000_items_are_refused_whole(api_client: ApiClient) -> None:
    items = [{"external_id": str(i)} for i in range(1001)]
    response = api_client.post("/api/v1/contacts", items)
    assert response.status_code == 422
    assert "1000" in response.json()["detail"][0]["msg"]
    assert not Contact.objects.exists()


def test_list_searches_and_filters_by_attribute(
    api_client: ApiClient, organization: Organization
) -> None:
    for external_id, name, store in [
        ("1", "Ann Lee", "S1"),
        ("2", "Bo Chan", "S2"),
        ("3", "Cy Lee", "S2"),
    ]:
        contact_upsert(
            organization=organization,
            data={"external_id": external_id, "name": name, "attributes": {"store": store}},
        )
    everyone = api_client.get("/api/v1/contacts").json()
    assert everyone["count"] == 3
    lees = api_client.get("/api/v1/contacts", {"q": "lee"}).json()
    assert sorted(item["external_id"] for item in lees["items"]) == ["1", "3"]
    s2_lees = api_client.get("/api/v1/contacts", {"q": "lee", "attr.store": "S2"}).json()
    assert [item["external_id"] for item in s2_lees["items"]] == ["3"]
    paged = api_client.get("/api/v1/contacts", {"limit": 2, "offset": 2}).json()
    assert paged["count"] == 3 and len(paged["items"]) == 1


def test_a_bad_attribute_filter_is_a_bad_request(api_client: ApiClient) -> None:
    response = api_client.get("/api/v1/contacts", {"attr.no way": "x"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "attr.no way"


def test_get_by_external_id(api_client: ApiClient, organization: Organization) -> None:
    contact_upsert(
        organization=organization,
        data={"external_id": "CRM 7", "email": "a@example.com", "time_zone": "Asia/Taipei"},
    )
    body = api_client.get("/api/v1/contacts/CRM 7").json()
    assert (body["email"], body["time_zone"], body["email_opted_out_at"]) == (
        "a@example.com",
        "Asia/Taipei",
        None,
    )
    assert api_client.get("/api/v1/contacts/nobody").status_code == 404


def test_opt_out_through_the_api(api_client: ApiClient, organization: Organization) -> None:
    contact, _ = contact_upsert(
        organization=organization,
        data={"external_id": "c1", "email": "a@example.com", "phone": "13800138000"},
    )
    response = api_client.post("/api/v1/contacts/c1/opt-out", {"channel": "sms"})
    assert response.status_code == 200
    assert response.json()["sms_opted_out_at"] is not None
    assert response.json()["email_opted_out_at"] is None
    contact.refresh_from_db()
    assert contact.opted_out("sms") and not contact.opted_out("email")
    assert contact.sms_opt_out_source == "api"
    refused = api_client.post("/api/v1/contacts/c1/opt-out", {"channel": "fax"})
    assert refused.status_code == 422
    assert api_client.post("/api/v1/contacts/none/opt-out", {"channel": "sms"}).status_code == 404


def test_another_organizations_contacts_are_invisible_and_unchangeable(
    other_membership: Membership,
    organization: Organization,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    theirs, _ = contact_upsert(
        organization=other_membership.organization,
        data={"external_id": "secret", "name": "Theirs", "email": "t@example.com"},
    )
    intruder = make_api_client(organization)
    assert intruder.get("/api/v1/contacts/secret").status_code == 404
    assert intruder.get("/api/v1/contacts").json()["items"] == []
    assert intruder.get("/api/v1/contacts", {"q": "Theirs"}).json()["count"] == 0
    opt_out = intruder.post("/api/v1/contacts/secret/opt-out", {"channel": "email"})
    assert opt_out.status_code == 404
    # Upserting the same external id makes the intruder's own contact, never touches theirs.
    created = intruder.post("/api/v1/contacts", {"external_id": "secret", "name": "Hacked"})
    assert created.status_code == 201
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
    assert not theirs.opted_out("email")
    assert Contact.objects.get(organization=organization).name == "Hacked"


def test_without_an_api_key_nothing_is_served() -> None:
    anonymous = Client()
    assert anonymous.get("/api/v1/contacts").status_code == 401
    response = anonymous.post(
        "/api/v1/contacts", {"email": "a@example.com"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not Contact.objects.exists()
