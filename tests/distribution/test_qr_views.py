import io
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import zxingcpp
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image
from pypdf import PdfReader

from cxloop.distribution.qr import MAX_LOCATIONS, qr_link
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.surveys.models import Survey
from tests.factories import MembershipFactory, answer, survey_for

STORE = "上海南京西路店"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are checked in English, whatever the catalogues translate them to."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization, name="门店调研")


def page_url(survey: Survey, name: str = "distribution:qr", *extra: str) -> str:
    return reverse(name, args=[survey.organization.slug, survey.pk, *extra])


def decode(content: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(content)))
    assert len(results) == 1
    return str(results[0].text)


def test_page_lists_known_stores_with_download_links(member_client: Client, survey: Survey) -> None:
    answer(survey, 9, attributes={"store": STORE})
    answer(survey, 3, attributes={"store": "广州天河城"})

    response = member_client.get(page_url(survey))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.location for row in rows] == sorted([STORE, "广州天河城"])
    assert response.context["locations_text"] == "\n".join(sorted([STORE, "广州天河城"]))
    html = response.content.decode()
    for row in rows:
        assert row.png_url in html.replace("&amp;", "&")
        assert dict(parse_qsl(urlsplit(row.svg_url).query))["store"] == row.location
    assert response.context["survey_row"].link == qr_link(
        survey=survey, attributes={}, language=None
    )


def test_page_with_no_known_stores_asks_for_a_list(member_client: Client, survey: Survey) -> None:
    response = member_client.get(page_url(survey))

    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "Paste your list" in response.content.decode()


def test_pasted_list_shows_a_code_per_location_in_the_chosen_language(
    member_client: Client, survey: Survey
) -> None:
    response = member_client.post(
        page_url(survey),
        {
            "attribute": "branch",
            "lang": "en",
            "locations": f"{STORE}\nNew store\n",
            "action": "show",
        },
    )

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row.location for row in rows] == [STORE, "New store"]
    assert rows[0].link == qr_link(survey=survey, attributes={"branch": STORE}, language="en")
    assert dict(parse_qsl(urlsplit(rows[0].png_url).query)) == {
        "attribute": "branch",
        "branch": STORE,
        "lang": "en",
    }


def test_load_known_replaces_the_list_with_the_attributes_known_values(
    member_client: Client, survey: Survey
) -> None:
    answer(survey, 9, attributes={"city": "上海"})

    response = member_client.post(
        page_url(survey), {"attribute": "city", "locations": "old", "action": "known"}
    )

    assert response.status_code == 200
    assert response.context["locations_text"] == "上海"


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"attribute": "1bad name", "locations": "A"}, "attribute", "Attribute names"),
        ({"attribute": "lang", "locations": "A"}, "attribute", "“lang”"),
        ({"lang": "fr", "locations": "A"}, "lang", "not available"),
        ({"locations": " \n "}, "locations", "at least one"),
        (
            {"locations": "\n".join(f"s{n}" for n in range(MAX_LOCATIONS + 1))},
            "locations",
            str(MAX_LOCATIONS),
        ),
    ],
)
def test_bad_input_on_the_page_gets_a_message_next_to_the_field(
    member_client: Client, survey: Survey, data: dict[str, str], field: str, fragment: str
) -> None:
    response = member_client.post(page_url(survey), {"action": "show", **data})

    assert response.status_code == 400
    assert response.context["rows"] == []
    errors = response.context["errors"]
    assert [error.field_id for error in errors] == [f"qr-{field}"]
    assert fragment in errors[0].message
    html = response.content.decode()
    assert f'href="#qr-{field}"' in html
    assert 'aria-invalid="true"' in html


def test_png_download_decodes_to_the_stores_link(member_client: Client, survey: Survey) -> None:
    response = member_client.get(
        page_url(survey, "distribution:qr_image", "png"), {"store": STORE, "lang": "zh-Hans"}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    link = decode(response.content)
    assert link == qr_link(survey=survey, attributes={"store": STORE}, language="zh-Hans")
    assert dict(parse_qsl(urlsplit(link).query)) == {
        "store": STORE,
        "channel": "qr",
        "lang": "zh-Hans",
    }


def test_download_names_the_file_after_survey_and_store_for_every_client(
    member_client: Client, survey: Survey
) -> None:
    response = member_client.get(page_url(survey, "distribution:qr_image", "svg"), {"store": STORE})

    assert response["Content-Type"] == "image/svg+xml"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert 'filename="qr-' in disposition
    assert disposition.split('filename="')[1].split('"')[0].isascii()
    assert f"filename*=UTF-8''{quote(f'门店调研 - {STORE}.svg', safe='')}" in disposition


def test_png_scale_sets_the_image_size(member_client: Client, survey: Survey) -> None:
    small = member_client.get(page_url(survey, "distribution:qr_image", "png"), {"scale": "2"})
    large = member_client.get(page_url(survey, "distribution:qr_image", "png"), {"scale": "4"})

    small_size = Image.open(io.BytesIO(small.content)).size
    assert Image.open(io.BytesIO(large.content)).size == (small_size[0] * 2, small_size[1] * 2)


@pytest.mark.parametrize(
    "query",
    [{"scale": "500"}, {"attribute": "bad name"}, {"lang": "xx"}, {"store": "a\x01b"}],
)
def test_image_bad_input_is_a_400_with_a_message(
    member_client: Client, survey: Survey, query: dict[str, str]
) -> None:
    response = member_client.get(page_url(survey, "distribution:qr_image", "png"), query)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert response.content.strip()


def test_unknown_image_format_is_not_found(member_client: Client, survey: Survey) -> None:
    response = member_client.get(page_url(survey, "distribution:qr_image", "gif"))

    assert response.status_code == 404


def test_sheet_is_a_pdf_with_a_card_per_location(member_client: Client, survey: Survey) -> None:
    locations = [STORE, *(f"Store {n}" for n in range(6))]

    response = member_client.post(
        page_url(survey, "distribution:qr_sheet"),
        {"locations": "\n".join(locations), "lang": "en"},
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert all(location in text for location in locations)


def test_sheet_can_be_fetched_by_url(member_client: Client, survey: Survey) -> None:
    response = member_client.get(
        page_url(survey, "distribution:qr_sheet"), {"locations": ["A", "B"]}
    )

    assert response.status_code == 200
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"locations": ""}, "locations"),
        ({"locations": "\n".join(f"s{n}" for n in range(MAX_LOCATIONS + 1))}, "locations"),
        ({"locations": "A", "attribute": "a b"}, "attribute"),
    ],
)
def test_sheet_bad_input_shows_the_page_with_a_message(
    member_client: Client, survey: Survey, data: dict[str, str], field: str
) -> None:
    response = member_client.post(page_url(survey, "distribution:qr_sheet"), data)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert [error.field_id for error in response.context["errors"]] == [f"qr-{field}"]


def test_a_viewer_can_see_and_download_codes(survey: Survey) -> None:
    viewer = MembershipFactory(organization=survey.organization, role=Role.VIEWER)
    client = Client()
    client.force_login(viewer.user)

    assert client.get(page_url(survey)).status_code == 200
    assert client.get(page_url(survey, "distribution:qr_image", "png")).status_code == 200
    assert (
        client.post(page_url(survey, "distribution:qr_sheet"), {"locations": "A"}).status_code
        == 200
    )


def test_another_organizations_survey_is_not_found(
    survey: Survey, other_membership: Membership
) -> None:
    client = Client()
    client.force_login(other_membership.user)
    own_slug = other_membership.organization.slug
    answer(survey, 9, attributes={"store": STORE})

    for name, extra in [
        ("distribution:qr", ()),
        ("distribution:qr_image", ("png",)),
        ("distribution:qr_image", ("svg",)),
        ("distribution:qr_sheet", ()),
    ]:
        # Through the other organization's own URL, and through the survey's organization.
        for slug in (own_slug, survey.organization.slug):
            url = reverse(name, args=[slug, survey.pk, *extra])
            assert client.get(url, {"locations": "A"}).status_code == 404
            assert client.post(url, {"locations": "A"}).status_code in {404, 405}


def test_anonymous_visitors_are_sent_to_log_in(survey: Survey) -> None:
    response = Client().get(page_url(survey, "distribution:qr_image", "png"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_page_query_count_does_not_grow_with_the_number_of_locations(
    member_client: Client, survey: Survey, django_assert_num_queries: Any
) -> None:
    few = "\n".join(f"s{n}" for n in range(2))
    many = "\n".join(f"s{n}" for n in range(MAX_LOCATIONS))
    answer(survey, 9, attributes={"store": STORE})
    member_client.get(page_url(survey))  # warm the session

    with django_assert_num_queries(7):
        member_client.get(page_url(survey))
    with django_assert_num_queries(5):
        member_client.post(page_url(survey), {"locations": few})
    with django_assert_num_queries(5):
        response = member_client.post(page_url(survey), {"locations": many})
    assert len(response.context["rows"]) == MAX_LOCATIONS
