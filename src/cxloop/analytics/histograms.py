"""Score histograms: the sufficient statistic of every dashboard figure.

NPS, CSAT and CES figures are all functions of how many answers gave each score, so both
the rollups and the raw scan produce histograms, and figures are computed from them in one
place. Pure: no Django import.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cxloop.analytics.metrics import (
    CesResult,
    CsatResult,
    NpsResult,
    ces_from_counts,
    csat_from_counts,
    nps_from_counts,
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
    """counts[i] answers gave the score `low + i`."""

    low: int
    counts: tuple[int, ...]

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
        return Histogram(
            self.low, tuple(a + b for a, b in zip(self.counts, other.counts, strict=True))
        )

    def only_scores(self, scores: Iterable[int]) -> "Histogram":
        keep = set(scores)
        return Histogram(
            self.low,
            tuple(c if self.low + i in keep else 0 for i, c in enumerate(self.counts)),
        )


def sum_histograms(metric: str, histograms: Iterable[Histogram]) -> Histogram:
    total = Histogram.empty(metric)
    for histogram in histograms:
        total = total + histogram
    return total


def category_scores(categories: Iterable[str]) -> set[int]:
    scores: set[int] = set()
    for category in categories:
        scores.update(CATEGORY_SCORES[category])
    return scores


def nps_of(histogram: Histogram) -> NpsResult:
    counts = histogram.as_mapping()
    return nps_from_counts(
        promoters=sum(n for s, n in counts.items() if s >= 9),
        passives=sum(n for s, n in counts.items() if 7 <= s <= 8),
        detractors=sum(n for s, n in counts.items() if s <= 6),
    )


def csat_of(histogram: Histogram, scale: int) -> CsatResult:
    return csat_from_counts(histogram.as_mapping(), scale_max=scale)


def ces_of(histogram: Histogram, scale: int) -> CesResult:
    return ces_from_counts(histogram.as_mapping(), scale_max=scale)
