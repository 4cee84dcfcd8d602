import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation
from pypdf import PdfReader

from cxloop.distribution.qr import QrOptions
from cxloop.distribution.qr_pdf import CARDS_PER_PAGE, survey_qr_sheet
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.factories import survey_for

STORES = [
    "上海南京西路店",
    "Shenzhen Bay MixC",
    "广州天河城",
    "杭州西湖银泰",
    "成都太古里",
    "南京新街口",
]


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are checked in English, whatever the catalogues translate them to."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(
        organization, title={"zh-Hans": "门店购物体验调查", "en": "Store visit survey"}
    )


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.mark.parametrize(
    ("count", "pages"), [(1, 1), (CARDS_PER_PAGE, 1), (CARDS_PER_PAGE + 1, 2), (13, 3)]
)
def test_the_sheet_has_one_card_per_location(survey: Survey, count: int, pages: int) -> None:
    locations = [f"Store {n}" for n in range(count)]

    pdf = survey_qr_sheet(survey=survey, options=QrOptions("store", "en"), locations=locations)

    assert pdf.startswith(b"%PDF")
    texts = page_texts(pdf)
    assert len(texts) == pages
    text = "\n".join(texts)
    assert all(f"Store {n}\n" in text + "\n" for n in range(count))
    assert text.count("Scan to tell us how we did") == count


def test_cards_print_chinese_location_names_and_the_title_in_the_chosen_language(
    survey: Survey,
) -> None:
    pdf = survey_qr_sheet(survey=survey, options=QrOptions("store", "zh-Hans"), locations=STORES)

    text = "\n".join(page_texts(pdf))
    for store in STORES:
        assert store in text
    assert text.count("门店购物体验调查") == len(STORES)
    assert "Store visit survey" not in text


def test_without_a_language_the_cards_use_the_surveys_default_language(survey: Survey) -> None:
    pdf = survey_qr_sheet(survey=survey, options=QrOptions("store", None), locations=["A"])

    assert "门店购物体验调查" in page_texts(pdf)[0]


def test_english_cards_carry_the_english_title(survey: Survey) -> None:
    pdf = survey_qr_sheet(survey=survey, options=QrOptions("store", "en"), locations=["A"])

    assert "Store visit survey" in page_texts(pdf)[0]


def test_a_long_location_name_is_wrapped_and_cut_short_inside_its_card(survey: Survey) -> None:
    long_name = "北京三里屯太古里南区旗舰店" * 10

    pdf = survey_qr_sheet(survey=survey, options=QrOptions("store", None), locations=[long_name])

    text = page_texts(pdf)[0].replace("\n", "").replace(" ", "")
    assert "北京三里屯太古里南区旗舰店北京" in text
    assert long_name not in text
    assert "…" in text
