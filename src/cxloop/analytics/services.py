"""Writes of the analytics app: targets and benchmarks users enter for their metrics."""

import math

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from cxloop.analytics.models import MetricTarget, TargetKind, TargetMetric
from cxloop.analytics.reports import DEFAULT_SCALES, METRIC_QUESTION_TYPES
from cxloop.common.errors import FieldError, InputError
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Question, Survey

LABEL_MAX_LENGTH = 100


def _mean_scale(*, organization: Organization, survey: Survey | None, metric: str) -> int:
    """The widest scale a mean of `metric` can take in this scope (1..scale)."""
    questions = Question.objects.filter(
        survey__organization=organization, type__in=METRIC_QUESTION_TYPES[metric]
    )
    if survey is not None:
        questions = questions.filter(survey=survey)
    scales = [
        int((config or {}).get("scale") or DEFAULT_SCALES[metric])
        for config in questions.values_list("config", flat=True)
    ]
    return max(scales, default=DEFAULT_SCALES[metric])


def target_range(
    *, organization: Organization, survey: Survey | None, metric: str
) -> tuple[float, float]:
    """What a target of `metric`'s headline statistic may be: the NPS score (−100..100), the
    CSAT top-2-box share (0..100 %), the CES mean (1..scale)."""
    if metric == TargetMetric.NPS:
        return (-100.0, 100.0)
    if metric == TargetMetric.CSAT:
        return (0.0, 100.0)
    return (1.0, float(_mean_scale(organization=organization, survey=survey, metric=metric)))


def _check_scope(
    *, organization: Organization, survey: Survey | None, metric: str, kind: str
) -> list[FieldError]:
    errors: list[FieldError] = []
    if survey is not None and survey.organization_id != organization.pk:
        errors.append(FieldError("survey", _("This survey belongs to another organization.")))
    if metric not in TargetMetric.values:
        errors.append(FieldError("metric", _("Use nps, csat or ces.")))
    if kind not in TargetKind.values:
        errors.append(FieldError("kind", _("Use target or benchmark.")))
    return errors


def target_set(
    *,
    organization: Organization,
    survey: Survey | None,
    metric: str,
    kind: str,
    value: float,
    label: str,
    by: AbstractBaseUser | None,
) -> MetricTarget:
    """Create or replace the target (or benchmark) of a metric for a survey, or for the whole
    organization when `survey` is None. Raises InputError for a value outside the metric's
    range; nothing is written then."""
    errors = _check_scope(organization=organization, survey=survey, metric=metric, kind=kind)
    label = label.strip()
    if len(label) > LABEL_MAX_LENGTH:
        errors.append(
            FieldError(
                "label",
                _("Use at most %(count)d characters.") % {"count": LABEL_MAX_LENGTH},
            )
        )
    if errors:
        raise InputError(errors)
    low, high = target_range(organization=organization, survey=survey, metric=metric)
    if not math.isfinite(value) or not low <= value <= high:
        raise InputError.single(
            "value",
            _("Enter a value between %(low)s and %(high)s.")
            % {"low": f"{low:g}", "high": f"{high:g}"},
        )
    with transaction.atomic():
        target, _created = MetricTarget.objects.update_or_create(
            organization=organization,
            survey=survey,
            metric=metric,
            kind=kind,
            defaults={"value": value, "label": label, "set_by": by},
        )
    return target


def target_delete(
    *, organization: Organization, survey: Survey | None, metric: str, kind: str
) -> bool:
    """Remove the target (or benchmark) of this scope; False when there was none."""
    errors = _check_scope(organization=organization, survey=survey, metric=metric, kind=kind)
    if errors:
        raise InputError(errors)
    deleted, _counts = MetricTarget.objects.filter(
        organization=organization, survey=survey, metric=metric, kind=kind
    ).delete()
    return deleted > 0
