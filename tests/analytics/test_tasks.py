from datetime import UTC, datetime
from typing import Any

import pytest

from cxloop.analytics.cube import rollups_usable
from cxloop.analytics.models import MarginalRollup
from cxloop.analytics.tasks import rebuild_survey_rollups
from cxloop.common.errors import InputError
from cxloop.organizations.models import Organization
from cxloop.organizations.services import organization_update
from cxloop.responses.services import response_submit
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
LATE_EVENING_UTC = datetime(2026, 3, 1, 20, 30, tzinfo=UTC)  # 04:30 next day in Shanghai


def test_moving_time_zone_rebuilds_rollups_after_commit(
    organization: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    survey = survey_for(organization)
    response_submit(survey=survey, answers={"nps": 9}, submitted_at=LATE_EVENING_UTC)
    day_rows = MarginalRollup.objects.filter(survey=survey, dimension="", grain="d")
    assert [row.period.isoformat() for row in day_rows] == ["2026-03-02"]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        organization_update(organization=organization, name="Renamed", time_zone="Europe/London")
    assert not rollups_usable((survey.pk,), organization), "stale until rebuilt: raw scan meanwhile"
    assert len(callbacks) == 1
    callbacks[0]()  # the commit happens: the (immediate) task runs
    assert rollups_usable((survey.pk,), organization)
    assert [row.period.isoformat() for row in day_rows.all()] == ["2026-03-01"]


def test_renaming_alone_does_not_rebuild(
    organization: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    survey_for(organization)
    with django_capture_on_commit_callbacks() as callbacks:
        organization_update(
            organization=organization, name="Renamed", time_zone=organization.time_zone
        )
    assert callbacks == []


def test_changing_dimensions_rebuilds_and_validates(
    organization: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    survey = survey_for(organization)
    response_submit(survey=survey, answers={"nps": 9}, attributes={"tier": "gold"})
    assert not MarginalRollup.objects.filter(dimension="tier").exists()
    with django_capture_on_commit_callbacks(execute=True):
        organization_update(
            organization=organization,
            name=organization.name,
            time_zone=organization.time_zone,
            analysis_dimensions=["store", "tier", "store"],
        )
    organization.refresh_from_db()
    assert organization.analysis_dimensions == ["store", "tier"]
    assert MarginalRollup.objects.filter(dimension="tier", value="gold").exists()
    for bad in (["a b"], [f"d{i}" for i in range(9)], ["x__y"]):
        with pytest.raises(InputError) as caught:
            organization_update(
                organization=organization,
                name=organization.name,
                time_zone=organization.time_zone,
                analysis_dimensions=bad,
            )
        assert caught.value.errors[0].field == "analysis_dimensions"


def test_rebuild_task_is_idempotent_and_ignores_deleted_surveys(organization: Organization) -> None:
    survey = survey_for(organization)
    response_submit(survey=survey, answers={"nps": 9})
    rebuild_survey_rollups.call(survey.pk)
    first = sorted(
        MarginalRollup.objects.filter(survey=survey).values_list("dimension", "grain", "value", "n")
    )
    rebuild_survey_rollups.call(survey.pk)
    assert (
        sorted(
            MarginalRollup.objects.filter(survey=survey).values_list(
                "dimension", "grain", "value", "n"
            )
        )
        == first
    )
    assert rebuild_survey_rollups.call(999_999) == 0
