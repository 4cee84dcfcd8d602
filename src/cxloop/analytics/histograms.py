"""Score histograms: the sufficient statistic of every dashboard figure.

NPS, CSAT and CES figures are all functions of how many answers gave each score, so both
the rollups and the raw scan produce histograms, and figures are computed from them in one
place. Pure: no Django import.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cxloop.analytics.metrics import (
    CES_AGREE_MIN,
    CesResult,
    CsatResult,
    MeanResult,
    NpsResult,
    ProportionResult,
    ces_from_counts,
    csat_from_counts,
    mean_from_weighted_moments,
    nps_from_counts,
    nps_from_weighted_totals,
    proportion_from_weighted_totals,
)

METRICS: tuple[str, ...] = ("nps", "csat", "ces")
# Score range each metric's histogram covers; CSAT and CES use the first `scale` points.
METRIC_RANGES: Mapping[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 10), "ces": (1, 7)}
CATEGORY_SCORES: Mapping[str, range] = {
    "promoter": range(9, 11),
    "passive": range(7, 9),
    "detractor": range(0, 7),
}


@dataclass(frozen=True, slots=True)
class Histogram:
    """counts[i] answers gave the score `low + i`.

    A weighted histogram also carries, per score, the sum of the answers' weights and of
    their squares, from which weighted figures and Kish's effective sample size follow.
    """

    low: int
    counts: tuple[int, ...]
    weights: tuple[float, ...] | None = None
    weights_squared: tuple[float, ...] | None = None

    @classmethod
    def empty(cls, metric: str) -> "Histogram":
        low, high = METRIC_RANGES[metric]
        return cls(low, (0,) * (high - low + 1))

    @classmethod
    def from_mapping(cls, metric: str, counts: Mapping[int, int]) -> "Histogram":
        low, high = METRIC_RANGES[metric]
        return cls(low, tuple(int(counts.get(score, 0)) for score in range(low, high + 1)))

    @property
    def n(self) -> int:
        return sum(self.counts)

    def as_mapping(self) -> dict[int, int]:
        return {self.low + i: count for i, count in enumerate(self.counts) if count}

    def __add__(self, other: "Histogram") -> "Histogram":
        if other.low != self.low or len(other.counts) != len(self.counts):
            raise ValueError("histograms of different metrics cannot be added")
        summed = tuple(a + b for a, b in zip(self.counts, other.counts, strict=True))
        if self.weights is None and other.weights is None:
            return Histogram(self.low, summed)
        return Histogram(
            self.low,
            summed,
            _add_weights(self.weights, other.weights, len(summed)),
            _add_weights(self.weights_squared, other.weights_squared, len(summed)),
        )

    def only_scores(self, scores: Iterable[int]) -> "Histogram":
        keep = set(scores)

        def masked(values: tuple[float, ...] | None) -> tuple[float, ...] | None:
            if values is None:
                return None
            return tuple(v if self.low + i in keep else 0.0 for i, v in enumerate(values))

        counts = tuple(c if self.low + i in keep else 0 for i, c in enumerate(self.counts))
        return Histogram(self.low, counts, masked(self.weights), masked(self.weights_squared))


def _add_weights(
    a: tuple[float, ...] | None, b: tuple[float, ...] | None, size: int
) -> tuple[float, ...]:
    left = a or (0.0,) * size
    right = b or (0.0,) * size
    return tuple(x + y for x, y in zip(left, right, strict=True))


def category_scores(categories: Iterable[str]) -> set[int]:
    scores: set[int] = set()
    for category in categories:
        scores.update(CATEGORY_SCORES[category])
    return scores


def _weighted(histogram: Histogram, scores: Iterable[int]) -> float:
    weights = histogram.weights or ()
    return sum(weights[s - histogram.low] for s in scores if 0 <= s - histogram.low < len(weights))


def _weight_totals(histogram: Histogram) -> tuple[float, float]:
    return sum(histogram.weights or ()), sum(histogram.weights_squared or ())


def nps_of(histogram: Histogram) -> NpsResult:
    if histogram.weights is not None and histogram.n:
        sum_w, sum_w2 = _weight_totals(histogram)
        return nps_from_weighted_totals(
            promoters_w=_weighted(histogram, range(9, 11)),
            passives_w=_weighted(histogram, range(7, 9)),
            detractors_w=_weighted(histogram, range(0, 7)),
            sum_w=sum_w,
            sum_w2=sum_w2,
            n=histogram.n,
        )
    counts = histogram.as_mapping()
    return nps_from_counts(
        promoters=sum(n for s, n in counts.items() if s >= 9),
        passives=sum(n for s, n in counts.items() if 7 <= s <= 8),
        detractors=sum(n for s, n in counts.items() if s <= 6),
    )


def _weighted_mean(histogram: Histogram, scale: int) -> MeanResult:
    sum_w, sum_w2 = _weight_totals(histogram)
    points = range(1, scale + 1)
    return mean_from_weighted_moments(
        sum_w=sum_w,
        sum_wx=sum(_weighted(histogram, [x]) * x for x in points),
        sum_wx2=sum(_weighted(histogram, [x]) * x * x for x in points),
        sum_w2=sum_w2,
        n=histogram.n,
    )


def _weighted_share(histogram: Histogram, scores: Iterable[int]) -> ProportionResult:
    sum_w, sum_w2 = _weight_totals(histogram)
    return proportion_from_weighted_totals(
        successes_w=_weighted(histogram, scores), sum_w=sum_w, sum_w2=sum_w2, n=histogram.n
    )


def csat_of(histogram: Histogram, scale: int) -> CsatResult:
    if histogram.weights is not None and histogram.n:
        return CsatResult(
            top2box=_weighted_share(histogram, range(scale - 1, scale + 1)),
            mean=_weighted_mean(histogram, scale),
            scale_max=scale,
        )
    return csat_from_counts(histogram.as_mapping(), scale_max=scale)


def ces_of(histogram: Histogram, scale: int) -> CesResult:
    if histogram.weights is not None and histogram.n:
        return CesResult(
            mean=_weighted_mean(histogram, scale),
            agree=_weighted_share(histogram, range(CES_AGREE_MIN[scale], scale + 1)),
            scale_max=scale,
        )
    return ces_from_counts(histogram.as_mapping(), scale_max=scale)
