from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone

from cxloop.common.errors import InputError
from cxloop.organizations.models import Organization
from cxloop.responses import services
from cxloop.responses.models import Response
from cxloop.responses.services import SurveyNotAcceptingResponses, response_submit
from cxloop.surveys.services import survey_pause
from tests.factories import survey_for

pytestmark = pytest.mark.django_db


def test_submit_stores_answers_and_headline_columns(organization: Organization) -> None:
    survey = survey_for(organization)
    response, created = response_submit(
        survey=survey,
        answers={"nps": 6, "sat": 2, "why": "排队太久"},
        attributes={"store": "上海南京西路店", "visits": 3},
        language="zh-Hans",
    )
    assert created
    stored = Response.objects.get(pk=response.pk)
    assert stored.organization_id == organization.pk
    assert (stored.nps_score, stored.csat_score, stored.comment) == (6, 2, "排队太久")
    assert stored.attributes == {"store": "上海南京西路店", "visits": "3"}


def test_same_idempotency_key_returns_the_first_response(organization: Organization) -> None:
    survey = survey_for(organization)
    first, created = response_submit(survey=survey, answers={"nps": 9}, idempotency_key="k")
    again, created_again = response_submit(survey=survey, answers={"nps": 1}, idempotency_key="k")
    assert created and not created_again
    assert again.pk == first.pk and again.nps_score == 9
    assert Response.objects.count() == 1


def test_concurrent_duplicate_loses_the_race_gracefully(organization: Organization) -> None:
    """Two requests with one key both pass the first lookup; the constraint keeps one."""
    survey = survey_for(organization)
    winner, _ = response_submit(survey=survey, answers={"nps": 9}, idempotency_key="race")
    with mock.patch.object(services, "_existing", side_effect=[None, winner]):
        loser, created = response_submit(survey=survey, answers={"nps": 9}, idempotency_key="race")
    assert not created and loser.pk == winner.pk
    assert Response.objects.count() == 1


def test_backfilled_time_is_kept(organization: Organization) -> None:
    survey = survey_for(organization)
    when = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    response, _ = response_submit(survey=survey, answers={"nps": 7}, submitted_at=when)
    assert response.submitted_at == when


def test_bad_input_is_reported_per_field_and_nothing_stored(organization: Organization) -> None:
    survey = survey_for(organization)
    with pytest.raises(InputError) as caught:
        response_submit(
            survey=survey,
            answers={"nps": 12},
            attributes={"bad key!": "x", "ok": {"nested": 1}},
            language="fr",
            submitted_at=timezone.now() + timedelta(days=1),
        )
    assert {e.field for e in caught.value.errors} == {
        "answers.nps",
        "attributes.bad key!",
        "attributes.ok",
        "language",
        "submitted_at",
    }
    assert not Response.objects.exists()


def test_naive_time_is_refused(organization: Organization) -> None:
    survey = survey_for(organization)
    with pytest.raises(InputError) as caught:
        response_submit(survey=survey, answers={"nps": 7}, submitted_at=datetime(2026, 1, 5))
    assert caught.value.errors[0].field == "submitted_at"


def test_paused_survey_accepts_nothing(organization: Organization) -> None:
    survey = survey_pause(survey=survey_for(organization))
    with pytest.raises(SurveyNotAcceptingResponses):
        response_submit(survey=survey, answers={"nps": 9})
    assert not Response.objects.exists()
