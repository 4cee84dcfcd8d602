from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from cxloop.organizations.models import Organization
from cxloop.responses.filters import ResponseFilters
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey

ATTRIBUTE_VALUES_SAMPLE = 5000


def response_list(
    *, organization: Organization, survey: Survey | None = None, filters: ResponseFilters
) -> QuerySet[Response]:
    queryset = Response.objects.filter(organization=organization).select_related("survey")
    if survey is not None:
        queryset = queryset.filter(survey=survey)
    return queryset.filter(filters.to_q(time_zone=ZoneInfo(organization.time_zone)))


def response_get(*, organization: Organization, response_id: int) -> Response | None:
    return (
        Response.objects.filter(organization=organization, pk=response_id)
        .select_related("survey")
        .first()
    )


def attribute_values(*, organization: Organization, survey: Survey) -> dict[str, list[str]]:
    """Attribute names and their most common values among recent responses, for filter menus."""
    counts: dict[str, Counter[str]] = {}
    recent = (
        Response.objects.filter(organization=organization, survey=survey)
        .order_by("-submitted_at")
        .values_list("attributes", flat=True)[:ATTRIBUTE_VALUES_SAMPLE]
    )
    for attributes in recent:
        for name, value in (attributes or {}).items():
            counts.setdefault(name, Counter())[str(value)] += 1
    return {
        name: sorted(value for value, _ in counter.most_common(200))
        for name, counter in sorted(counts.items())
    }


def attribute_names(
    *, organization: Organization, survey_ids: Sequence[int], sample: int = 2000
) -> frozenset[str]:
    """Attribute names seen among the latest responses of these surveys."""
    recent = (
        Response.objects.filter(organization=organization, survey_id__in=list(survey_ids))
        .order_by("-submitted_at")
        .values_list("attributes", flat=True)[:sample]
    )
    return frozenset(name for attributes in recent for name in (attributes or {}))
