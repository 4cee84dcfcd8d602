import csv
import io
import re
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlencode
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.http import FileResponse, StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from openpyxl.utils.escape import unescape

from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.exports import (
    FORMULA_TRIGGERS,
    UTF8_BOM,
    csv_chunks,
    export_columns,
    neutralize,
)
from cxloop.responses.filters import ResponseFilters
from cxloop.responses.models import Response, ResponseSource
from cxloop.responses.selectors import response_list
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition, survey_get
from cxloop.surveys.services import survey_create, survey_publish
from tests.conftest import ApiClient
from tests.factories import MembershipFactory, answer, survey_for

EVERY_TYPE: dict[str, Any] = {
    "name": "门店体验 Store visit",
    "languages": ["zh-Hans", "en"],
    "default_language": "zh-Hans",
    "questions": [
        {"key": "rec", "type": "nps", "text": {"zh-Hans": "推荐可能性？", "en": "Recommend?"}},
        {
            "key": "rec_plus",
            "type": "nps_plus",
            "required": False,
            "text": {"zh-Hans": "推荐门店？", "en": "Recommend the store?"},
            "reasons": [
                {"key": "price", "text": {"zh-Hans": "价格", "en": "Price"}},
                {"key": "staff", "text": {"zh-Hans": "店员热情", "en": "Friendly staff"}},
            ],
        },
        {
            "key": "sat",
            "type": "csat",
            "required": False,
            "scale": 5,
            "text": {"zh-Hans": "满意吗？", "en": "Satisfied?"},
        },
        {
            "key": "effort",
            "type": "ces",
            "required": False,
            "scale": 7,
            "text": {"zh-Hans": "容易吗？", "en": "Easy?"},
        },
        {
            "key": "visit",
            "type": "single_choice",
            "required": False,
            "text": {"zh-Hans": "何时到店？", "en": "When?"},
            "choices": [
                {"key": "weekday", "text": {"zh-Hans": "工作日", "en": "Weekday"}},
                {"key": "weekend", "text": {"zh-Hans": "周末", "en": "Weekend"}},
            ],
        },
        {
            "key": "bought",
            "type": "multiple_choice",
            "required": False,
            "text": {"zh-Hans": "买了什么？", "en": "What did you buy?"},
            "choices": [
                {"key": "shoes", "text": {"zh-Hans": "鞋", "en": "Shoes"}},
                {"key": "bags", "text": {"zh-Hans": "包", "en": "Bags"}},
                {"key": "hats", "text": {"zh-Hans": "帽子", "en": "Hats"}},
            ],
        },
        {
            "key": "note",
            "type": "text",
            "required": False,
            "text": {"zh-Hans": "还有吗？", "en": "Anything else?"},
        },
    ],
}
EVERY_TYPE_ANSWERS: dict[str, Any] = {
    "rec": 6,
    "rec_plus": {"score": 10, "reasons": ["staff", "price"], "comment": "店员很热情"},
    "sat": 4,
    "effort": 6,
    "visit": "weekend",
    "bought": ["hats", "shoes"],
    "note": "繁體中文也可以",
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def every_type_survey(organization: Organization) -> Survey:
    return survey_publish(survey=survey_create(organization=organization, definition=EVERY_TYPE))


@pytest.fixture
def en_client(membership: Membership) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(membership.user)
    return client


def submit(survey: Survey, answers: dict[str, Any], **kwargs: Any) -> Response:
    stored, _created = response_submit(survey=survey, answers=answers, **kwargs)
    return stored


def export_url(survey: Survey, fmt: str, query: dict[str, Any] | None = None) -> str:
    url = reverse("responses:export", args=[survey.organization.slug, survey.pk, fmt])
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def export_all_url(
    organization: Organization, fmt: str, query: dict[str, Any] | None = None
) -> str:
    url = reverse("responses:export_all", args=[organization.slug, fmt])
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def body(response: Any) -> bytes:
    if isinstance(response, StreamingHttpResponse | FileResponse):
        return b"".join(response.streaming_content)  # type: ignore[arg-type]
    return bytes(response.content)


def csv_records(response: Any) -> list[dict[str, str]]:
    raw = body(response)
    assert raw.startswith(UTF8_BOM)
    return list(csv.DictReader(io.StringIO(raw[len(UTF8_BOM) :].decode("utf-8"))))


def xlsx_records(response: Any) -> list[dict[str, Any]]:
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    headers = [str(header) for header in rows[0]]
    # Control characters are stored as OOXML escapes (_x000D_), which Excel decodes.
    return [
        {h: unescape(v) if isinstance(v, str) else v for h, v in zip(headers, row, strict=True)}
        for row in rows[1:]
    ]


def records(response: Any, fmt: str) -> list[dict[str, Any]]:
    return csv_records(response) if fmt == "csv" else xlsx_records(response)


# neutralize


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_neutralize_quotes_text_a_spreadsheet_would_run(trigger: str) -> None:
    cell = f'{trigger}HYPERLINK("http://evil.example","点我")'

    assert neutralize(cell) == f"'{cell}"


@pytest.mark.parametrize(
    "cell", [10, -3, 0, 2.5, -0.5, None, "", "好", "plain text", "a=b", "1+1", "'quoted"]
)
def test_neutralize_leaves_numbers_and_ordinary_text_alone(cell: Any) -> None:
    assert neutralize(cell) == cell


# content


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_chinese_text_survives_both_formats(
    en_client: Client, organization: Organization, fmt: str
) -> None:
    survey = survey_for(organization, name="门店购物")
    answer(
        survey,
        3,
        answers={"why": "排队太久了，繁體也行"},
        attributes={"store": "上海南京西路店"},
        language="zh-Hans",
    )

    response = en_client.get(export_url(survey, fmt))

    assert response.status_code == 200
    [row] = records(response, fmt)
    assert row["survey"] == "门店购物"
    assert row["comment"] == "排队太久了，繁體也行"
    assert row["why"] == "排队太久了，繁體也行"
    assert row["attr.store"] == "上海南京西路店"


def test_csv_starts_with_a_utf8_bom_and_is_utf8(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    answer(survey, 9, answers={"why": "很好"})

    response = en_client.get(export_url(survey, "csv"))

    raw = body(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert raw[:3] == b"\xef\xbb\xbf"
    assert "很好".encode() in raw


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_formula_cells_are_neutralized_and_numbers_stay_numbers(
    en_client: Client, organization: Organization, fmt: str, trigger: str
) -> None:
    survey = survey_for(organization)
    # Stored answers are stripped of a leading tab or CR; older or imported rows may not be.
    payload = f"{trigger}cmd|'/c calc'!A1"
    answer(survey, 10, answers={"sat": 5, "why": "fine"}, attributes={"store": "S1"})
    Response.objects.filter(survey=survey).update(
        comment=payload,
        answers={"nps": 10, "sat": 5, "why": payload},
        attributes={"store": payload, "plain": "正常文本"},
    )

    [row] = records(en_client.get(export_url(survey, fmt)), fmt)

    assert row["comment"] == f"'{payload}"
    assert row["why"] == f"'{payload}"
    assert row["attr.store"] == f"'{payload}"
    assert row["attr.plain"] == "正常文本"
    if fmt == "xlsx":
        assert row["nps_score"] == 10
        assert row["sat"] == 5
    else:
        assert row["nps_score"] == "10"
        assert row["sat"] == "5"


def test_xlsx_never_writes_formulas(en_client: Client, organization: Organization) -> None:
    survey = survey_for(organization)
    answer(survey, 10, answers={"why": "fine"})
    Response.objects.filter(survey=survey).update(comment="=1+1")

    workbook = openpyxl.load_workbook(io.BytesIO(body(en_client.get(export_url(survey, "xlsx")))))
    cells = [cell for row in workbook.worksheets[0].iter_rows() for cell in row]

    assert all(cell.data_type != "f" for cell in cells)
    assert "'=1+1" in [cell.value for cell in cells]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_every_question_type_is_written_as_text_or_number(
    en_client: Client, every_type_survey: Survey, fmt: str
) -> None:
    submit(every_type_survey, EVERY_TYPE_ANSWERS, language="en")

    response = en_client.get(export_url(every_type_survey, fmt))

    [row] = records(response, fmt)
    expected: dict[str, Any] = {
        "rec": 6,
        "rec_plus.score": 10,
        # Option texts in the survey's default language, in the survey's order.
        "rec_plus.reasons": "价格; 店员热情",
        "rec_plus.comment": "店员很热情",
        "sat": 4,
        "effort": 6,
        "visit": "周末",
        "bought": "鞋; 帽子",
        "note": "繁體中文也可以",
        "nps_score": 6,
        "nps_category": "detractor",
        "csat_score": 4,
        "ces_score": 6,
        "language": "en",
        "source": "api",
    }
    if fmt == "csv":
        expected = {key: str(value) for key, value in expected.items()}
    assert {key: row[key] for key in expected} == expected


def test_columns_follow_the_survey_then_the_attributes(
    en_client: Client, every_type_survey: Survey
) -> None:
    submit(every_type_survey, {"rec": 9}, attributes={"store": "A", "channel": "sms"})

    raw = body(en_client.get(export_url(every_type_survey, "csv")))
    header = raw[len(UTF8_BOM) :].decode().splitlines()[0].split(",")

    assert header == [
        "id", "submitted_at", "survey", "language", "source", "nps_score", "nps_category",
        "csat_score", "ces_score", "comment", "rec", "rec_plus.score", "rec_plus.reasons",
        "rec_plus.comment", "sat", "effort", "visit", "bought", "note", "attr.channel",
        "attr.store",
    ]  # fmt: skip


def test_unanswered_questions_are_empty_cells(en_client: Client, every_type_survey: Survey) -> None:
    submit(every_type_survey, {"rec": 9})

    [row] = xlsx_records(en_client.get(export_url(every_type_survey, "xlsx")))

    assert row["rec"] == 9
    assert row["nps_category"] == "promoter"
    for key in ("rec_plus.score", "rec_plus.reasons", "sat", "visit", "bought", "note", "comment"):
        assert row[key] is None, key


def test_submitted_at_is_in_the_organization_time_zone_with_its_offset(
    en_client: Client, organization: Organization
) -> None:
    organization.time_zone = "America/New_York"
    organization.save()
    survey = survey_for(organization)
    answer(survey, 9, submitted_at=datetime(2026, 1, 15, 3, 30, tzinfo=UTC))

    [row] = csv_records(en_client.get(export_url(survey, "csv")))

    assert row["submitted_at"] == "2026-01-14T22:30:00-05:00"


# filters


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_holds_exactly_the_filtered_responses(
    en_client: Client, organization: Organization, fmt: str
) -> None:
    survey = survey_for(organization)
    day = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
    wanted = answer(survey, 2, attributes={"store": "北京"}, submitted_at=day)
    answer(survey, 10, attributes={"store": "北京"}, submitted_at=day)  # a promoter
    answer(survey, 3, attributes={"store": "上海"}, submitted_at=day)  # another store
    answer(survey, 1, attributes={"store": "北京"}, submitted_at=day - timedelta(days=30))
    query = {"category": "detractor", "attr.store": "北京", "from": "2026-03-01"}

    rows = records(en_client.get(export_url(survey, fmt, query)), fmt)

    assert [int(row["id"]) for row in rows] == [wanted.pk]


def test_the_list_page_offers_exports_carrying_its_filters(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    wanted = answer(survey, 2, attributes={"store": "北京"})
    answer(survey, 10, attributes={"store": "北京"})
    query = {"category": "detractor", "attr.store": "北京", "page": "1"}
    list_url = reverse("responses:list", args=[organization.slug, survey.pk])

    html = en_client.get(f"{list_url}?{urlencode(query)}").content.decode()

    links = {
        fmt: link.replace("&amp;", "&")
        for link, fmt in re.findall(r'href="([^"]*/export\.(csv|xlsx)[^"]*)"', html)
    }
    assert set(links) == {"csv", "xlsx"}
    for fmt, link in links.items():
        assert link.startswith(export_url(survey, fmt) + "?")
        assert "page=" not in link
        assert [int(row["id"]) for row in records(en_client.get(link), fmt)] == [wanted.pk]


def test_the_organization_list_offers_exports_of_every_survey(
    en_client: Client, organization: Organization
) -> None:
    first = survey_for(organization, name="第一")
    second = survey_for(organization, name="第二")
    answer(first, 9)
    answer(second, 4)
    all_url = reverse("responses:all", args=[organization.slug])

    html = en_client.get(all_url).content.decode()
    rows = csv_records(en_client.get(export_all_url(organization, "csv")))

    assert export_all_url(organization, "csv") in html
    assert export_all_url(organization, "xlsx") in html
    assert sorted(row["survey"] for row in rows) == ["第一", "第二"]
    # Questions differ between surveys: only the shared columns.
    assert "nps" not in rows[0]
    assert {row["nps_score"] for row in rows} == {"9", "4"}


def test_the_organization_export_narrowed_to_one_survey_has_its_questions(
    en_client: Client, organization: Organization, every_type_survey: Survey
) -> None:
    submit(every_type_survey, EVERY_TYPE_ANSWERS)
    answer(survey_for(organization), 9)

    rows = csv_records(
        en_client.get(export_all_url(organization, "csv", {"survey": every_type_survey.pk}))
    )

    assert [row["survey"] for row in rows] == [every_type_survey.name]
    assert rows[0]["visit"] == "周末"


def test_bad_filters_get_the_list_page_with_a_message_not_a_file(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    answer(survey, 9)

    response = en_client.get(export_url(survey, "csv", {"from": "2026-13-45"}))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "Use a date like 2026-01-31." in response.content.decode()


def test_an_unknown_survey_in_the_organization_export_gets_a_message(
    en_client: Client, organization: Organization
) -> None:
    response = en_client.get(export_all_url(organization, "csv", {"survey": "999999"}))

    assert response.status_code == 400
    assert "Choose a survey from the list." in response.content.decode()


def test_an_unknown_format_is_not_found(en_client: Client, organization: Organization) -> None:
    survey = survey_for(organization)

    assert en_client.get(export_url(survey, "pdf")).status_code == 404
    assert en_client.get(export_all_url(organization, "json")).status_code == 404


# downloads


@pytest.mark.parametrize(
    ("fmt", "response_type"), [("csv", StreamingHttpResponse), ("xlsx", FileResponse)]
)
def test_downloads_are_streamed_attachments_named_after_the_survey(
    en_client: Client, organization: Organization, fmt: str, response_type: type
) -> None:
    organization.time_zone = "Asia/Shanghai"
    organization.save()
    survey = survey_for(organization, name="门店 购物")
    answer(survey, 9)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")

    response = en_client.get(export_url(survey, fmt))

    assert isinstance(response, response_type)
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert unquote(disposition.split("''", 1)[1]) == f"cxloop-门店-购物-{today}.{fmt}"
    if fmt == "xlsx":
        assert response["Content-Type"] == XLSX_TYPE


def test_an_ascii_name_gets_a_plain_filename(en_client: Client, organization: Organization) -> None:
    survey = survey_for(organization, name="Store visit!")

    response = en_client.get(export_url(survey, "csv"))

    assert re.fullmatch(
        r'attachment; filename="cxloop-store-visit-\d{8}\.csv"', response["Content-Disposition"]
    )


def test_the_csv_is_produced_in_bounded_pieces(organization: Organization) -> None:
    survey = survey_for(organization)
    Response.objects.bulk_create(
        Response(
            organization=organization,
            survey=survey,
            submitted_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=i),
            language="zh-Hans",
            source=ResponseSource.API,
            answers={"nps": i % 11, "why": "服务很好" * 20},
            nps_score=i % 11,
            comment="服务很好" * 20,
        )
        for i in range(600)
    )
    responses = response_list(organization=organization, survey=survey, filters=ResponseFilters())
    columns = export_columns(responses=responses, definition=survey_definition(survey))

    pieces = list(
        csv_chunks(responses, columns, time_zone=ZoneInfo("Asia/Shanghai"), chunk_bytes=8192)
    )

    assert pieces[0] == UTF8_BOM
    assert len(pieces) > 10
    # A piece closes at the first row past the limit: at most one row (< 1 KiB) over it.
    assert max(len(piece) for piece in pieces) < 8192 * 3 + 1024
    text = b"".join(pieces)[len(UTF8_BOM) :].decode()
    assert len(list(csv.reader(io.StringIO(text)))) == 601


def test_the_export_runs_a_fixed_number_of_queries(
    en_client: Client,
    every_type_survey: Survey,
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    for score in range(30):
        submit(every_type_survey, {**EVERY_TYPE_ANSWERS, "rec": score % 11})

    with django_assert_max_num_queries(10):
        rows = csv_records(en_client.get(export_url(every_type_survey, "csv")))

    assert len(rows) == 30


def test_viewers_can_export(organization: Organization) -> None:
    survey = survey_for(organization)
    answer(survey, 9)
    viewer = Client()
    viewer.force_login(MembershipFactory(organization=organization, role=Role.VIEWER).user)

    assert len(csv_records(viewer.get(export_url(survey, "csv")))) == 1


def test_memory_stays_bounded_however_many_responses(organization: Organization) -> None:
    """Not timed: tracemalloc's peak for 20,000 responses against the file size and against
    the peak for a fifth of them. Building the file, or every row, in memory would fail both."""
    survey = survey_for(organization)
    comment = "这家店的服务很好，店员很热情，下次还会再来。" * 4
    start = datetime(2026, 1, 1, tzinfo=UTC)
    Response.objects.bulk_create(
        (
            Response(
                organization=organization,
                survey=survey,
                submitted_at=start + timedelta(minutes=i),
                language="zh-Hans",
                source=ResponseSource.API,
                answers={"nps": i % 11, "sat": i % 5 + 1, "why": comment},
                attributes={"store": f"门店{i % 50}", "order": f"o-{i}"},
                nps_score=i % 11,
                csat_score=i % 5 + 1,
                comment=comment,
            )
            for i in range(20_000)
        ),
        batch_size=2000,
    )
    loaded = survey_get(organization=organization, survey_id=survey.pk)
    assert loaded is not None
    definition = survey_definition(loaded)

    def export(filters: ResponseFilters) -> tuple[int, int, int]:
        """(rows, bytes, peak traced memory) of the CSV export."""
        responses = response_list(organization=organization, survey=loaded, filters=filters)
        tracemalloc.start()
        try:
            size = lines = 0
            chunks = csv_chunks(
                responses,
                export_columns(responses=responses, definition=definition),
                time_zone=ZoneInfo(organization.time_zone),
            )
            for piece in chunks:
                size += len(piece)
                lines += piece.count(b"\n")
            return lines - 1, size, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    few_rows, _few_size, few_peak = export(ResponseFilters(date_to=date(2026, 1, 3)))
    rows, size, peak = export(ResponseFilters())

    assert rows == 20_000
    assert few_rows * 4 < rows
    assert size > 10 * 1024 * 1024
    assert peak < size, (size, peak)  # the finished file alone would take `size`
    # Five times the rows, about the same memory: it does not grow with the export.
    assert peak < few_peak * 1.5, (few_peak, peak)


# API


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_api_exports_filtered_responses(
    api_client: ApiClient, organization: Organization, fmt: str
) -> None:
    survey = survey_for(organization, name="接口导出")
    wanted = answer(survey, 3, attributes={"store": "北京"}, answers={"why": "=SUM(A1)"})
    answer(survey, 3, attributes={"store": "上海"})
    answer(survey, 10, attributes={"store": "北京"})

    response = api_client.get(
        f"/api/v1/surveys/{survey.pk}/responses/export",
        {"format": fmt, "category": "detractor", "attr.store": "北京"},
    )

    assert response.status_code == 200
    [row] = records(response, fmt)
    assert int(row["id"]) == wanted.pk
    assert row["survey"] == "接口导出"
    assert row["why"] == "'=SUM(A1)"
    assert "attachment;" in response["Content-Disposition"]


def test_the_api_export_defaults_to_csv(api_client: ApiClient, organization: Organization) -> None:
    survey = survey_for(organization)
    answer(survey, 9)

    response = api_client.get(f"/api/v1/surveys/{survey.pk}/responses/export")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(csv_records(response)) == 1


@pytest.mark.parametrize("query", [{"format": "pdf"}, {"format": "csv", "from": "yesterday"}])
def test_the_api_refuses_bad_parameters_with_a_message(
    api_client: ApiClient, organization: Organization, query: dict[str, str]
) -> None:
    survey = survey_for(organization)

    response = api_client.get(f"/api/v1/surveys/{survey.pk}/responses/export", query)

    assert response.status_code == 400
    assert response.json()["detail"][0]["msg"]


# tenancy


def test_members_of_another_organization_get_404(
    organization: Organization, other_membership: Membership
) -> None:
    survey = survey_for(organization)
    answer(survey, 9, answers={"why": "机密"})
    outsider = Client()
    outsider.force_login(other_membership.user)
    other_slug = other_membership.organization.slug

    for fmt in ("csv", "xlsx"):
        assert outsider.get(export_url(survey, fmt)).status_code == 404
        assert outsider.get(export_all_url(organization, fmt)).status_code == 404
        # Our survey's id under the outsider's own organization.
        theirs = reverse("responses:export", args=[other_slug, survey.pk, fmt])
        assert outsider.get(theirs).status_code == 404
    own_export = outsider.get(export_all_url(other_membership.organization, "csv"))
    assert csv_records(own_export) == []


def test_an_api_key_of_another_organization_gets_404(
    organization: Organization,
    other_membership: Membership,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    survey = survey_for(organization)
    answer(survey, 9)
    intruder = make_api_client(other_membership.organization)

    for fmt in ("csv", "xlsx"):
        response = intruder.get(f"/api/v1/surveys/{survey.pk}/responses/export", {"format": fmt})
        assert response.status_code == 404
