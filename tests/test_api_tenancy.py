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
