from collections.abc import Callable

import pytest

from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation, InvitationStatus
from cxloop.distribution.sending import invitation_message_id, invitations_send
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Membership, Organization
from tests.conftest import ApiClient
from tests.distribution.test_sending import LATER, T0
from tests.factories import survey_for

pytestmark = pytest.mark.django_db


def sent_invitation(organization: Organization, email: str) -> Invitation:
    survey = survey_for(organization)
    contact = Contact.objects.create(organization=organization, email=email)
    invitation, _ = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="b", now=T0
    )
    invitations_send(invitation_ids=[invitation.pk], now=LATER)
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    return invitation


def test_a_permanent_bounce_fails_the_invitation_and_stops_mail_to_the_address(
    organization: Organization, api_client: ApiClient
) -> None:
    hard = sent_invitation(organization, "gone@example.com")
    soft = sent_invitation(organization, "full@example.com")

    response = api_client.post(
        "/api/v1/invitations/bounces",
        [
            {
                "message_id": invitation_message_id(hard),
                "reason": "550 5.1.1 no such user",
                "permanent": True,
            },
            {"invitation_id": soft.pk, "reason": "452 mailbox full", "permanent": False},
            {"message_id": "<nobody@example.com>", "reason": "550", "permanent": True},
        ],
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "failed": [hard.pk],
        "noted": [soft.pk],
        "unknown": ["<nobody@example.com>"],
    }
    hard.refresh_from_db()
    soft.refresh_from_db()
    assert (hard.status, hard.reason, hard.failure) == (
        "failed",
        "bounced",
        "550 5.1.1 no such user",
    )
    assert hard.failed_at is not None
    assert hard.contact.email_bounced_at is not None
    assert (soft.status, soft.failure) == ("sent", "452 mailbox full")
    assert Contact.objects.get(pk=soft.contact_id).email_bounced_at is None


def test_a_bouncing_address_gets_no_more_mail_until_it_changes(
    organization: Organization, api_client: ApiClient
) -> None:
    bounced = sent_invitation(organization, "gone@example.com")
    api_client.post(
        "/api/v1/invitations/bounces",
        [{"invitation_id": bounced.pk, "reason": "550", "permanent": True}],
    )
    survey = survey_for(organization)
    invitation, _ = invitation_create(
        survey=survey, contact=bounced.contact, channel="email", batch_key="next", now=T0
    )
    # (the fatigue rules would skip it: this test is about the address)
    Invitation.objects.filter(pk=invitation.pk).update(status="queued", reason="", scheduled_at=T0)

    report = invitations_send(invitation_ids=[invitation.pk], now=LATER)

    assert report.skipped == {"email_bouncing": 1}


def test_bounces_need_a_reference_and_a_key(
    organization: Organization, api_client: ApiClient
) -> None:
    missing = api_client.post("/api/v1/invitations/bounces", [{"reason": "550", "permanent": True}])
    anonymous = ApiClient("not-a-key").post("/api/v1/invitations/bounces", [])

    assert missing.status_code == 422
    assert anonymous.status_code == 401


def test_another_organization_cannot_bounce_my_invitations(
    organization: Organization,
    other_membership: Membership,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    mine = sent_invitation(organization, "me@example.com")
    intruder = make_api_client(other_membership.organization)

    response = intruder.post(
        "/api/v1/invitations/bounces",
        [
            {"message_id": invitation_message_id(mine), "reason": "550", "permanent": True},
            {"invitation_id": mine.pk, "reason": "550", "permanent": True},
        ],
    )

    assert response.json() == {
        "failed": [],
        "noted": [],
        "unknown": [invitation_message_id(mine), str(mine.pk)],
    }
    mine.refresh_from_db()
    assert (mine.status, mine.failure) == ("sent", "")
    assert mine.contact.email_bounced_at is None
