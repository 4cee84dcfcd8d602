"""Background work for analytics: rebuilding a survey's rollups."""

from django.db import transaction
from django_tasks import task

from cxloop.analytics.rollups import rollups_rebuild
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey


@task()
def rebuild_survey_rollups(survey_id: int) -> int:
    """Recompute one survey's rollups; idempotent, so a retried or repeated run is harmless.

    Until it has run, the survey's rollups are stale and dashboards read the raw responses,
    so figures stay correct meanwhile, only slower. Returns the rollup state id (0 if the
    survey was deleted in between).
    """
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        return 0
    return rollups_rebuild(survey=survey).pk


def rebuild_rollups_after_commit(*, organization: Organization) -> None:
    """Queue a rebuild of every survey's rollups once the current transaction commits."""
    survey_ids = list(Survey.objects.filter(organization=organization).values_list("pk", flat=True))

    def enqueue() -> None:
        for survey_id in survey_ids:
            rebuild_survey_rollups.enqueue(survey_id)

    transaction.on_commit(enqueue)
