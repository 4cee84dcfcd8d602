"""An API key of one organization can neither read nor change anything of another."""

from collections.abc import Callable
from typing import Any

import pytest

from cxloop.distribution.models import EmailTemplate
from cxloop.distribution.services import email_template_set
from cxloop.organizations.models import Membership, Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey, SurveyStatus
from cxloop.surveys.selectors import survey_definition_dict
from tests.conftest import ApiClient
from tests.factories import answer, nps_definition, survey_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(other_membership: Membership) -> tuple[Organization, Survey]:
    survey = survey_for(other_membership.organization)
    answer(survey, 9, attributes={"store": "secret"})
    return other_membership.organization, survey


def test_another_organizations_survey_is_invisible_and_unchangeable(
    victim: tuple[Organization, Survey],
    organization: Organization,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    _other, survey = victim
    intruder = make_api_client(organization)
    before = survey_definition_dict(survey)
    sid = survey.pk
    reads = [
        f"/api/v1/surveys/{sid}",
        f"/api/v1/surveys/{sid}/responses",
        f"/api/v1/surveys/{sid}/summary",
    ]
    for path in reads:
        assert intruder.get(path).status_code == 404, path
    writes: list[tuple[str, str, Any]] = [
        ("put", f"/api/v1/surveys/{sid}", nps_definition(name="hacked")),
        ("post", f"/api/v1/surveys/{sid}/publish", None),
        ("post", f"/api/v1/surveys/{sid}/pause", None),
        ("post", f"/api/v1/surveys/{sid}/close", None),
        ("post", f"/api/v1/surveys/{sid}/responses", {"answers": {"nps": 0}}),
    ]
    for method, path, payload in writes:
        response = getattr(intruder, method)(path, payload)
        assert response.status_code == 404, path
    assert intruder.get("/api/v1/surveys").json()["items"] == []
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.ACTIVE
    assert survey_definition_dict(survey) == before
    assert Response.objects.filter(survey=survey).count() == 1


def test_another_organizations_campaigns_are_invisible_and_unchangeable(
    victim: tuple[Organization, Survey],
    organization: Organization,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    from datetime import UTC, datetime

    from cxloop.campaigns.models import EventRule, Wave
    from cxloop.distribution.models import Invitation

    other, survey = victim
    rule = EventRule.objects.create(
        organization=other, name="theirs", event="order_delivered", survey=survey, channel="sms"
    )
    wave = Wave.objects.create(
        organization=other,
        name="theirs",
        survey=survey,
        channel="email",
        first_run_at=datetime(2026, 5, 6, tzinfo=UTC),
    )
    intruder = make_api_client(organization)
    for path in (
        f"/api/v1/event-rules/{rule.pk}",
        f"/api/v1/waves/{wave.pk}",
        f"/api/v1/response-rates?survey={survey.pk}",
    ):
        assert intruder.get(path).status_code == 404, path
    changed = {"name": "hacked", "event": "x", "survey": survey.pk, "channel": "email"}
    assert intruder.put(f"/api/v1/event-rules/{rule.pk}", changed).status_code == 404
    delete = intruder.client.delete(f"/api/v1/event-rules/{rule.pk}", headers=intruder.headers)
    assert delete.status_code == 404
    # Their survey cannot be named in a rule or a wave of ours.
    assert intruder.post("/api/v1/event-rules", changed).status_code == 422
    wave_body = {**changed, "first_run_at": "2026-05-06T12:00:00"}
    assert intruder.post("/api/v1/waves", wave_body).status_code == 422
    # Their rule does not fire on our events.
    event = {
        "event": "order_delivered",
        "contact": {"external_id": "c-1", "phone": "+8613800000000"},
    }
    assert intruder.post("/api/v1/events", event).json()["matches"] == []
    assert intruder.get("/api/v1/event-rules").json()["items"] == []
    assert intruder.get("/api/v1/waves").json()["items"] == []
    rule.refresh_from_db()
    assert (rule.name, rule.event, rule.active) == ("theirs", "order_delivered", True)
    assert not Invitation.objects.exists()
    assert EventRule.objects.count() == 1 and Wave.objects.count() == 1


def test_another_organizations_email_templates_are_invisible_and_unchangeable(
    victim: tuple[Organization, Survey],
    organization: Organization,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    other, survey = victim
    email_template_set(
        organization=other, language="en", kind="invitation", subject="Secret", body="{link}"
    )
    email_template_set(
        organization=other,
        survey=survey,
        language="en",
        kind="invitation",
        subject="Secret survey",
        body="{link}",
    )
    intruder = make_api_client(organization)
    path = f"/api/v1/email-templates/en/invitation?survey={survey.pk}"

    assert intruder.get(path).status_code == 404
    assert intruder.put(path, {"subject": "Hacked", "body": "{link}"}).status_code == 404
    assert intruder.client.delete(path, headers=intruder.headers).status_code == 404
    # Without the survey the intruder reads and writes its own organization's text only.
    own = intruder.get("/api/v1/email-templates/en/invitation").json()
    assert own["source"] == "built_in" and "Secret" not in own["subject"]
    assert (
        intruder.put(
            "/api/v1/email-templates/en/invitation", {"subject": "Mine", "body": "{link}"}
        ).status_code
        == 200
    )
    assert sorted(EmailTemplate.objects.filter(organization=other).values_list("subject")) == [
        ("Secret",),
        ("Secret survey",),
    ]
