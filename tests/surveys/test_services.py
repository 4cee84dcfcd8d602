import pytest

from cxloop.common.errors import InputError
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Question, SurveyStatus
from cxloop.surveys.selectors import survey_definition_dict
from cxloop.surveys.services import (
    survey_close,
    survey_create,
    survey_pause,
    survey_publish,
    survey_update,
)
from tests.factories import answer, nps_definition, survey_for

pytestmark = pytest.mark.django_db


def test_create_stores_questions_in_order(organization: Organization) -> None:
    survey = survey_create(organization=organization, definition=nps_definition())
    assert survey.status == SurveyStatus.DRAFT
    assert len(survey.slug) == 10
    assert list(survey.questions.values_list("key", "position")) == [
        ("nps", 0),
        ("sat", 1),
        ("why", 2),
    ]
    assert survey_definition_dict(survey)["questions"][1]["scale"] == 5


def test_invalid_definition_writes_nothing(organization: Organization) -> None:
    with pytest.raises(InputError):
        survey_create(organization=organization, definition=nps_definition(languages=["xx"]))
    assert not organization.surveys.exists()


def test_lifecycle(organization: Organization) -> None:
    survey = survey_create(organization=organization, definition=nps_definition())
    survey = survey_publish(survey=survey)
    assert survey.status == SurveyStatus.ACTIVE and survey.published_at is not None
    first_published = survey.published_at
    assert survey_publish(survey=survey).status == SurveyStatus.ACTIVE, "repeat is harmless"
    assert survey_pause(survey=survey).status == SurveyStatus.PAUSED
    assert survey_publish(survey=survey).status == SurveyStatus.ACTIVE
    assert survey_close(survey=survey).status == SurveyStatus.CLOSED
    with pytest.raises(InputError):
        survey_pause(survey=survey)
    reopened = survey_publish(survey=survey)
    assert reopened.status == SurveyStatus.ACTIVE and reopened.published_at == first_published


def test_cannot_publish_without_questions(organization: Organization) -> None:
    survey = survey_create(organization=organization, definition=nps_definition(questions=[]))
    with pytest.raises(InputError) as caught:
        survey_publish(survey=survey)
    assert caught.value.errors[0].field == "questions"
    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT


def test_update_without_answers_may_change_anything(organization: Organization) -> None:
    survey = survey_for(organization)
    definition = nps_definition(
        questions=[{"key": "x", "type": "ces", "text": {"zh-Hans": "容易吗", "en": "Easy?"}}]
    )
    survey_update(survey=survey, definition=definition)
    assert list(Question.objects.filter(survey=survey).values_list("key", "type")) == [("x", "ces")]


def test_update_with_answers_refuses_breaking_changes_and_keeps_everything(
    organization: Organization,
) -> None:
    survey = survey_for(organization)
    response = answer(survey, 9, answers={"sat": 4})
    before = survey_definition_dict(survey)
    breaking = nps_definition()
    breaking["questions"] = breaking["questions"][:1]  # drops "sat" and "why"
    breaking["questions"][0]["type"] = "csat"
    with pytest.raises(InputError) as caught:
        survey_update(survey=survey, definition=breaking)
    assert {e.field for e in caught.value.errors} == {"questions", "questions.0.type"}
    survey.refresh_from_db()
    assert survey_definition_dict(survey) == before
    response.refresh_from_db()
    assert response.answers == {"nps": 9, "sat": 4}


def test_update_with_answers_allows_safe_changes(organization: Organization) -> None:
    survey = survey_for(organization)
    answer(survey, 9)
    safe = nps_definition(name="Renamed")
    safe["questions"][0]["text"]["en"] = "Recommend us?"
    safe["questions"].insert(
        0,
        {
            "key": "first",
            "type": "text",
            "required": False,
            "text": {"zh-Hans": "先", "en": "First"},
        },
    )
    updated = survey_update(survey=survey, definition=safe)
    assert updated.name == "Renamed"
    assert list(updated.questions.order_by("position").values_list("key", flat=True)) == [
        "first",
        "nps",
        "sat",
        "why",
    ]
