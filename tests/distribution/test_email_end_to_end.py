"""The whole e-mail path against a real SMTP server on loopback (aiosmtpd)."""

import email
import email.policy
import html
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from cxloop.bench.smtp_sink import SinkHandler, smtp_sink
from cxloop.common.email_url import parse_email_url
from cxloop.contacts.models import Contact
from cxloop.distribution.models import ContactPolicy, Invitation, InvitationStatus
from cxloop.distribution.sending import invitation_message_id, invitations_send
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sink(settings: Any) -> Iterator[SinkHandler]:
    with smtp_sink() as (handler, port):
        # What CXLOOP_EMAIL_URL=smtp://127.0.0.1:<port>?timeout=5 sets.
        for name, value in parse_email_url(f"smtp://127.0.0.1:{port}?timeout=5").items():
            setattr(settings, name, value)
        settings.CXLOOP_SEND_RETRY_BASE_SECONDS = 60
        yield handler


@pytest.fixture
def survey(organization: Organization) -> Survey:
    ContactPolicy.objects.create(organization=organization)  # no quiet hours, whatever the time
    return survey_for(organization)


def parsed(content: bytes) -> EmailMessage:
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def state_of(page: Any) -> str:
    match = re.search(r'name="state" value="([^"]+)"', page.content.decode())
    assert match, page.content.decode()[:500]
    return match.group(1)


def test_invitation_to_answer_through_a_real_smtp_server(
    organization: Organization,
    survey: Survey,
    sink: SinkHandler,
    api_client: ApiClient,
    django_capture_on_commit_callbacks: Any,
    run_tasks: Callable[[], None],
) -> None:
    contact = Contact.objects.create(
        organization=organization, external_id="c-1", email="wang@example.com", language="en"
    )

    with django_capture_on_commit_callbacks(execute=True):
        queued = api_client.post(
            f"/api/v1/surveys/{survey.pk}/invitations",
            {"channel": "email", "contacts": ["c-1"], "attributes": {"store": "上海南京西路店"}},
        )
    run_tasks()

    assert queued.status_code == 202, queued.content
    [received] = sink.received
    assert received.recipients == ("wang@example.com",)
    message = parsed(received.content)
    invitation = Invitation.objects.get()
    assert message["Message-ID"] == invitation_message_id(invitation) == received.message_id
    assert str(message["List-Unsubscribe"]).strip().startswith(f"<{django_settings.PUBLIC_URL}/")
    assert message.get_body(preferencelist=("html",)) is not None
    assert invitation.status == InvitationStatus.SENT

    # The plain-text part carries the survey link and the unsubscribe link too.
    plain = text_of(message)
    assert f"{django_settings.PUBLIC_URL}/i/" in plain
    assert f"{django_settings.PUBLIC_URL}/u/" in plain
    # The score buttons of the e-mail's HTML part: one click answers the NPS question.
    links = re.findall(r'href="(https?://[^"]+\?score=9(?:&amp;[^"]*)?)"', html_of(message))
    assert len(links) == 1
    path = html.unescape(links[0]).removeprefix(django_settings.PUBLIC_URL)
    client = Client()
    page = client.get(path, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert re.search(r'name="q-nps" value="9" checked', page.content.decode())
    done = client.post(path.split("?")[0], {"state": state_of(page), "q-nps": "9"})
    assert done.status_code == 302

    response = Response.objects.get(survey=survey)
    assert response.contact_id == contact.pk
    assert response.answers["nps"] == 9
    assert response.attributes["store"] == "上海南京西路店"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.response_id) == (InvitationStatus.COMPLETED, response.pk)

    again = Client().get(path, headers={"Accept-Language": "en"})
    replay = Client().post(
        path.split("?")[0],
        {"state": state_of(page), "q-nps": "0"},
        headers={"Accept-Language": "en"},
    )
    assert "already answered" in again.content.decode()
    assert "already answered" in replay.content.decode()
    assert Response.objects.count() == 1


def invite_now(organization: Organization, survey: Survey, address: str) -> Invitation:
    contact = Contact.objects.create(organization=organization, email=address, language="en")
    invitation, _ = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="b", now=timezone.now()
    )
    return invitation


def test_a_busy_server_is_retried_and_the_message_arrives_once(
    organization: Organization, survey: Survey, sink: SinkHandler
) -> None:
    invitation = invite_now(organization, survey, "busy@example.com")
    sink.rcpt_answers["busy@example.com"] = ["451 4.3.0 Try again later"]
    now = timezone.now()

    first = invitations_send(invitation_ids=[invitation.pk], now=now)
    retried = invitations_send(invitation_ids=[invitation.pk], now=now + timedelta(seconds=60))
    duplicate = invitations_send(invitation_ids=[invitation.pk], now=now + timedelta(seconds=600))

    assert (first.retrying, retried.sent, duplicate.sent) == (1, 1, 0)
    assert [r.recipients for r in sink.received] == [("busy@example.com",)]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts) == (InvitationStatus.SENT, 2)


def test_a_refused_address_fails_with_the_servers_reason(
    organization: Organization, survey: Survey, sink: SinkHandler
) -> None:
    invitation = invite_now(organization, survey, "nobody@example.com")
    sink.rcpt_answers["nobody@example.com"] = ["550 5.1.1 No such user here"]

    report = invitations_send(invitation_ids=[invitation.pk], now=timezone.now())

    assert report.failed == 1
    assert sink.received == []
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reason) == (InvitationStatus.FAILED, "rejected")
    assert invitation.failure == "nobody@example.com: 550 5.1.1 No such user here"


def test_an_opt_out_after_queueing_means_nothing_reaches_the_server(
    organization: Organization, survey: Survey, sink: SinkHandler
) -> None:
    invitation = invite_now(organization, survey, "bye@example.com")
    Contact.objects.filter(pk=invitation.contact_id).update(email_opted_out_at=timezone.now())

    report = invitations_send(invitation_ids=[invitation.pk], now=timezone.now())

    assert report.skipped == {"opted_out": 1}
    assert sink.received == []


def test_an_unreachable_server_defers_the_send(
    organization: Organization, survey: Survey, settings: Any
) -> None:
    with smtp_sink() as (_handler, port):
        pass  # the port is free again: nothing listens there
    for name, value in parse_email_url(f"smtp://127.0.0.1:{port}?timeout=2").items():
        setattr(settings, name, value)
    invitation = invite_now(organization, survey, "later@example.com")

    report = invitations_send(invitation_ids=[invitation.pk], now=timezone.now())

    assert report.retrying == 1
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.QUEUED
    assert "Connection refused" in invitation.failure or "ConnectionRefused" in invitation.failure
