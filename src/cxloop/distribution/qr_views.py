"""QR code pages: the codes of a survey per location, as images and as a printable sheet."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES
from cxloop.distribution.qr import (
    DEFAULT_LOCATION_ATTRIBUTE,
    MAX_LOCATIONS,
    QrOptions,
    clean_location,
    clean_locations,
    clean_png_scale,
    clean_qr_options,
    known_locations,
    location_attributes,
    qr_link,
    qr_png,
    qr_svg,
)
from cxloop.distribution.qr_pdf import survey_qr_sheet
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_get

PREVIEW_SCALE = 3
IMAGE_TYPES: Mapping[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
FIELDS: Mapping[str, tuple[str, Any]] = {
    # error field → (input id, label) for the error summary's links
    "attribute": ("qr-attribute", _("Location attribute")),
    "lang": ("qr-lang", _("Language")),
    "locations": ("qr-locations", _("Locations")),
}
# Characters file systems refuse or shells misread in a download name.
UNSAFE_FILENAME_CHARACTERS = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


@dataclass(frozen=True, slots=True)
class ErrorItem:
    label: str
    field_id: str
    message: str


@dataclass(frozen=True, slots=True)
class LocationRow:
    location: str
    link: str
    png_url: str
    svg_url: str
    preview_url: str


def _survey_or_404(membership: Membership, survey_id: int) -> Survey:
    survey = survey_get(organization=membership.organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    return survey


def _error_items(errors: Iterable[FieldError]) -> list[ErrorItem]:
    items = []
    for error in errors:
        field_id, label = FIELDS.get(error.field, ("", ""))
        items.append(ErrorItem(str(label), field_id, error.message))
    return items


def _image_url(
    membership: Membership,
    survey: Survey,
    options: QrOptions,
    location: str,
    kind: str,
    **extra: str,
) -> str:
    url = reverse("distribution:qr_image", args=[membership.organization.slug, survey.pk, kind])
    query: dict[str, str] = {}
    if options.attribute != DEFAULT_LOCATION_ATTRIBUTE:
        query["attribute"] = options.attribute
    query.update(location_attributes(options, location))
    if options.language:
        query["lang"] = options.language
    query.update(extra)
    return f"{url}?{urlencode(query)}" if query else url


def _row(membership: Membership, survey: Survey, options: QrOptions, location: str) -> LocationRow:
    return LocationRow(
        location=location,
        link=qr_link(
            survey=survey,
            attributes=location_attributes(options, location),
            language=options.language,
        ),
        png_url=_image_url(membership, survey, options, location, "png"),
        svg_url=_image_url(membership, survey, options, location, "svg"),
        preview_url=_image_url(
            membership, survey, options, location, "png", scale=str(PREVIEW_SCALE)
        ),
    )


def _render_page(
    request: HttpRequest,
    membership: Membership,
    survey: Survey,
    *,
    data: QueryDict,
    options: QrOptions,
    locations: Sequence[str],
    locations_text: str,
    errors: Sequence[FieldError] = (),
    status: int = 200,
) -> HttpResponse:
    context = {
        "membership": membership,
        "survey": survey,
        # As typed, so that a mistake can be corrected in place.
        "attribute": data.get("attribute") or options.attribute,
        "language": data.get("lang") or options.language or "",
        "languages": [(code, SURVEY_LANGUAGE_NAMES.get(code, code)) for code in survey.languages],
        "survey_row": _row(membership, survey, options, ""),
        "rows": [_row(membership, survey, options, location) for location in locations],
        "locations_text": locations_text,
        "max_locations": MAX_LOCATIONS,
        "errors": _error_items(errors),
        "invalid": {error.field for error in errors},
    }
    return render(request, "distribution/qr_page.html", context, status=status)


def _options_or_default(survey: Survey, data: QueryDict) -> tuple[QrOptions, list[FieldError]]:
    try:
        return (
            clean_qr_options(
                survey=survey, attribute=data.get("attribute"), language=data.get("lang")
            ),
            [],
        )
    except InputError as error:
        return QrOptions(attribute=DEFAULT_LOCATION_ATTRIBUTE, language=None), list(error.errors)


@member_required()
@require_http_methods(["GET", "POST"])
def qr_page(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    """GET lists the known locations; POST shows the codes of a pasted list (it may be long)."""
    survey = _survey_or_404(membership, survey_id)
    data = request.POST if request.method == "POST" else request.GET
    options, errors = _options_or_default(survey, data)
    locations: list[str] = []
    if request.method == "GET" or data.get("action") == "known":
        locations = (
            []
            if errors
            else known_locations(
                organization=membership.organization, survey=survey, attribute=options.attribute
            )
        )
        locations_text = "\n".join(locations)
    else:
        locations_text = data.get("locations", "")
        try:
            locations = clean_locations(locations_text)
        except InputError as error:
            errors += error.errors
    return _render_page(
        request,
        membership,
        survey,
        data=data,
        options=options,
        locations=[] if errors else locations,
        locations_text=locations_text,
        errors=errors,
        status=400 if errors else 200,
    )


def _safe_filename(name: str) -> str:
    cleaned = UNSAFE_FILENAME_CHARACTERS.sub("_", name).strip(" .")
    return cleaned[:150] or "qr"


def _download_names(survey: Survey, location: str, extension: str) -> tuple[str, str]:
    """(UTF-8 name, ASCII fallback) for a download, e.g. 门店调研 - 上海南京西路店.png."""
    base = f"{survey.name} - {location}" if location else f"{survey.name} - QR"
    fallback = slugify(base) or f"survey-{survey.pk}"
    return _safe_filename(f"{base}.{extension}"), f"qr-{fallback}.{extension}"


def _attachment(filename: str, fallback: str) -> str:
    """Content-Disposition with an ASCII name for old clients and RFC 5987 filename* for
    everyone else, so Chinese names survive."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@member_required()
@require_GET
def qr_image(
    request: HttpRequest, membership: Membership, survey_id: int, image_format: str
) -> HttpResponse:
    if image_format not in IMAGE_TYPES:
        raise Http404
    survey = _survey_or_404(membership, survey_id)
    options, errors = _options_or_default(survey, request.GET)
    location, scale = "", 0
    try:
        location = clean_location(request.GET.get(options.attribute))
    except InputError as error:
        errors += error.errors
    try:
        scale = clean_png_scale(request.GET.get("scale"))
    except InputError as error:
        errors += error.errors
    if errors:
        message = "\n".join(error.message for error in errors)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    link = qr_link(
        survey=survey,
        attributes=location_attributes(options, location),
        language=options.language,
    )
    image = qr_png(link, scale=scale) if image_format == "png" else qr_svg(link)
    response = HttpResponse(image, content_type=IMAGE_TYPES[image_format])
    response["Content-Disposition"] = _attachment(*_download_names(survey, location, image_format))
    return response


@member_required()
@require_http_methods(["GET", "POST"])
def qr_sheet(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    """The printable PDF; POST for lists too long for a URL, GET for a bookmarkable sheet."""
    survey = _survey_or_404(membership, survey_id)
    data = request.POST if request.method == "POST" else request.GET
    options, errors = _options_or_default(survey, data)
    raw_locations = "\n".join(data.getlist("locations"))
    locations: list[str] = []
    try:
        locations = clean_locations(raw_locations)
    except InputError as error:
        errors += error.errors
    if errors:
        return _render_page(
            request,
            membership,
            survey,
            data=data,
            options=options,
            locations=[],
            locations_text=raw_locations,
            errors=errors,
            status=400,
        )
    pdf = survey_qr_sheet(survey=survey, options=options, locations=locations)
    response = HttpResponse(pdf, content_type="application/pdf")
    base = f"{survey.name} - QR"
    response["Content-Disposition"] = _attachment(
        _safe_filename(f"{base}.pdf"), f"qr-{slugify(base) or survey.pk}.pdf"
    )
    return response
