"""A survey's invitations, on a page and through the API: status, channel, skip reasons."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Membership, Organization
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
NOON_SHANGHAI = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)


def invite_many(survey: Survey, count: int, *, batch: str = "b", channel: str = "email") -> None:
    for i in range(count):
        contact, _ = Contact.objects.get_or_create(
            organization=survey.organization,
            external_id=f"c{i}",
            defaults={"email": f"c{i}@example.com"},
        )
        invitation_create(
            survey=survey, contact=contact, channel=channel, batch_key=batch, now=NOON_SHANGHAI
        )


@pytest.fixture
def survey(organization: Organization) -> Survey:
    survey = survey_for(organization)
    invite_many(survey, 3)
    invite_many(survey, 2, batch="again", channel="sms")  # skipped: invited minutes ago
    return survey


def page_url(survey: Survey) -> str:
    return reverse("distribution:survey_invitations", args=[survey.organization.slug, survey.pk])


def test_the_page_counts_by_status_and_lists_the_skip_reasons(
    member_client: Client, survey: Survey
) -> None:
    page = member_client.get(page_url(survey))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="invitation-row"') == 5
    assert 'data-status="queued">3<' in html and 'data-status="skipped">2<' in html
    assert "<code>recently_invited</code></a>: 2" in html
    skipped = member_client.get(page_url(survey), {"status": "skipped", "channel": "sms"})
    assert skipped.content.decode().count('data-testid="invitation-row"') == 2


def test_an_unknown_filter_value_is_explained(member_client: Client, survey: Survey) -> None:
    page = member_client.get(
        page_url(survey), {"status": "lost"}, headers={"Accept-Language": "en"}
    )
    assert page.status_code == 400
    assert "Unknown status; use one of: queued, skipped" in page.content.decode()


def test_the_page_costs_the_same_queries_for_many_invitations(
    member_client: Client, survey: Survey
) -> None:
    with CaptureQueriesContext(connection) as few:
        member_client.get(page_url(survey))
    invite_many(survey, 40, batch="more")
    with CaptureQueriesContext(connection) as many:
        member_client.get(page_url(survey))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_another_organization_sees_no_invitation_list(
    survey: Survey, other_membership: Membership
) -> None:
    stranger = Client()
    stranger.force_login(other_membership.user)
    assert stranger.get(page_url(survey)).status_code == 404
    url = reverse(
        "distribution:survey_invitations", args=[other_membership.organization.slug, survey.pk]
    )
    assert stranger.get(url).status_code == 404


def test_the_api_lists_invitations_with_filters(api_client: ApiClient, survey: Survey) -> None:
    path = f"/api/v1/surveys/{survey.pk}/invitations"
    everything = api_client.get(path).json()
    assert everything["count"] == 5
    first = everything["items"][0]
    assert set(first) >= {"contact", "channel", "status", "reason", "scheduled_at", "response_id"}
    skipped = api_client.get(path, {"status": "skipped"}).json()["items"]
    assert {(i["channel"], i["reason"]) for i in skipped} == {("sms", "recently_invited")}
    assert {i["contact"] for i in skipped} == {"c0", "c1"}
    bad = api_client.get(path, {"channel": "pigeon"})
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["field"] == "channel"


def test_the_api_does_not_list_another_organizations_invitations(
    survey: Survey, make_api_client: Any, other_membership: Membership
) -> None:
    intruder = make_api_client(other_membership.organization)
    assert intruder.get(f"/api/v1/surveys/{survey.pk}/invitations").status_code == 404
    assert Invitation.objects.filter(survey=survey).count() == 5
