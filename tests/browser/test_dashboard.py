"""A manager explores a survey's dashboard in the browser; every view's headline figures are
the ones GET /api/v1/metrics gives for the same query string."""

import re
from collections.abc import Callable
from datetime import timedelta
from random import Random
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from cxloop.analytics.selectors import organization_today
from cxloop.organizations.models import Membership, Organization
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STORES = ("上海南京西路店", "北京三里屯店", "杭州西湖店", "深圳万象城店")


def logged_in_context(browser: Any, live_server: Any, membership: Membership) -> Any:
    client = Client()
    client.force_login(membership.user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="en-US")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": live_server.url}]
    )
    return context


def load_demo_like_responses(survey: Survey, count: int = 300) -> None:
    """Answers spread over the last 120 days across four stores, each store a bit different."""
    random = Random(20260101)
    now = timezone.now()
    for i in range(count):
        store = STORES[i % len(STORES)]
        bias = (i % len(STORES)) - 1
        score = max(0, min(10, random.randint(4, 10) + bias))
        response_submit(
            survey=survey,
            answers={"nps": score, "sat": max(1, min(5, score // 2))},
            attributes={"store": store, "region": "East" if i % 2 else "North"},
            submitted_at=now
            - timedelta(days=random.randint(0, 119), minutes=random.randint(1, 600)),
        )


def interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return "—"
    return "[{}, {}]".format(*(f"{round(v, 1) + 0.0:.1f}" for v in (low, high)))


def one_decimal(value: float | None) -> str:
    return "—" if value is None else f"{round(value, 1) + 0.0:.1f}"


@pytest.fixture
def api(
    organization: Organization, make_api_client: Callable[[Organization], ApiClient]
) -> ApiClient:
    return make_api_client(organization)


def test_filters_change_the_dashboard_and_match_the_api(
    browser: Any, live_server: Any, membership: Membership, api: ApiClient
) -> None:
    from playwright.sync_api import expect

    survey = survey_for(membership.organization)
    load_demo_like_responses(survey)
    context = logged_in_context(browser, live_server, membership)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def api_for_page() -> dict[str, Any]:
        params = parse_qs(urlsplit(page.url).query)
        params["survey"] = [str(survey.pk)]
        response = api.get("/api/v1/metrics", params)
        assert response.status_code == 200, response.content
        return response.json()

    def expect_card_to_match_api() -> dict[str, Any]:
        body = api_for_page()
        overall = body["overall"]
        expect(page.get_by_test_id("card-value")).to_have_text(one_decimal(overall["value"]))
        expect(page.get_by_test_id("card-n")).to_have_text(str(overall["n"]))
        expect(page.get_by_test_id("card-ci")).to_have_text(
            interval_text(overall["ci_low"], overall["ci_high"])
        )
        # The chart was drawn (again) after the swap.
        expect(page.locator("[data-testid=trend-chart] canvas")).to_have_count(1)
        return body

    page.goto(f"{live_server.url}/o/{membership.organization.slug}/surveys/{survey.pk}/dashboard/")
    everything = expect_card_to_match_api()
    assert everything["overall"]["n"] > 150  # the default 90 days hold most of the answers

    # Pick one store in the multi-select and apply.
    page.get_by_test_id("attribute-store").select_option([STORES[1]])
    page.get_by_test_id("apply-filters").click()
    page.wait_for_url(re.compile(r"attr\.store="))
    one_store = expect_card_to_match_api()
    assert 0 < one_store["overall"]["n"] < everything["overall"]["n"]

    # Trend by month (the select applies itself) and break the figures down by region.
    page.locator("#dash-interval").select_option("month")
    page.wait_for_url(re.compile(r"interval=month"))
    by_month = expect_card_to_match_api()
    assert by_month["overall"]["n"] == one_store["overall"]["n"]
    page.locator("#dash-group-by").select_option("region")
    page.wait_for_url(re.compile(r"group_by=region"))
    by_region = expect_card_to_match_api()
    expect(page.get_by_test_id("breakdown-row")).to_have_count(len(by_region["groups"]))
    expect(page.get_by_test_id("breakdown-n")).to_have_text(
        [str(g["n"]) for g in by_region["groups"]]
    )
    assert parse_qs(urlsplit(page.url).query)["attr.store"] == [STORES[1]]  # filters combine

    # Switch the metric: CSAT, with the same store and interval.
    page.get_by_test_id("metric-tab-csat").click()
    page.wait_for_url(re.compile(r"metric=csat"))
    csat = expect_card_to_match_api()
    assert csat["metric"] == "csat"
    assert parse_qs(urlsplit(page.url).query)["interval"] == ["month"]

    # A preset sets explicit dates, so the bookmark shows the same figures tomorrow.
    page.get_by_test_id("preset-last30").click()
    page.wait_for_url(re.compile(r"from=\d{4}-\d{2}-\d{2}"))
    expect_card_to_match_api()

    # A start after the end is explained next to the form, which stays usable.
    page.locator("#dash-from").fill("2026-03-10")
    page.locator("#dash-to").fill("2026-03-01")
    page.get_by_test_id("apply-filters").click()
    expect(page.get_by_test_id("filter-errors")).to_contain_text(
        "The start date is after the end date."
    )
    expect(page.get_by_test_id("card-value")).to_have_count(0)
    page.get_by_test_id("preset-last90").click()
    start = organization_today(membership.organization) - timedelta(days=89)
    page.wait_for_url(re.compile(rf"from={start.isoformat()}"))
    expect(page.get_by_test_id("filter-errors")).to_have_count(0)
    expect_card_to_match_api()

    # A bookmarked view opens as it was.
    bookmarked = page.url
    fresh = context.new_page()
    fresh.goto(bookmarked)
    expect(fresh.get_by_test_id("card-value")).to_have_text(
        page.get_by_test_id("card-value").inner_text()
    )
    assert errors == []
    context.close()
