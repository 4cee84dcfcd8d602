"""Rollups: counts per period that dashboards read instead of scanning raw responses.

They are written in the same transaction as the response they count (and subtracted when a
response is erased), so they never drift from the raw answers. Periods are calendar days
and months in the organization's time zone. See docs/adr/0005-rollups.md.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey

MAX_DIMENSIONS = 8
BIN_COLUMNS: tuple[str, ...] = (
    *(f"nps_{score}" for score in range(0, 11)),
    *(f"csat_{score}" for score in range(1, 11)),
    *(f"ces_{score}" for score in range(1, 8)),
)
COUNT_COLUMNS: tuple[str, ...] = ("n", "comments", *BIN_COLUMNS)
DIMENSION_COLUMNS: tuple[str, ...] = tuple(f"d{i}" for i in range(1, MAX_DIMENSIONS + 1))


class Grain(models.TextChoices):
    DAY = "d", "day"
    MONTH = "m", "month"


class RollupCounts(models.Model):
    """How many responses, comments, and answers per score of each headline metric.

    Signed on purpose: an erasure is an upsert of -1, and SQLite checks a CHECK (>= 0) on the
    proposed insert row before it sees the conflict that turns it into an update.
    """

    n = models.IntegerField(default=0)
    comments = models.IntegerField(default=0)
    nps_0 = models.IntegerField(default=0)
    nps_1 = models.IntegerField(default=0)
    nps_2 = models.IntegerField(default=0)
    nps_3 = models.IntegerField(default=0)
    nps_4 = models.IntegerField(default=0)
    nps_5 = models.IntegerField(default=0)
    nps_6 = models.IntegerField(default=0)
    nps_7 = models.IntegerField(default=0)
    nps_8 = models.IntegerField(default=0)
    nps_9 = models.IntegerField(default=0)
    nps_10 = models.IntegerField(default=0)
    csat_1 = models.IntegerField(default=0)
    csat_2 = models.IntegerField(default=0)
    csat_3 = models.IntegerField(default=0)
    csat_4 = models.IntegerField(default=0)
    csat_5 = models.IntegerField(default=0)
    csat_6 = models.IntegerField(default=0)
    csat_7 = models.IntegerField(default=0)
    csat_8 = models.IntegerField(default=0)
    csat_9 = models.IntegerField(default=0)
    csat_10 = models.IntegerField(default=0)
    ces_1 = models.IntegerField(default=0)
    ces_2 = models.IntegerField(default=0)
    ces_3 = models.IntegerField(default=0)
    ces_4 = models.IntegerField(default=0)
    ces_5 = models.IntegerField(default=0)
    ces_6 = models.IntegerField(default=0)
    ces_7 = models.IntegerField(default=0)

    class Meta:
        abstract = True


class MarginalRollup(RollupCounts):
    """Counts per period for all responses (dimension "") or per value of one dimension."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, db_index=False)
    dimension = models.CharField(max_length=50)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    value = models.CharField(max_length=200)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("survey", "dimension", "grain", "period", "value"),
                name="marginal_rollup_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} {self.dimension}={self.value} {self.grain}:{self.period}"


class CellCombination(models.Model):
    """One combination of language, has-comment and dimension values a survey has seen; with
    language "*" (and has-comment false), the same dimension values over every language and
    comment state, which combined filters read unless they ask about either.

    Dimension filters select combinations here (one small row each, indexed per dimension);
    their counts per period live in `CellRollup`. How many rows a combined filter reads is
    therefore bounded by the combinations that match times the periods in range, not by how
    many responses there are (ADR 0005).
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, db_index=False)
    language = models.CharField(max_length=8)
    has_comment = models.BooleanField()
    d1 = models.CharField(max_length=200, default="")
    d2 = models.CharField(max_length=200, default="")
    d3 = models.CharField(max_length=200, default="")
    d4 = models.CharField(max_length=200, default="")
    d5 = models.CharField(max_length=200, default="")
    d6 = models.CharField(max_length=200, default="")
    d7 = models.CharField(max_length=200, default="")
    d8 = models.CharField(max_length=200, default="")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=(
                    "survey", "language", "has_comment",
                    "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8",
                ),
                name="cell_combination_key",
            )
        ]  # fmt: skip
        indexes: ClassVar = [
            models.Index(fields=("survey", "d1"), name="cell_combination_d1"),
            models.Index(fields=("survey", "d2"), name="cell_combination_d2"),
            models.Index(fields=("survey", "d3"), name="cell_combination_d3"),
            models.Index(fields=("survey", "d4"), name="cell_combination_d4"),
            models.Index(fields=("survey", "d5"), name="cell_combination_d5"),
            models.Index(fields=("survey", "d6"), name="cell_combination_d6"),
            models.Index(fields=("survey", "d7"), name="cell_combination_d7"),
            models.Index(fields=("survey", "d8"), name="cell_combination_d8"),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id} combination {self.pk}"


class CellRollup(RollupCounts):
    """Counts per period of one combination of dimension values (for combined filters)."""

    combination = models.ForeignKey(CellCombination, on_delete=models.CASCADE, db_index=False)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("combination", "grain", "period"), name="cell_rollup_period_key"
            )
        ]
        indexes: ClassVar = [
            # What combined-filter queries read: a combination's rows sit next to each other
            # in this index with their score counts, so a read touches a page or two per
            # combination instead of one table page per row, rows that were written months
            # apart (ADR 0005). The score bins only: 3 + 28 columns stay within PostgreSQL's
            # 32, and INCLUDE would be dropped on SQLite.
            models.Index(
                fields=("combination", "grain", "period", *BIN_COLUMNS),
                name="cell_rollup_scores",
            )
        ]

    def __str__(self) -> str:
        return f"combination {self.combination_id} {self.grain}:{self.period}"


class ReasonRollup(models.Model):
    """NPS+ answers per category, and how often each reason was ticked, per period."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, db_index=False)
    question_key = models.CharField(max_length=50)
    dimension = models.CharField(max_length=50)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    period = models.DateField()
    value = models.CharField(max_length=200)
    category = models.CharField(max_length=10)
    reason = models.CharField(max_length=50)  # "" counts the category's answers
    count = models.IntegerField(default=0)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=(
                    "survey", "question_key", "dimension", "grain", "period", "value",
                    "category", "reason",
                ),
                name="reason_rollup_key",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.survey_id} {self.question_key} {self.category}:{self.reason or '*'}"


class RollupState(models.Model):
    """What a survey's rollups were built with; a mismatch sends queries to the raw scan."""

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="rollup_state")
    dimensions = models.JSONField(default=list)
    time_zone = models.CharField(max_length=64)
    built_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rollups of survey {self.survey_id}"


class TargetKind(models.TextChoices):
    TARGET = "target", _("Target")
    BENCHMARK = "benchmark", _("Benchmark")


class TargetMetric(models.TextChoices):
    NPS = "nps", "NPS"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES"


class MetricTarget(models.Model):
    """A goal or an industry benchmark a user entered for a metric's headline statistic
    (NPS score, CSAT top-2-box %, CES mean), for one survey or the whole organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="metric_targets"
    )
    # Null: organization-wide, the fallback for every survey without its own.
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.CASCADE, related_name="metric_targets"
    )
    metric = models.CharField(_("metric"), max_length=8, choices=TargetMetric.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=TargetKind.choices)
    value = models.FloatField(_("value"))
    label = models.CharField(_("label"), max_length=100, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("organization", "survey", "metric", "kind"),
                name="metric_target_unique_per_scope",
            ),
            # NULLs are distinct in a unique constraint: the organization-wide row needs its own.
            models.UniqueConstraint(
                fields=("organization", "metric", "kind"),
                condition=models.Q(survey__isnull=True),
                name="metric_target_unique_organization_wide",
            ),
        ]

    def __str__(self) -> str:
        scope = self.survey_id or "all"
        return f"{self.organization_id}/{scope} {self.metric} {self.kind}={self.value}"
