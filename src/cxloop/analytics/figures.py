"""Turn histograms into the figures a dashboard shows: value, n, CI, and details.

Pure: no Django import. A Figure is what the API serialises and the templates render,
whatever the metric, so cards, trend points and breakdown rows share one shape.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from cxloop.analytics.histograms import Histogram, ces_of, csat_of, nps_of
from cxloop.analytics.metrics import (
    Comparison,
    MeanResult,
    NpsResult,
    ProportionResult,
    compare_means,
    compare_nps,
    compare_proportions,
)

Statistic = NpsResult | ProportionResult | MeanResult
STATISTICS: Mapping[str, tuple[str, ...]] = {
    "nps": ("nps",),
    "csat": ("top2box", "mean"),
    "ces": ("mean", "agree"),
}


@dataclass(frozen=True, slots=True)
class Figure:
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    low_sample: bool
    details: Mapping[str, float | None] = field(default_factory=dict)
    statistic: Statistic | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FigureComparison:
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    significant: bool

    @classmethod
    def of(cls, comparison: Comparison) -> "FigureComparison":
        return cls(
            difference=comparison.difference,
            ci_low=comparison.ci_low,
            ci_high=comparison.ci_high,
            p_value=comparison.p_value,
            significant=comparison.significant,
        )


def _from(statistic: Statistic, details: Mapping[str, float | None]) -> Figure:
    return Figure(
        value=statistic.value,
        n=statistic.n,
        ci_low=statistic.ci_low,
        ci_high=statistic.ci_high,
        low_sample=statistic.low_sample,
        details=details,
        statistic=statistic,
    )


def figure_of(metric: str, histogram: Histogram, *, scale: int, statistic: str) -> Figure:
    """The headline statistic of `metric` with the others as details."""
    if metric == "nps":
        nps = nps_of(histogram)
        return _from(
            nps,
            {
                "promoters": nps.promoters,
                "passives": nps.passives,
                "detractors": nps.detractors,
                "promoter_pct": nps.promoter_pct,
                "passive_pct": nps.passive_pct,
                "detractor_pct": nps.detractor_pct,
            },
        )
    if metric == "csat":
        csat = csat_of(histogram, scale)
        if statistic == "mean":
            return _from(csat.mean, {"top2box": csat.top2box.value, "std_dev": csat.mean.std_dev})
        return _from(csat.top2box, {"mean": csat.mean.value})
    ces = ces_of(histogram, scale)
    if statistic == "agree":
        return _from(ces.agree, {"mean": ces.mean.value})
    return _from(ces.mean, {"agree_pct": ces.agree.value, "std_dev": ces.mean.std_dev})


def compare_figures(earlier: Figure, later: Figure) -> FigureComparison | None:
    """later − earlier with its 95 % CI and two-sided p-value (z-test)."""
    a, b = earlier.statistic, later.statistic
    if isinstance(a, NpsResult) and isinstance(b, NpsResult):
        return FigureComparison.of(compare_nps(a, b))
    if isinstance(a, ProportionResult) and isinstance(b, ProportionResult):
        return FigureComparison.of(compare_proportions(a, b))
    if isinstance(a, MeanResult) and isinstance(b, MeanResult):
        return FigureComparison.of(compare_means(a, b))
    return None
