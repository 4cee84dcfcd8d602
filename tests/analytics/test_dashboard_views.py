"""The survey and organization dashboards as a manager uses them: the figures equal the API's
for the same URL, filters live in the URL, bad URLs explain themselves, tenancy holds."""

import json
import math
import re
import sys
import types
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxloop.analytics.models import MetricTarget
from cxloop.analytics.selectors import metric_report, organization_today, targets_for
from cxloop.analytics.services import target_delete, target_set
from cxloop.analytics.templatetags.results import format_metric
from cxloop.common.errors import InputError
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_create, survey_publish
from tests.conftest import ApiClient
from tests.factories import MembershipFactory, survey_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAY = {"from": "2026-05-01", "to": "2026-05-31"}
CES_SURVEY: dict[str, Any] = {
    "name": "Support",
    "languages": ["en"],
    "questions": [{"key": "effort", "type": "ces", "text": "It was easy.", "scale": 5}],
}
PLUS_SURVEY: dict[str, Any] = {
    "name": "Checkout",
    "languages": ["en"],
    "questions": [
        {"key": "nps", "type": "nps_plus", "text": "Recommend?",
         "reasons": [{"key": "price", "text": "Price"}, {"key": "staff", "text": "Staff"}]},
    ],
}  # fmt: skip


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def submit(
    survey: Survey,
    score: int,
    day: str,
    *,
    language: str = "zh-Hans",
    comment: str = "",
    csat: int | None = None,
    **attributes: str,
) -> None:
    answers: dict[str, Any] = {"nps": score}
    if comment:
        answers["why"] = comment
    if csat is not None:
        answers["sat"] = csat
    response_submit(
        survey=survey,
        answers=answers,
        submitted_at=at(day),
        attributes=attributes,
        language=language,
    )


def client_for(membership: Membership) -> Client:
    # English so that messages are compared with their source text whatever the translations.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(membership.user)
    return client


@pytest.fixture
def en_client(membership: Membership) -> Client:
    return client_for(membership)


def member(organization: Organization, role: str) -> Membership:
    return MembershipFactory(organization=organization, role=role)


def dashboard_url(survey: Survey, query: dict[str, Any] | None = None, name: str = "") -> str:
    url = reverse(f"analytics:dashboard{name}", args=[survey.organization.slug, survey.pk])
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def org_dashboard_url(
    organization: Organization, query: dict[str, Any] | None = None, name: str = "dashboard"
) -> str:
    url = reverse(f"dashboards:{name}", args=[organization.slug])
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def text_of(html: str, name: str) -> str:
    """The text directly inside the (first) element marked data-testid=name."""
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>\s*([^<]*?)\s*<', html)
    assert match is not None, f"no element with data-testid={name}"
    return match.group(1)


def texts_of(html: str, name: str) -> list[str]:
    return re.findall(rf'data-testid="{re.escape(name)}"[^>]*>\s*([^<]*?)\s*<', html)


def chart_options(html: str, element_id: str) -> dict[str, Any]:
    match = re.search(
        rf'<script id="{re.escape(element_id)}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match is not None, f"no chart options {element_id}"
    return json.loads(match.group(1))


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return f"[{low:.1f}, {high:.1f}]".replace("-0.0", "0.0")


def signed_text(value: float) -> str:
    text = f"{round(value, 1) + 0.0:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def nps(scores: list[int]) -> float:
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


@pytest.fixture
def stores(survey: Survey) -> dict[str, list[int]]:
    """Three stores' NPS answers in May 2026, and a worse April for the comparison."""
    scores = {
        "Shanghai": [10, 9, 9, 10, 8, 10, 9, 7, 10, 9] * 4,
        "Beijing": [6, 9, 10, 3, 8, 7, 9, 10, 5, 9] * 2,
        "Hangzhou": [0, 10, 9],
    }
    for store, values in scores.items():
        for i, score in enumerate(values):
            submit(survey, score, f"2026-05-{1 + i % 28:02d}", store=store, region="East")
    for i in range(40):
        submit(survey, [2, 5, 8, 9][i % 4], f"2026-04-{1 + i % 29:02d}", store="Shanghai")
    return scores


# Figures ------------------------------------------------------------------------------------


def test_card_trend_and_breakdown_equal_the_api_for_the_same_query(
    en_client: Client, survey: Survey, stores: dict[str, list[int]], api_client: ApiClient
) -> None:
    query = {**MAY, "interval": "week", "group_by": "store"}

    html = en_client.get(dashboard_url(survey, query)).content.decode()
    api = api_client.get(
        "/api/v1/metrics", {**query, "survey": survey.pk, "compare": "previous"}
    ).json()

    overall = api["overall"]
    all_may = [score for values in stores.values() for score in values]
    assert overall["value"] == pytest.approx(nps(all_may))
    assert text_of(html, "card-value") == format_metric(overall["value"])
    assert text_of(html, "card-ci") == interval_text(overall["ci_low"], overall["ci_high"])
    assert text_of(html, "card-n") == str(len(all_may)) == str(overall["n"])
    assert text_of(html, "card-difference") == signed_text(overall["difference"])
    assert text_of(html, "card-previous") == format_metric(api["previous"]["value"])
    # May is much better than April, with enough answers for the change to be significant.
    assert overall["significant"] is True
    assert has_testid(html, "card-significant")
    assert [int(n) for n in texts_of(html, "breakdown-n")] == [g["n"] for g in api["groups"]]
    assert texts_of(html, "breakdown-group") == [g["group"] for g in api["groups"]]
    assert texts_of(html, "breakdown-value") == [format_metric(g["value"]) for g in api["groups"]]
    assert texts_of(html, "breakdown-ci") == [
        interval_text(g["ci_low"], g["ci_high"]) for g in api["groups"]
    ]
    trend = chart_options(html, "trend-options")
    values = trend["series"][-1]
    assert values["name"] == "Net Promoter Score"
    assert len(trend["xAxis"]["data"]) == len(api["series"])
    assert trend["xAxis"]["data"][0] == "2026-W18"  # 2026-05-01 is in ISO week 18
    counts = next(s for s in trend["series"] if s["type"] == "bar")
    assert counts["data"] == [point["n"] for point in api["series"]]
    assert values["data"][-1] == pytest.approx(api["series"][-1]["value"], abs=0.01)


def has_testid(html: str, name: str) -> bool:
    return f'data-testid="{name}"' in html


def test_low_sample_rows_are_flagged_in_the_breakdown(
    en_client: Client, survey: Survey, stores: dict[str, list[int]]
) -> None:
    html = en_client.get(dashboard_url(survey, {**MAY, "group_by": "store"})).content.decode()

    rows = re.findall(
        r'<tr data-testid="breakdown-row" data-group="([^"]+)">(.*?)</tr>', html, re.S
    )
    flagged = {group for group, row in rows if "low-sample-badge" in row}
    assert (
        flagged
        == {g for g, scores in stores.items() if len(scores) < 30}
        == {"Beijing", "Hangzhou"}
    )


def test_report_matches_the_selector_for_the_same_parameters(
    en_client: Client, survey: Survey, stores: dict[str, list[int]]
) -> None:
    query = {**MAY, "attr.region": "East", "interval": "month"}
    report = metric_report(
        organization=survey.organization,
        params={k: [v] for k, v in query.items()},
        survey_id=survey.pk,
    )

    html = en_client.get(dashboard_url(survey, query)).content.decode()

    assert text_of(html, "card-value") == format_metric(report.overall.value)
    assert text_of(html, "card-n") == str(report.overall.n)
    assert html.count('data-testid="trend-row"') == len(report.series) == 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"attr.store": "Beijing"}, lambda s: s["Beijing"]),
        ({"attr.store": ["Beijing", "Hangzhou"]}, lambda s: s["Beijing"] + s["Hangzhou"]),
        ({"category": "promoter"}, lambda s: [x for v in s.values() for x in v if x >= 9]),
        (
            {"category": ["passive", "detractor"], "attr.store": "Shanghai"},
            lambda s: [x for x in s["Shanghai"] if x < 9],
        ),
    ],
)
def test_filters_in_the_url_change_the_figures(
    en_client: Client,
    survey: Survey,
    stores: dict[str, list[int]],
    query: dict[str, Any],
    expected: Callable[[dict[str, list[int]]], list[int]],
) -> None:
    scores = expected(stores)

    html = en_client.get(dashboard_url(survey, {**MAY, **query})).content.decode()

    assert text_of(html, "card-n") == str(len(scores))
    assert text_of(html, "card-value") == format_metric(nps(scores))


def test_language_and_comment_filters(
    en_client: Client, survey: Survey, api_client: ApiClient
) -> None:
    submit(survey, 10, "2026-05-03", language="en", comment="Great coffee")
    submit(survey, 2, "2026-05-03", language="en")
    submit(survey, 9, "2026-05-04", language="zh-Hans", comment="好")

    english = en_client.get(dashboard_url(survey, {**MAY, "lang": "en"})).content.decode()
    commented = en_client.get(dashboard_url(survey, {**MAY, "has_comment": "1"})).content.decode()

    assert (text_of(english, "card-n"), text_of(english, "card-value")) == ("2", "0.0")
    assert (text_of(commented, "card-n"), text_of(commented, "card-value")) == ("2", "100.0")
    # The form shows what is applied, so the view can be changed from where it is.
    assert re.search(r'<option value="en" selected>', english)
    assert re.search(r'<option value="1" selected>', commented)


def test_the_filter_form_keeps_every_control_in_the_url(
    en_client: Client, survey: Survey, stores: dict[str, list[int]]
) -> None:
    query = {
        **MAY, "interval": "month", "group_by": "region", "attr.store": ["Beijing", "Hangzhou"],
        "category": "promoter", "compare": "none",
    }  # fmt: skip

    html = en_client.get(dashboard_url(survey, query)).content.decode()

    form = re.search(r'<form method="get".*?</form>', html, re.S)
    assert form is not None
    form_html = form.group(0)
    assert 'name="from" value="2026-05-01"' in form_html
    assert '<option value="month" selected>' in form_html
    assert '<option value="region" selected>' in form_html
    assert '<option value="Beijing" selected>' in form_html
    assert '<option value="Hangzhou" selected>' in form_html
    assert '<option value="Shanghai">' in form_html  # offered though not chosen
    assert 'value="promoter" checked' in form_html
    assert '<option value="none" selected>' in form_html
    assert not has_testid(html, "card-change")  # compare=none: no comparison drawn


def test_presets_and_metric_tabs_are_links_that_keep_the_other_controls(
    en_client: Client, survey: Survey
) -> None:
    html = en_client.get(dashboard_url(survey, {"group_by": "store"})).content.decode()
    today = organization_today(survey.organization)

    link = re.search(r'href="([^"]+)" data-testid="preset-last30"', html)
    assert link is not None
    params = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
    assert params["from"] == [(today - timedelta(days=29)).isoformat()]
    assert params["to"] == [today.isoformat()]
    assert params["group_by"] == ["store"]
    # Without dates the dashboard shows the last 90 days, and says so.
    assert re.search(r'data-testid="preset-last90" aria-current="true"', html)
    tab = re.search(r'href="([^"]+)" data-testid="metric-tab-csat"', html)
    assert tab is not None
    assert parse_qs(urlsplit(tab.group(1).replace("&amp;", "&")).query)["metric"] == ["csat"]
    assert not has_testid(html, "metric-tab-ces")  # the survey asks no CES question


def test_csat_tab_shows_the_csat_figures(
    en_client: Client, survey: Survey, api_client: ApiClient
) -> None:
    for score, csat in [(10, 5), (9, 4), (3, 2), (8, 5), (6, 3)]:
        submit(survey, score, "2026-05-10", csat=csat)
    query = {**MAY, "metric": "csat", "statistic": "mean"}

    html = en_client.get(dashboard_url(survey, query)).content.decode()
    api = api_client.get("/api/v1/metrics", {**query, "survey": survey.pk}).json()

    assert api["overall"]["value"] == pytest.approx((5 + 4 + 2 + 5 + 3) / 5)
    assert text_of(html, "card-value") == format_metric(api["overall"]["value"])
    assert text_of(html, "card-ci") == interval_text(
        api["overall"]["ci_low"], api["overall"]["ci_high"]
    )
    assert "CSAT mean (1–5)" in html
    assert not has_testid(html, "split-card")  # the P/P/D split is NPS only


# Bad input and empty selections ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"interval": "year"}, "Use day, week, month or quarter."),
        ({"from": "2026-06-01", "to": "2026-05-01"}, "The start date is after the end date."),
        ({"group_by": "colour"}, "Unknown attribute: colour."),
        ({"attr.colour": "red"}, "Unknown attribute: colour."),
        ({"metric": "happiness"}, "Use nps, csat or ces."),
        ({"metric": "ces"}, "This survey has no CES question."),
        ({"from": "May 1st"}, "Use a date like 2026-01-31."),
    ],
)
def test_bad_parameters_answer_400_with_the_message_and_keep_the_form(
    en_client: Client, survey: Survey, query: dict[str, str], message: str
) -> None:
    submit(survey, 9, "2026-05-02", store="Shanghai")

    response = en_client.get(dashboard_url(survey, query))

    assert response.status_code == 400
    html = response.content.decode()
    errors = re.search(r'data-testid="filter-errors".*?</div>', html, re.S)
    assert errors is not None
    assert message in errors.group(0)
    assert has_testid(html, "dashboard-filters")
    assert has_testid(html, "no-report")
    assert not has_testid(html, "card-value")


def test_empty_selection_shows_no_answers_with_n_zero(en_client: Client, survey: Survey) -> None:
    submit(survey, 9, "2026-05-02", store="Shanghai")

    response = en_client.get(
        dashboard_url(survey, {"from": "2020-01-01", "to": "2020-01-31", "group_by": "store"})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(html, "card-n") == "0"
    assert text_of(html, "card-value") == "—"
    assert text_of(html, "card-ci") == "—"
    assert has_testid(html, "no-answers")
    assert has_testid(html, "breakdown-empty")


def test_a_survey_with_no_answers_at_all_renders(en_client: Client, survey: Survey) -> None:
    response = en_client.get(dashboard_url(survey))

    assert response.status_code == 200
    assert text_of(response.content.decode(), "card-n") == "0"


# Organization dashboard ------------------------------------------------------------------------


def test_organization_dashboard_combines_surveys_and_picks_one(
    en_client: Client,
    organization: Organization,
    survey: Survey,
    stores: dict[str, list[int]],
    api_client: ApiClient,
) -> None:
    second = survey_for(organization, name="Delivery")
    for score in [0, 0, 10]:
        submit(second, score, "2026-05-20", store="Online")
    query = {**MAY, "group_by": "store"}

    combined = en_client.get(org_dashboard_url(organization, query)).content.decode()
    picked = en_client.get(
        org_dashboard_url(organization, {**query, "survey": second.pk})
    ).content.decode()
    api = api_client.get("/api/v1/metrics", {**query, "survey": "all"}).json()

    total = sum(len(v) for v in stores.values()) + 3
    assert text_of(combined, "card-n") == str(total) == str(api["overall"]["n"])
    assert text_of(combined, "card-value") == format_metric(api["overall"]["value"])
    assert "Online" in texts_of(combined, "breakdown-group")
    assert f'<option value="{second.pk}">Delivery</option>' in combined
    assert (text_of(picked, "card-n"), text_of(picked, "card-value")) == ("3", "-33.3")
    assert f'<option value="{second.pk}" selected>Delivery</option>' in picked
    # The store menu offers the values of the chosen surveys only.
    assert '<option value="Online">' in picked
    assert '<option value="Beijing">' not in picked


def test_organization_dashboard_without_surveys_is_empty_not_an_error(
    en_client: Client, organization: Organization
) -> None:
    response = en_client.get(org_dashboard_url(organization))

    assert response.status_code == 200
    assert text_of(response.content.decode(), "card-n") == "0"


# Tenancy and roles --------------------------------------------------------------------------------


def test_another_organization_gets_404_everywhere_and_changes_nothing(
    survey: Survey, other_membership: Membership, stores: dict[str, list[int]]
) -> None:
    outsider = client_for(other_membership)
    organization = survey.organization

    assert outsider.get(dashboard_url(survey)).status_code == 404
    assert outsider.get(dashboard_url(survey, name="_pdf")).status_code == 404
    assert outsider.get(org_dashboard_url(organization)).status_code == 404
    assert outsider.get(org_dashboard_url(organization, name="pdf")).status_code == 404
    posted = {"metric": "nps", "kind": "target", "value": "10", "action": "save"}
    assert outsider.post(dashboard_url(survey, name="_targets"), posted).status_code == 404
    assert outsider.post(org_dashboard_url(organization, name="targets"), posted).status_code == 404
    # Its own dashboard cannot reach the survey through the picker either.
    own = other_membership.organization
    assert outsider.get(org_dashboard_url(own, {"survey": survey.pk})).status_code == 404
    other_survey_url = reverse("analytics:dashboard", args=[own.slug, survey.pk])
    assert outsider.get(other_survey_url).status_code == 404
    assert not MetricTarget.objects.exists()


def test_viewers_read_the_dashboard_but_only_editors_set_targets(
    survey: Survey, stores: dict[str, list[int]]
) -> None:
    viewer = client_for(member(survey.organization, Role.VIEWER))
    analyst = client_for(member(survey.organization, Role.ANALYST))
    posted = {"metric": "nps", "kind": "target", "value": "30", "action": "save"}

    page = viewer.get(dashboard_url(survey, MAY))
    refused = viewer.post(dashboard_url(survey, name="_targets"), posted)
    refused_org = viewer.post(org_dashboard_url(survey.organization, name="targets"), posted)

    assert page.status_code == 200
    assert not has_testid(page.content.decode(), "targets")
    assert (refused.status_code, refused_org.status_code) == (403, 403)
    assert not MetricTarget.objects.exists()
    assert has_testid(analyst.get(dashboard_url(survey, MAY)).content.decode(), "targets")
    assert analyst.post(dashboard_url(survey, name="_targets"), posted).status_code == 302
    assert MetricTarget.objects.get().value == 30


# Targets and benchmarks ---------------------------------------------------------------------------


def test_editor_sets_a_target_and_benchmark_compared_on_the_card_and_drawn_on_the_trend(
    en_client: Client, survey: Survey, stores: dict[str, list[int]]
) -> None:
    query = urlencode({**MAY, "group_by": "store"})
    targets_url = dashboard_url(survey, name="_targets")

    saved = en_client.post(
        targets_url,
        {"metric": "nps", "kind": "target", "value": "80", "label": "Goal 2026",
         "query": query, "action": "save"},
    )  # fmt: skip
    en_client.post(
        targets_url,
        {"metric": "nps", "kind": "benchmark", "value": "35,5", "label": "行业基准 2026",
         "query": query, "action": "save"},
    )  # fmt: skip

    assert saved.status_code == 302
    assert saved["Location"] == f"{dashboard_url(survey)}?{query}"
    html = en_client.get(saved["Location"]).content.decode()
    value = nps([score for values in stores.values() for score in values])
    assert text_of(html, "card-target-difference") == signed_text(value - 80)
    assert text_of(html, "card-benchmark-difference") == signed_text(value - 35.5)
    assert text_of(html, "card-benchmark-value") == "35.5"
    assert "行业基准 2026" in html
    trend = chart_options(html, "trend-options")
    lines = next(s for s in trend["series"] if "markLine" in s)["markLine"]["data"]
    assert sorted(line["yAxis"] for line in lines) == [35.5, 80.0]

    cleared = en_client.post(
        targets_url, {"metric": "nps", "kind": "target", "query": query, "action": "clear"}
    )
    assert cleared.status_code == 302
    assert list(MetricTarget.objects.values_list("kind", flat=True)) == ["benchmark"]


def test_an_out_of_range_target_keeps_the_form_with_a_message(
    en_client: Client, survey: Survey
) -> None:
    response = en_client.post(
        dashboard_url(survey, name="_targets"),
        {"metric": "nps", "kind": "target", "value": "150", "label": "Dream",
         "query": "group_by=store", "action": "save"},
    )  # fmt: skip

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a value between -100 and 100." in html
    assert 'name="value" value="150"' in html
    assert '<option value="store" selected>' in html  # the dashboard view is kept
    assert not MetricTarget.objects.exists()
    not_a_number = en_client.post(
        dashboard_url(survey, name="_targets"),
        {"metric": "nps", "kind": "target", "value": "lots", "action": "save"},
    )
    assert not_a_number.status_code == 400
    assert "Enter a number, like 42 or 4.5." in not_a_number.content.decode()


def test_organization_targets_apply_to_surveys_without_their_own(
    en_client: Client, organization: Organization, survey: Survey
) -> None:
    submit(survey, 10, "2026-05-02")
    en_client.post(
        org_dashboard_url(organization, name="targets"),
        {"metric": "nps", "kind": "target", "value": "40", "action": "save"},
    )

    html = en_client.get(dashboard_url(survey, MAY)).content.decode()

    assert MetricTarget.objects.get().survey is None
    assert text_of(html, "card-target-difference") == "+60.0"


@pytest.mark.parametrize(
    ("metric", "value", "valid"),
    [
        ("nps", -100.0, True),
        ("nps", 100.0, True),
        ("nps", 100.5, False),
        ("nps", -101.0, False),
        ("nps", math.nan, False),
        ("nps", math.inf, False),
        ("csat", 0.0, True),
        ("csat", 85.0, True),
        ("csat", 100.1, False),
        ("csat", -1.0, False),
    ],
)
def test_target_set_checks_the_range_of_each_metric(
    organization: Organization, survey: Survey, metric: str, value: float, valid: bool
) -> None:
    if valid:
        target = target_set(
            organization=organization, survey=survey, metric=metric, kind="target",
            value=value, label="", by=None,
        )  # fmt: skip
        assert target.value == value
    else:
        with pytest.raises(InputError) as raised:
            target_set(
                organization=organization, survey=survey, metric=metric, kind="target",
                value=value, label="", by=None,
            )  # fmt: skip
        assert "value" in raised.value.by_field()
        assert not MetricTarget.objects.exists()


def test_ces_targets_are_means_within_the_surveys_scale(organization: Organization) -> None:
    five_point = survey_publish(
        survey=survey_create(organization=organization, definition=CES_SURVEY)
    )

    def attempt(value: float, survey: Survey | None) -> bool:
        try:
            target_set(
                organization=organization, survey=survey, metric="ces", kind="benchmark",
                value=value, label="", by=None,
            )  # fmt: skip
        except InputError:
            return False
        return True

    assert attempt(5.0, five_point)
    assert not attempt(5.5, five_point)
    assert not attempt(0.5, five_point)
    # Organization-wide, the only CES survey's scale bounds it too.
    assert not attempt(6.0, None)


def test_target_set_replaces_and_rejects_bad_scope(
    organization: Organization, survey: Survey, other_membership: Membership
) -> None:
    other_survey = survey_for(other_membership.organization)
    for value in (10.0, 20.0):
        target_set(
            organization=organization, survey=survey, metric="nps", kind="target",
            value=value, label="  Goal  ", by=None,
        )  # fmt: skip

    target = MetricTarget.objects.get()
    assert (target.value, target.label) == (20.0, "Goal")
    with pytest.raises(InputError) as raised:
        target_set(
            organization=organization, survey=other_survey, metric="nps", kind="target",
            value=1.0, label="", by=None,
        )  # fmt: skip
    assert "survey" in raised.value.by_field()
    with pytest.raises(InputError):
        target_set(
            organization=organization, survey=None, metric="nps", kind="wish",
            value=1.0, label="", by=None,
        )  # fmt: skip
    assert target_delete(organization=organization, survey=survey, metric="nps", kind="target")
    assert not target_delete(organization=organization, survey=survey, metric="nps", kind="target")


def test_targets_for_prefers_the_surveys_own_and_uses_organization_wide_across_surveys(
    organization: Organization, survey: Survey
) -> None:
    second = survey_for(organization)
    for scope, value in ((None, 10.0), (survey, 20.0)):
        target_set(
            organization=organization, survey=scope, metric="nps", kind="target",
            value=value, label="", by=None,
        )  # fmt: skip

    def value_for(ids: tuple[int, ...]) -> float:
        return targets_for(organization=organization, survey_ids=ids, metric="nps")["target"].value

    assert value_for((survey.pk,)) == 20.0
    assert value_for((second.pk,)) == 10.0
    assert value_for((survey.pk, second.pk)) == 10.0
    assert targets_for(organization=organization, survey_ids=(survey.pk,), metric="csat") == {}


# NPS+ reasons ----------------------------------------------------------------------------------


def test_nps_plus_reasons_table_equals_the_reasons_api(
    en_client: Client, organization: Organization, api_client: ApiClient
) -> None:
    plus = survey_publish(survey=survey_create(organization=organization, definition=PLUS_SURVEY))
    answers = [(10, ["staff"]), (9, ["staff", "price"]), (3, ["price"]), (5, ["price"]), (8, [])]
    for day, month in (("05", "05"), ("06", "04")):
        for score, reasons in answers * (3 if month == "05" else 1):
            response_submit(
                survey=plus,
                answers={"nps": {"score": score, "reasons": reasons}},
                submitted_at=at(f"2026-{month}-{day}"),
            )
    query = {**MAY, "compare": "previous"}

    html = en_client.get(dashboard_url(plus, query)).content.decode()
    api = api_client.get("/api/v1/metrics/reasons", {**query, "survey": plus.pk}).json()

    detractors = next(c for c in api["categories"] if c["category"] == "detractor")
    assert text_of(html, "reasons-detractor-n") == str(detractors["answers"]) == "6"
    table = re.search(r'data-testid="reasons-detractor".*?</table>', html, re.S)
    assert table is not None
    shares = texts_of(table.group(0), "reason-share")
    assert shares == [format_metric(r["share"]) for r in detractors["reasons"]]
    assert shares[0] == "100.0"  # every detractor ticked "price"
    assert texts_of(table.group(0), "reason-previous") == [
        format_metric(r["previous_share"]) for r in detractors["reasons"]
    ]
    assert chart_options(html, "reasons-options")["xAxis"]["data"] == ["Price", "Staff"]


def test_no_reasons_section_without_an_nps_plus_question(en_client: Client, survey: Survey) -> None:
    submit(survey, 9, "2026-05-02")

    assert not has_testid(en_client.get(dashboard_url(survey, MAY)).content.decode(), "reasons")


# PDF -------------------------------------------------------------------------------------------


@pytest.fixture
def fake_pdf(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stands in for cxloop.analytics.pdf.dashboard_pdf and records what it was given."""
    calls: list[dict[str, Any]] = []

    def dashboard_pdf(**kwargs: Any) -> bytes:
        calls.append(kwargs)
        return b"%PDF-1.7 fake"

    module = types.ModuleType("cxloop.analytics.pdf")
    module.dashboard_pdf = dashboard_pdf  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cxloop.analytics.pdf", module)
    return calls


def test_pdf_download_uses_the_same_filters(
    en_client: Client, survey: Survey, stores: dict[str, list[int]], fake_pdf: list[dict[str, Any]]
) -> None:
    response = en_client.get(dashboard_url(survey, {**MAY, "attr.store": "Beijing"}, name="_pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == b"%PDF-1.7 fake"
    (call,) = fake_pdf
    assert call["report"].overall.n == len(stores["Beijing"])
    assert call["organization_name"] == survey.organization.name
    assert survey.name in call["title"]
    assert call["language"] == "en"


def test_organization_pdf_and_a_bad_pdf_url(
    en_client: Client, organization: Organization, survey: Survey, fake_pdf: list[dict[str, Any]]
) -> None:
    submit(survey, 9, "2026-05-02")

    good = en_client.get(org_dashboard_url(organization, MAY, name="pdf"))
    bad = en_client.get(org_dashboard_url(organization, {"interval": "year"}, name="pdf"))

    assert good.status_code == 200
    assert fake_pdf[0]["report"].overall.n == 1
    assert bad.status_code == 400
    assert "Use day, week, month or quarter." in bad.content.decode()
    assert len(fake_pdf) == 1


def test_the_page_links_to_the_pdf_with_its_query(en_client: Client, survey: Survey) -> None:
    html = en_client.get(dashboard_url(survey, {**MAY, "group_by": "store"})).content.decode()

    link = re.search(r'href="([^"]+)" hx-boost="false" data-testid="pdf-link"', html)
    assert link is not None
    href = link.group(1).replace("&amp;", "&")
    assert href.startswith(dashboard_url(survey, name="_pdf"))
    assert parse_qs(urlsplit(href).query) == {
        "from": ["2026-05-01"], "to": ["2026-05-31"], "group_by": ["store"],
    }  # fmt: skip


def test_the_summary_page_links_to_the_dashboard(en_client: Client, survey: Survey) -> None:
    html = en_client.get(reverse("analytics:summary", args=[survey.organization.slug, survey.pk]))
    assert f'href="{dashboard_url(survey)}"' in html.content.decode()


# Query counts ------------------------------------------------------------------------------------


def _many(survey: Survey, count: int, day: date) -> None:
    for i in range(count):
        submit(survey, i % 11, day.isoformat(), store=f"Store {i % 4}", region="East")


@pytest.mark.parametrize("metric", ["nps", "csat"])
def test_query_count_is_pinned_and_independent_of_response_volume(
    en_client: Client, survey: Survey, metric: str
) -> None:
    query = {"from": "2026-04-01", "to": "2026-05-31", "group_by": "store", "metric": metric,
             "attr.region": "East", "interval": "week"}  # fmt: skip
    url = dashboard_url(survey, query)
    _many(survey, 5, date(2026, 5, 3))
    with CaptureQueriesContext(connection) as few:
        assert en_client.get(url).status_code == 200

    _many(survey, 60, date(2026, 4, 20))
    with CaptureQueriesContext(connection) as many:
        html = en_client.get(url).content.decode()

    assert text_of(html, "card-n") == ("65" if metric == "nps" else "0")
    assert len(many) == len(few)
    # Session, user, membership, survey + questions; the report: surveys + questions, rollup
    # state, overall, previous, trend, breakdown; targets; the filter menus' values; the
    # response-rate panel (one GROUP BY of the survey's invitations).
    assert len(many) <= 15


def test_organization_dashboard_query_count_does_not_grow_with_surveys(
    en_client: Client, organization: Organization
) -> None:
    url = org_dashboard_url(organization, {**MAY, "group_by": "store"})
    first = survey_for(organization)
    _many(first, 3, date(2026, 5, 3))
    with CaptureQueriesContext(connection) as one:
        assert en_client.get(url).status_code == 200

    for _ in range(3):
        _many(survey_for(organization), 3, date(2026, 5, 4))
    with CaptureQueriesContext(connection) as four:
        html = en_client.get(url).content.decode()

    assert text_of(html, "card-n") == "12"
    # Surveys are read with their questions in one query each, whatever their number.
    assert len(four) == len(one)
    assert len(four) <= 14


def test_pdf_download_with_the_real_renderer(
    en_client: Client, survey: Survey, stores: dict[str, list[int]]
) -> None:
    response = en_client.get(dashboard_url(survey, {**MAY, "group_by": "store"}, name="_pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
