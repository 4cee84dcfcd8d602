"""Formatting of result figures: one decimal, "—" where there is no data."""

from collections.abc import Mapping
from typing import Protocol

from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cxloop.analytics.metrics import nps_category as classify_nps
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES

register = template.Library()

NO_DATA = "—"
CATEGORY_NAMES: dict[str, Promise] = {
    "promoter": _("Promoter"),
    "passive": _("Passive"),
    "detractor": _("Detractor"),
}


class HasInterval(Protocol):
    @property
    def ci_low(self) -> float | None: ...

    @property
    def ci_high(self) -> float | None: ...


def format_metric(value: float | None) -> str:
    if value is None:
        return NO_DATA
    rounded = round(float(value), 1)
    # round(-0.04, 1) is -0.0, which would show as "-0.0".
    return f"{rounded + 0.0:.1f}"


@register.filter
def metric(value: float | None) -> str:
    """``{{ nps.value|metric }}`` → "33.3"; "—" for None."""
    return format_metric(value)


@register.filter
def ci(result: HasInterval | None) -> str:
    """``{{ nps|ci }}`` → "[12.5, 48.0]", the 95 % confidence interval; "—" without data."""
    if result is None or result.ci_low is None or result.ci_high is None:
        return NO_DATA
    return f"[{format_metric(result.ci_low)}, {format_metric(result.ci_high)}]"


@register.filter
def nps_category(score: int | None) -> str:
    """promoter / passive / detractor for a 0–10 score, "" for no score (for CSS classes)."""
    if score is None:
        return ""
    return classify_nps(score)


@register.filter
def category_label(category: str) -> str:
    """The translated name of an NPS category: "Promoter"…; "" for anything else."""
    label = CATEGORY_NAMES.get(category)
    return str(label) if label is not None else ""


@register.filter
def language_name(code: str) -> str:
    """简体中文 / 繁體中文 / English for a survey language code; the code itself if unknown."""
    return SURVEY_LANGUAGE_NAMES.get(code, code)


@register.filter
def attribute_pairs(attributes: Mapping[str, object] | None) -> list[tuple[str, object]]:
    """(name, value) pairs; ``attributes.items`` in a template would break on an attribute
    named "items", because the template engine tries the key before the method."""
    return list((attributes or {}).items())
