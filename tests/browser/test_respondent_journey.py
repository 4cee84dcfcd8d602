"""A respondent answers in Chinese on the public page; the manager sees the count rise."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from cxloop.organizations.models import Membership
from cxloop.responses.models import Response
from tests.factories import answer, survey_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_context(browser: Any, live_server: Any, membership: Membership) -> Any:
    client = Client()
    client.force_login(membership.user)
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = browser.new_context(locale="zh-CN")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session_cookie, "url": live_server.url}]
    )
    return context


def test_answer_in_chinese_and_watch_the_summary_update(
    browser: Any, live_server: Any, membership: Membership
) -> None:
    from playwright.sync_api import expect

    organization = membership.organization
    survey = survey_for(organization)
    answer(survey, 3)
    answer(survey, 10)

    manager = logged_in_context(browser, live_server, membership)
    summary = manager.new_page()
    summary.goto(f"{live_server.url}/o/{organization.slug}/surveys/{survey.pk}/summary/")
    expect(summary.get_by_test_id("response-total")).to_have_text("2")

    respondent = browser.new_context(locale="zh-CN")
    page = respondent.new_page()
    page.goto(f"{live_server.url}/s/{survey.slug}?lang=zh-Hans&store=上海南京西路店")
    expect(page.get_by_text("您有多大可能向朋友推荐我们？")).to_be_visible()
    # Submitting without the required score shows the message in Chinese, nothing is stored.
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_contain_text("此问题为必答题")
    page.locator("label.scale-point", has_text="9").first.click()
    page.get_by_label("原因是什么？").fill("店员很热情，咖啡也好喝")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_contain_text("感谢")

    stored = Response.objects.get(survey=survey, comment="店员很热情，咖啡也好喝")
    assert stored.nps_score == 9
    assert stored.attributes == {"store": "上海南京西路店"}
    assert stored.language == "zh-Hans"

    # No reload: the summary polls its figures and shows the new response by itself.
    expect(summary.get_by_test_id("response-total")).to_have_text("3", timeout=15_000)
    expect(summary.get_by_test_id("nps-n")).to_have_text("3")
    manager.close()
    respondent.close()
