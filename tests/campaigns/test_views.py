"""The campaigns pages as an admin uses them, and the response-rate panel of the survey
dashboard."""

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cxloop.campaigns.models import EventRule, Wave, WaveRun
from cxloop.campaigns.services import WaveInput, event_receive, wave_create, waves_run_due
from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.surveys.models import Survey
from tests.campaigns.conftest import NOON_SHANGHAI
from tests.factories import MembershipFactory, survey_for

pytestmark = pytest.mark.django_db


def url(organization: Organization, name: str, *args: Any) -> str:
    return reverse(f"campaigns:{name}", args=[organization.slug, *args])


def rule_form(survey: Survey, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "CSAT by SMS two hours after order_delivered",
        "event": "order_delivered",
        "survey": str(survey.pk),
        "channel": "sms",
        "delay": "2",
        "delay_unit": "hours",
        "conditions": "store = 上海南京西路店， 北京三里屯店",
        "dedupe_days": "0",
        "active": "on",
    }
    values.update(overrides)
    return values


def test_create_edit_and_deactivate_a_rule(
    member_client: Client, organization: Organization, survey: Survey
) -> None:
    response = member_client.post(url(organization, "rule_new"), rule_form(survey))
    assert response.status_code == 302
    rule = EventRule.objects.get()
    assert (rule.delay_minutes, rule.channel, rule.active) == (120, "sms", True)
    assert rule.conditions == {"store": ["上海南京西路店", "北京三里屯店"]}
    page = member_client.get(url(organization, "index"))
    assert page.status_code == 200
    assert rule.name in page.content.decode()
    edit = member_client.get(url(organization, "rule_edit", rule.pk)).content.decode()
    assert 'value="2"' in edit and "上海南京西路店, 北京三里屯店" in edit
    member_client.post(
        url(organization, "rule_edit", rule.pk), rule_form(survey, delay="15", delay_unit="minutes")
    )
    rule.refresh_from_db()
    assert rule.delay_minutes == 15
    member_client.post(url(organization, "rule_active", rule.pk), {"active": "0"})
    rule.refresh_from_db()
    assert rule.active is False


def test_a_bad_rule_is_explained_on_the_form(
    member_client: Client, organization: Organization, survey: Survey
) -> None:
    response = member_client.post(
        url(organization, "rule_new"), rule_form(survey, event="order delivered", conditions="x")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Write each line as name = value, other value." in page
    assert not EventRule.objects.exists()
    response = member_client.post(url(organization, "rule_new"), rule_form(survey, event="a b"))
    assert response.status_code == 400
    assert "letters, digits and _ . : -" in response.content.decode()


def test_create_a_wave_and_see_its_runs(
    member_client: Client, organization: Organization, survey: Survey
) -> None:
    for n in range(4):
        Contact.objects.create(organization=organization, email=f"c{n}@example.com")
    response = member_client.post(
        url(organization, "wave_new"),
        {
            "name": "Quarterly NPS",
            "survey": str(survey.pk),
            "channel": "email",
            "segment": "",
            "sample_percent": "50",
            "sample_by": "",
            "first_run_at": "2026-05-06T12:00",
            "repeat_months": "3",
        },
    )
    assert response.status_code == 302
    wave = Wave.objects.get()
    assert wave.first_run_at == NOON_SHANGHAI
    waves_run_due(now=NOON_SHANGHAI)
    page = member_client.get(url(organization, "wave", wave.pk))
    assert page.status_code == 200
    [run] = WaveRun.objects.all()
    assert run.selected == 2
    assert page.content.decode().count('data-testid="run-row"') == 1
    member_client.post(url(organization, "wave_active", wave.pk), {"active": "0"})
    wave.refresh_from_db()
    assert wave.active is False


def test_a_bad_wave_is_explained(
    member_client: Client, organization: Organization, survey: Survey
) -> None:
    response = member_client.post(
        url(organization, "wave_new"),
        {
            "name": "x",
            "survey": str(survey.pk),
            "channel": "email",
            "sample_percent": "0",
            "sample_by": "has space",
            "first_run_at": "2026-05-06T12:00",
            "repeat_months": "0",
        },
    )
    assert response.status_code == 400
    assert "Enter a percentage above 0 and at most 100." in response.content.decode()
    assert not Wave.objects.exists()


def test_the_page_shows_events_and_rates_in_pinned_queries(
    member_client: Client,
    organization: Organization,
    survey: Survey,
    django_assert_num_queries: Any,
) -> None:
    EventRule.objects.create(
        organization=organization,
        name="Delivered",
        event="order_delivered",
        survey=survey,
        channel="email",
    )
    wave_create(
        organization=organization,
        data=WaveInput(name="Q", survey_id=survey.pk, channel="email", first_run_at=NOON_SHANGHAI),
    )
    for n in range(3):
        event_receive(
            organization=organization,
            event="order_delivered",
            contact={"external_id": f"c-{n}", "email": f"c{n}@example.com"},
            now=datetime.now(tz=UTC),
        )
    # Session, user, membership; rules, waves, events; rates (counts, labels).
    with django_assert_num_queries(8):
        page = member_client.get(url(organization, "index"))
    html = page.content.decode()
    assert html.count('data-testid="event-row"') == 3
    assert 'data-testid="response-rates"' in html and 'data-testid="rate-row"' in html


def test_roles_and_other_organizations(
    organization: Organization, survey: Survey, other_membership: Membership
) -> None:
    analyst = Client()
    analyst.force_login(MembershipFactory(organization=organization, role=Role.ANALYST).user)
    assert analyst.get(url(organization, "index")).status_code == 403
    other = other_membership.organization
    theirs = EventRule.objects.create(
        organization=other, name="theirs", event="e", survey=survey_for(other), channel="sms"
    )
    their_wave = Wave.objects.create(
        organization=other,
        name="w",
        survey=theirs.survey,
        channel="sms",
        first_run_at=NOON_SHANGHAI,
    )
    owner = Client()
    owner.force_login(MembershipFactory(organization=organization, role=Role.OWNER).user)
    assert owner.get(url(organization, "rule_edit", theirs.pk)).status_code == 404
    assert (
        owner.post(url(organization, "rule_active", theirs.pk), {"active": "0"}).status_code == 404
    )
    assert owner.get(url(organization, "wave", their_wave.pk)).status_code == 404
    assert (
        owner.post(url(organization, "wave_active", their_wave.pk), {"active": "0"}).status_code
        == 404
    )
    assert owner.get(url(other, "index")).status_code == 404
    theirs.refresh_from_db()
    their_wave.refresh_from_db()
    assert theirs.active and their_wave.active


def test_the_survey_dashboard_shows_response_rates(
    member_client: Client, organization: Organization, survey: Survey, contact: Contact
) -> None:
    day = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
    for n, status in enumerate(["sent", "sent", "completed", "failed"]):
        invitation = Invitation.objects.create(
            organization=organization,
            survey=survey,
            contact=contact,
            channel="email",
            status=status,
            batch_key=f"b{n}",
            short_code=f"code{n}",
            scheduled_at=day,
            expires_at=day,
        )
        Invitation.objects.filter(pk=invitation.pk).update(created_at=day)
    page = member_client.get(
        reverse("analytics:dashboard", args=[organization.slug, survey.pk]),
        {"from": "2026-05-01", "to": "2026-05-31"},
    )
    html = page.content.decode()
    assert 'data-testid="response-rates"' in html
    # 1 completed of 3 sent (the failed one is not in the denominator).
    assert ">33.3<" in html
    outside = member_client.get(
        reverse("analytics:dashboard", args=[organization.slug, survey.pk]),
        {"from": "2026-06-01", "to": "2026-06-30"},
    ).content.decode()
    assert "No invitations in this period." in outside
