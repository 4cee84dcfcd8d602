"""QR codes that open a survey: the link they carry, the images, and the locations to print.

A code opens the public survey page with URL parameters that the page turns into response
attributes (see `cxloop.responses.public_form.link_attributes`): always ``channel=qr`` and,
for a code printed for one location, the location, e.g. ``?store=上海南京西路店&channel=qr``.
"""

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import segno
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from cxloop.analytics.models import Grain, MarginalRollup
from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import normalize_language
from cxloop.common.text import has_nul, is_attribute_name
from cxloop.organizations.models import Organization
from cxloop.responses.selectors import attribute_values
from cxloop.responses.services import MAX_ATTRIBUTE_VALUE_LENGTH
from cxloop.surveys.models import Survey

DEFAULT_LOCATION_ATTRIBUTE = "store"
QR_CHANNEL = "qr"
# Parameters the link sets itself; a location attribute of the same name would be lost.
RESERVED_LINK_PARAMETERS = frozenset({"lang", "channel"})
# Parameters of the QR pages themselves, next to the location attribute in their query.
RESERVED_ATTRIBUTE_NAMES = RESERVED_LINK_PARAMETERS | {"attribute", "scale", "locations"}
MAX_LOCATIONS = 500
# "M" restores up to 15% of the modules: enough for a scuffed sticker without making the
# code so dense that a small print becomes hard to scan.
DEFAULT_ERROR_CORRECTION = "M"
# The quiet zone the QR standard asks for around a code, in modules.
QUIET_ZONE = 4
DEFAULT_PNG_SCALE = 10
MAX_PNG_SCALE = 40


@dataclass(frozen=True, slots=True)
class QrOptions:
    attribute: str  # the URL parameter that carries the location, e.g. "store"
    language: str | None  # None: the page picks the respondent's browser language


def qr_link(*, survey: Survey, attributes: Mapping[str, str], language: str | None) -> str:
    """The public survey address a code opens, with its attributes percent-encoded as UTF-8."""
    parameters = [
        (name, value)
        for name, value in attributes.items()
        if name not in RESERVED_LINK_PARAMETERS and value
    ]
    parameters.append(("channel", QR_CHANNEL))
    if language:
        parameters.append(("lang", language))
    path = reverse("public:survey", args=[survey.slug])
    # quote (not quote_plus): %20 for spaces reads the same in every decoder.
    return f"{settings.PUBLIC_URL}{path}?{urlencode(parameters, quote_via=quote)}"


def _code(link: str, error: str) -> segno.QRCode:
    # boost_error=False: the level is the one asked for, so prints are predictable.
    return segno.make(link, error=error, micro=False, boost_error=False)


def qr_png(
    link: str,
    *,
    scale: int = DEFAULT_PNG_SCALE,
    border: int = QUIET_ZONE,
    error: str = DEFAULT_ERROR_CORRECTION,
) -> bytes:
    buffer = io.BytesIO()
    _code(link, error).save(buffer, kind="png", scale=scale, border=border)
    return buffer.getvalue()


def qr_svg(link: str, *, border: int = QUIET_ZONE, error: str = DEFAULT_ERROR_CORRECTION) -> bytes:
    """A scalable SVG: one module per user unit and no fixed size, so it fills its box."""
    buffer = io.BytesIO()
    _code(link, error).save(
        buffer, kind="svg", scale=1, border=border, omitsize=True, xmldecl=True, svgns=True
    )
    return buffer.getvalue()


def qr_matrix(link: str, *, error: str = DEFAULT_ERROR_CORRECTION) -> list[list[bool]]:
    """Dark (True) and light modules, without the quiet zone, for drawing the code as vectors."""
    return [[bool(module) for module in row] for row in _code(link, error).matrix]


def known_locations(*, organization: Organization, survey: Survey, attribute: str) -> list[str]:
    """Values of the location attribute the organization has seen, for a first list to print.

    Rollups hold every value of an analysis dimension across all the organization's surveys
    (month rows suffice: every day row has a month row); the survey's own recent responses
    add values of attributes that are not analysis dimensions.
    """
    from_rollups = (
        MarginalRollup.objects.filter(
            survey__organization=organization, dimension=attribute, grain=Grain.MONTH
        )
        .exclude(value="")
        .values_list("value", flat=True)
        .distinct()
    )
    from_responses = attribute_values(organization=organization, survey=survey).get(attribute, [])
    values = {value.strip() for value in (*from_rollups, *from_responses)}
    return sorted(value for value in values if value)[:MAX_LOCATIONS]


def _attribute_errors(raw: str) -> list[FieldError]:
    if not is_attribute_name(raw):
        # Same wording as the responses service, so the two share one translation.
        message = _(
            "Attribute names are 1–50 letters, digits, '_', '-' or '.', starting with a letter."
        )
        return [FieldError("attribute", message)]
    if raw in RESERVED_ATTRIBUTE_NAMES:
        message = _("“%(name)s” is used by the link itself; choose another name.") % {"name": raw}
        return [FieldError("attribute", message)]
    return []


def _language_errors(normalized: str | None, raw: str, survey: Survey) -> list[FieldError]:
    if raw and normalized not in survey.languages:
        return [FieldError("lang", _("This survey is not available in that language."))]
    return []


def clean_qr_options(*, survey: Survey, attribute: str | None, language: str | None) -> QrOptions:
    """The attribute name and the language from a request; raises InputError naming the field."""
    attribute_name = (attribute or "").strip() or DEFAULT_LOCATION_ATTRIBUTE
    raw_language = (language or "").strip()
    normalized = normalize_language(raw_language) if raw_language else None
    errors = [
        *_attribute_errors(attribute_name),
        *_language_errors(normalized, raw_language, survey),
    ]
    if errors:
        raise InputError(errors)
    return QrOptions(attribute=attribute_name, language=normalized)


def _location_errors(location: str, field: str) -> list[FieldError]:
    if has_nul(location) or not location.isprintable():
        shown = location.encode("unicode_escape").decode("ascii")[:60]
        return [FieldError(field, _("“%(value)s” contains control characters.") % {"value": shown})]
    if len(location) > MAX_ATTRIBUTE_VALUE_LENGTH:
        message = _("“%(value)s…” is longer than %(n)d characters.") % {
            "value": location[:30],
            "n": MAX_ATTRIBUTE_VALUE_LENGTH,
        }
        return [FieldError(field, message)]
    return []


def clean_location(raw: str | None) -> str:
    """One location for a single code; blank means the survey-wide code."""
    location = (raw or "").strip()
    errors = _location_errors(location, "location")
    if errors:
        raise InputError(errors)
    return location


def clean_locations(raw: str | Iterable[str]) -> list[str]:
    """A pasted list, one location per line: blanks dropped, duplicates kept once, in order."""
    text = raw if isinstance(raw, str) else "\n".join(raw)
    locations = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip()))
    if not locations:
        raise InputError.single("locations", _("Enter at least one location, one per line."))
    if len(locations) > MAX_LOCATIONS:
        raise InputError.single(
            "locations",
            _("At most %(max)d locations at a time; this list has %(n)d.")
            % {"max": MAX_LOCATIONS, "n": len(locations)},
        )
    errors = [error for location in locations for error in _location_errors(location, "locations")]
    if errors:
        raise InputError(errors)
    return locations


def clean_png_scale(raw: str | None) -> int:
    if not raw:
        return DEFAULT_PNG_SCALE
    try:
        scale = int(raw)
    except ValueError:
        scale = 0
    if not 1 <= scale <= MAX_PNG_SCALE:
        raise InputError.single(
            "scale",
            _("The scale is a whole number from 1 to %(max)d.") % {"max": MAX_PNG_SCALE},
        )
    return scale


def location_attributes(options: QrOptions, location: str) -> dict[str, str]:
    return {options.attribute: location} if location else {}


def location_links(
    *, survey: Survey, options: QrOptions, locations: Sequence[str]
) -> list[tuple[str, str]]:
    """(location, link) for each location, in order."""
    return [
        (
            location,
            qr_link(
                survey=survey,
                attributes=location_attributes(options, location),
                language=options.language,
            ),
        )
        for location in locations
    ]
