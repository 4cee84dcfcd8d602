"""One entry point for dashboard numbers: rollups when they can answer, else the raw scan."""

from zoneinfo import ZoneInfo

from cxloop.analytics.cube import rollup_histograms
from cxloop.analytics.queries import MetricHistograms, MetricQuery
from cxloop.analytics.scan import scan_histograms
from cxloop.organizations.models import Organization


def metric_histograms(
    query: MetricQuery, *, organization: Organization, allow_rollups: bool = True
) -> tuple[MetricHistograms, str]:
    """The histograms a report needs, and "rollup" or "scan" for how they were computed."""
    if allow_rollups:
        from_rollups = rollup_histograms(query, organization=organization)
        if from_rollups is not None:
            return from_rollups, "rollup"
    histograms = scan_histograms(
        query, organization_id=organization.pk, time_zone=ZoneInfo(organization.time_zone)
    )
    return histograms, "scan"
