"""Turning a survey summary into what the results page draws: pure functions, no queries."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from cxloop.analytics.metrics import nps_category

# The same colours as --promoter / --passive / --detractor in app.css: the chart is drawn on a
# canvas, which cannot read CSS variables.
CATEGORY_COLOURS: dict[str, str] = {
    "promoter": "#1b8a4b",
    "passive": "#c9a227",
    "detractor": "#c0392b",
}


@dataclass(frozen=True, slots=True)
class DistributionBar:
    score: int
    count: int
    percent: float
    category: str


def distribution_bars(
    distribution: Sequence[tuple[int, int, float]],
) -> tuple[DistributionBar, ...]:
    """The 0–10 distribution with each score's NPS category, for the chart and its table."""
    return tuple(
        DistributionBar(score=score, count=count, percent=percent, category=nps_category(score))
        for score, count, percent in distribution
    )


def distribution_chart_options(bars: Sequence[DistributionBar]) -> dict[str, Any]:
    """ECharts options for the 0–10 bar chart, coloured by category.

    Animation is off because the live refresh redraws the chart every few seconds.
    """
    return {
        "animation": False,
        "aria": {"enabled": True},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 40},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {
            "type": "category",
            "name": _("Score"),
            "nameLocation": "middle",
            "nameGap": 28,
            "data": [str(bar.score) for bar in bars],
        },
        "yAxis": {"type": "value", "minInterval": 1, "name": _("Responses")},
        "series": [
            {
                "type": "bar",
                "name": _("Responses"),
                "data": [
                    {"value": bar.count, "itemStyle": {"color": CATEGORY_COLOURS[bar.category]}}
                    for bar in bars
                ],
            }
        ],
    }
