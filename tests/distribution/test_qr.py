import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import zxingcpp
from django.utils import translation
from PIL import Image

from cxloop.common.errors import InputError
from cxloop.distribution.qr import (
    MAX_LOCATIONS,
    QrOptions,
    clean_location,
    clean_locations,
    clean_png_scale,
    clean_qr_options,
    known_locations,
    location_links,
    qr_link,
    qr_matrix,
    qr_png,
    qr_svg,
)
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.factories import answer, survey_for

STORE = "上海南京西路店"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are checked in English, whatever the catalogues translate them to."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


def decode(png: bytes) -> Any:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1
    return results[0]


def decode_png(png: bytes) -> str:
    return str(decode(png).text)


def test_link_opens_public_page_with_encoded_store_and_channel(
    survey: Survey, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://cx.example.com"

    link = qr_link(survey=survey, attributes={"store": STORE}, language=None)

    parts = urlsplit(link)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == f"https://cx.example.com/s/{survey.slug}"
    )
    assert link.isascii()  # UTF-8 percent-encoded, readable by every scanner
    assert parse_qsl(parts.query) == [("store", STORE), ("channel", "qr")]


def test_link_carries_language_and_keeps_special_characters_intact(survey: Survey) -> None:
    store = "A&B Store #1 / 東區=100%"

    link = qr_link(survey=survey, attributes={"store": store}, language="en")

    assert parse_qsl(urlsplit(link).query) == [("store", store), ("channel", "qr"), ("lang", "en")]


def test_link_does_not_let_an_attribute_override_channel_or_language(survey: Survey) -> None:
    link = qr_link(survey=survey, attributes={"channel": "sms", "lang": "fr"}, language=None)

    assert parse_qsl(urlsplit(link).query) == [("channel", "qr")]


def test_png_decodes_back_to_the_exact_link_with_a_chinese_store(survey: Survey) -> None:
    link = qr_link(survey=survey, attributes={"store": STORE}, language="zh-Hans")

    png = qr_png(link, scale=4)

    assert png.startswith(b"\x89PNG")
    assert decode_png(png) == link


def test_png_scale_and_border_set_the_image_size(survey: Survey) -> None:
    link = qr_link(survey=survey, attributes={}, language=None)
    modules = len(qr_matrix(link))

    image = Image.open(io.BytesIO(qr_png(link, scale=5, border=2)))

    assert image.size == ((modules + 4) * 5, (modules + 4) * 5)


def test_codes_use_error_correction_m_by_default(survey: Survey) -> None:
    link = qr_link(survey=survey, attributes={"store": STORE}, language=None)

    assert decode(qr_png(link, scale=4)).ec_level == "M"
    assert decode(qr_png(link, scale=4, error="H")).ec_level == "H"


def test_svg_is_xml_with_a_viewbox_of_the_code_and_its_quiet_zone(survey: Survey) -> None:
    link = qr_link(survey=survey, attributes={"store": STORE}, language=None)
    modules = len(qr_matrix(link)) + 2 * 4

    root = ET.fromstring(qr_svg(link))  # noqa: S314 -- our own output, not untrusted input

    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.attrib["viewBox"] == f"0 0 {modules} {modules}"


def test_known_locations_come_from_the_organizations_rollups_and_this_surveys_answers(
    organization: Organization, survey: Survey, other_membership: Any
) -> None:
    other_survey = survey_for(organization)
    answer(survey, 9, attributes={"store": "北京三里屯店"})
    # Only in another survey of the organization: found through the rollups.
    answer(other_survey, 7, attributes={"store": STORE})
    answer(other_survey, 7, attributes={"store": STORE})
    # Not an analysis dimension, so only this survey's answers name it.
    answer(survey, 8, attributes={"counter": "3号柜台"})
    # Another organization's stores are never offered.
    answer(survey_for(other_membership.organization), 5, attributes={"store": "外部门店"})

    assert known_locations(organization=organization, survey=survey, attribute="store") == sorted(
        ["北京三里屯店", STORE]
    )
    assert known_locations(organization=organization, survey=survey, attribute="counter") == [
        "3号柜台"
    ]
    assert known_locations(organization=organization, survey=survey, attribute="region") == []


def test_options_default_to_store_and_the_browser_language(survey: Survey) -> None:
    assert clean_qr_options(survey=survey, attribute="", language="") == QrOptions("store", None)
    assert clean_qr_options(survey=survey, attribute=" branch ", language="zh-CN") == QrOptions(
        "branch", "zh-Hans"
    )


@pytest.mark.parametrize("attribute", ["1store", "门店", "store name", "a__b", "lang", "channel"])
def test_options_refuse_attribute_names_a_link_cannot_carry(survey: Survey, attribute: str) -> None:
    with pytest.raises(InputError) as raised:
        clean_qr_options(survey=survey, attribute=attribute, language=None)

    assert list(raised.value.by_field()) == ["attribute"]


def test_options_refuse_a_language_the_survey_does_not_offer(survey: Survey) -> None:
    with pytest.raises(InputError) as raised:
        clean_qr_options(survey=survey, attribute="store", language="zh-Hant")

    assert list(raised.value.by_field()) == ["lang"]


def test_pasted_locations_are_trimmed_deduplicated_and_kept_in_order() -> None:
    text = f"  {STORE}  \r\n\nShenzhen Bay\n{STORE}\n  \n广州天河城\n"

    assert clean_locations(text) == [STORE, "Shenzhen Bay", "广州天河城"]


def test_an_empty_location_list_is_refused() -> None:
    with pytest.raises(InputError) as raised:
        clean_locations(" \n \n")

    assert "at least one" in raised.value.by_field()["locations"][0]


def test_more_than_the_maximum_of_locations_is_refused() -> None:
    assert len(clean_locations([f"store {n}" for n in range(MAX_LOCATIONS)])) == MAX_LOCATIONS
    with pytest.raises(InputError) as raised:
        clean_locations([f"store {n}" for n in range(MAX_LOCATIONS + 1)])

    assert str(MAX_LOCATIONS + 1) in raised.value.by_field()["locations"][0]


def test_locations_too_long_or_with_control_characters_are_refused() -> None:
    with pytest.raises(InputError):
        clean_locations("x" * 201)
    with pytest.raises(InputError):
        clean_location("bad\x00name")
    assert clean_location("x" * 200) == "x" * 200
    assert clean_location(None) == ""


@pytest.mark.parametrize("raw", ["0", "41", "ten", "-3"])
def test_png_scale_outside_1_to_40_is_refused(raw: str) -> None:
    with pytest.raises(InputError):
        clean_png_scale(raw)


def test_png_scale_defaults_and_accepts_the_range() -> None:
    assert clean_png_scale(None) == 10
    assert clean_png_scale("40") == 40


def test_location_links_pair_each_location_with_its_own_link(survey: Survey) -> None:
    options = QrOptions(attribute="branch", language="en")

    pairs = location_links(survey=survey, options=options, locations=["A", "B"])

    assert [location for location, _link in pairs] == ["A", "B"]
    assert [dict(parse_qsl(urlsplit(link).query))["branch"] for _location, link in pairs] == [
        "A",
        "B",
    ]
