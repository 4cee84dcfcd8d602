from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation, InvitationStatus
from cxloop.organizations.models import Membership, Organization
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


@pytest.fixture
def contacts(organization: Organization) -> list[Contact]:
    return [
        Contact.objects.create(organization=organization, external_id="c-1", email="a@example.com", attributes={"store": "A"}),
        Contact.objects.create(organization=organization, external_id="c-2", email="b@example.com", attributes={"store": "B"},
                               email_opted_out_at=timezone.now()),
        Contact.objects.create(organization=organization, external_id="c-3", phone="+8613800000000", attributes={"store": "A"}),
    ]  # fmt: skip


def test_invitations_are_queued_and_skips_say_why(
    survey: Survey, contacts: list[Contact], api_client: ApiClient
) -> None:
    response = api_client.post(
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"channel": "email", "contacts": ["c-1", "c-2", "c-3", "nobody"], "idempotency_key": "k1"},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert [q["contact"] for q in body["queued"]] == ["c-1"]
    assert {(s["contact"], s["reason"]) for s in body["skipped"]} == {
        ("c-2", "opted_out"),
        ("c-3", "no_email"),
    }
    assert body["unknown"] == ["nobody"]
    again = api_client.post(
        f"/api/v1/surveys/{survey.pk}/invitations",
        {"channel": "email", "contacts": ["c-1"], "idempotency_key": "k1"},
    ).json()
    assert again["queued"][0]["invitation_id"] == body["queued"][0]["invitation_id"]
    assert Invitation.objects.filter(status=InvitationStatus.QUEUED).count() == 1


def test_a_segment_selects_contacts_by_attribute(
    survey: Survey, contacts: list[Contact], api_client: ApiClient
) -> None:
    body = api_client.post(
        f"/api/v1/surveys/{survey.pk}/invitations", {"channel": "sms", "segment": {"store": ["A"]}}
    ).json()
    assert [q["contact"] for q in body["queued"]] == ["c-3"]
    assert [(s["contact"], s["reason"]) for s in body["skipped"]] == [("c-1", "no_phone")]


def test_a_second_batch_within_ninety_days_is_skipped(
    organization: Organization, survey: Survey, contacts: list[Contact], api_client: ApiClient
) -> None:
    api_client.post(
        f"/api/v1/surveys/{survey.pk}/invitations", {"channel": "email", "contacts": ["c-1"]}
    )
    other = survey_for(organization)
    body = api_client.post(
        f"/api/v1/surveys/{other.pk}/invitations", {"channel": "email", "contacts": ["c-1"]}
    ).json()
    assert body["skipped"] == [{"contact": "c-1", "reason": "recently_invited"}]
    assert Invitation.objects.get(survey=other).scheduled_at <= timezone.now() + timedelta(
        seconds=5
    )


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"channel": "fax", "contacts": ["c-1"]}, 422, "channel"),
        ({"channel": "email"}, 422, "contacts"),
        ({"channel": "email", "segment": {"a b": ["x"]}}, 422, "segment.a b"),
    ],
)
def test_bad_requests_name_the_field(
    survey: Survey,
    contacts: list[Contact],
    api_client: ApiClient,
    payload: dict[str, object],
    status: int,
    field: str,
) -> None:
    response = api_client.post(f"/api/v1/surveys/{survey.pk}/invitations", payload)
    assert response.status_code == status
    assert response.json()["detail"][0]["field"] == field
    assert not Invitation.objects.exists()


def test_a_draft_survey_invites_nobody(
    organization: Organization, contacts: list[Contact], api_client: ApiClient
) -> None:
    draft = survey_for(organization, publish=False)
    response = api_client.post(
        f"/api/v1/surveys/{draft.pk}/invitations", {"channel": "email", "contacts": ["c-1"]}
    )
    assert response.status_code == 409
    assert not Invitation.objects.exists()


def test_another_organizations_survey_and_contacts_are_out_of_reach(
    survey: Survey,
    contacts: list[Contact],
    other_membership: Membership,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    intruder = make_api_client(other_membership.organization)
    assert (
        intruder.post(
            f"/api/v1/surveys/{survey.pk}/invitations", {"channel": "email", "contacts": ["c-1"]}
        ).status_code
        == 404
    )
    theirs = survey_for(other_membership.organization)
    body = intruder.post(
        f"/api/v1/surveys/{theirs.pk}/invitations", {"channel": "email", "contacts": ["c-1"]}
    ).json()
    assert body["unknown"] == ["c-1"] and body["queued"] == []
    assert not Invitation.objects.exists()
