"""Response filters, parsed from a query string (web page or API) into a frozen value.

Dates are calendar days in the organization's time zone, both ends inclusive.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils.translation import gettext as _

from cxloop.analytics.histograms import CATEGORY_SCORES
from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGES
from cxloop.common.text import EARLIEST_DATE, LATEST_DATE, is_attribute_name

CATEGORIES = ("promoter", "passive", "detractor")
ATTRIBUTE_PREFIX = "attr."


@dataclass(frozen=True, slots=True)
class ResponseFilters:
    date_from: date | None = None
    date_to: date | None = None
    categories: tuple[str, ...] = ()
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    has_comment: bool | None = None
    language: str | None = None
    attribute_map: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def to_q(self, *, time_zone: ZoneInfo) -> Q:
        condition = Q()
        if self.date_from:
            condition &= Q(submitted_at__gte=datetime.combine(self.date_from, time.min, time_zone))
        if self.date_to:
            next_day = datetime.combine(self.date_to + timedelta(days=1), time.min, time_zone)
            condition &= Q(submitted_at__lt=next_day)
        if self.categories:
            scores = sorted({s for c in self.categories for s in CATEGORY_SCORES[c]})
            condition &= Q(nps_score__in=scores)
        for name, values in self.attributes:
            condition &= Q(**{f"attributes__{name}__in": list(values)})
        if self.has_comment is True:
            condition &= ~Q(comment="")
        elif self.has_comment is False:
            condition &= Q(comment="")
        if self.language:
            condition &= Q(language=self.language)
        return condition

    def is_empty(self) -> bool:
        return self == ResponseFilters()


def _parse_date(value: str, name: str, errors: list[FieldError]) -> date | None:
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(name, _("Use a date like 2026-01-31.")))
        return None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        errors.append(
            FieldError(
                name,
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
            )
        )
        return None
    return parsed


def parse_response_filters(params: Mapping[str, Sequence[str]]) -> ResponseFilters:
    """Read filters from query parameters (each name maps to all its values).

    from, to: dates; category: promoter|passive|detractor (repeatable);
    attr.<name>=<value> (repeatable, values of one name are OR-ed, names AND-ed);
    has_comment: 1|0; lang: zh-Hans|zh-Hant|en.
    """
    errors: list[FieldError] = []

    def first(name: str) -> str:
        values = params.get(name) or [""]
        return values[0].strip()

    date_from = _parse_date(first("from"), "from", errors)
    date_to = _parse_date(first("to"), "to", errors)
    if date_from and date_to and date_from > date_to:
        errors.append(FieldError("from", _("The start date is after the end date.")))
    categories: list[str] = []
    for value in params.get("category", []):
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if item not in CATEGORIES:
                errors.append(FieldError("category", _("Use promoter, passive or detractor.")))
            elif item not in categories:
                categories.append(item)
    attributes: dict[str, tuple[str, ...]] = {}
    for name, values in params.items():
        if not name.startswith(ATTRIBUTE_PREFIX):
            continue
        attribute = name[len(ATTRIBUTE_PREFIX) :]
        if not is_attribute_name(attribute):
            errors.append(FieldError(name, _("Unknown attribute name.")))
            continue
        kept = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
        if kept:
            attributes[attribute] = kept
    has_comment: bool | None = None
    raw_has_comment = first("has_comment").lower()
    if raw_has_comment in {"1", "true", "yes"}:
        has_comment = True
    elif raw_has_comment in {"0", "false", "no"}:
        has_comment = False
    elif raw_has_comment:
        errors.append(FieldError("has_comment", _("Use 1 or 0.")))
    language = first("lang") or None
    if language and language not in SURVEY_LANGUAGES:
        errors.append(FieldError("lang", _("Use zh-Hans, zh-Hant or en.")))
    if errors:
        raise InputError(errors)
    return ResponseFilters(
        date_from=date_from,
        date_to=date_to,
        categories=tuple(categories),
        attributes=tuple(sorted(attributes.items())),
        has_comment=has_comment,
        language=language,
        attribute_map=attributes,
    )
