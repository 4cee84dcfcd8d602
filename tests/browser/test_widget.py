"""The website widget on a customer's page served from another origin, in headless Chromium.

The customer's shop is a tiny http.server on 127.0.0.1:<port A>; cxloop is the live Django
server on <port B>. The same shop reached as localhost:<port A> is a different origin that
the widget does not allow.
"""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cxloop.organizations.models import Membership
from cxloop.responses.models import Response
from cxloop.widget.models import WidgetConfig
from cxloop.widget.services import widget_config_save
from tests.factories import survey_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<style>
  /* A hostile stylesheet: none of it may reach the survey. */
  * { color: lime !important; font-size: 40px !important; }
  button { background: red !important; display: none !important; }
</style></head>
<body>
<h1>Order confirmed</h1>
<div style="height: 3000px">A long page</div>
%(identify)s
<script src="%(script)s" async></script>
</body></html>
"""
IDENTIFY = """<script>
  window.cxloop = window.cxloop || function(){(cxloop.q=cxloop.q||[]).push(arguments)};
  cxloop('identify', {userId: 'u-1', attributes: {tier: 'gold'}});
</script>"""
# Records what the widget decided, so a test can wait for "not shown" without sleeping.
RECORD_DECISIONS = (
    "window.decisions = [];"
    "addEventListener('cxloop:decision', e => window.decisions.push(e.detail));"
)


class Shop:
    def __init__(self) -> None:
        self.script_url = ""
        self.identify = True
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                identify = IDENTIFY if shop.identify else ""
                body = (SHOP_PAGE % {"script": shop.script_url, "identify": identify}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def shop() -> Iterator[Shop]:
    server = Shop()
    yield server
    server.close()


def test_the_widget_asks_on_another_origin_and_stores_the_answer(
    browser: Any, live_server: Any, membership: Membership, shop: Shop, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.PUBLIC_URL = live_server.url
    shop_origin = f"http://127.0.0.1:{shop.port}"
    survey = survey_for(membership.organization)
    widget = widget_config_save(
        organization=membership.organization,
        survey=survey,
        values={
            "allowed_origins": [shop_origin],
            "display": "popup",
            "event_name": "order-confirmed",
        },
    )
    shop.script_url = f"{live_server.url}/w/{widget.public_key}.js"

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    with page.expect_response(lambda r: "/config" in r.url) as config:
        page.goto(f"{shop_origin}/orders/42?ref=mail")
    assert config.value.status == 200
    # Loaded, but nothing shows before the trigger.
    expect(page.locator("[data-cxloop-widget]")).to_have_count(0)

    page.evaluate("window.dispatchEvent(new CustomEvent('order-confirmed'))")
    dialog = page.get_by_role("dialog", name="Store visit")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "true")
    nine = dialog.get_by_role("button", name="9", exact=True)
    # The shop's CSS hides every button on its page; inside the widget they stay visible.
    expect(nine).to_be_visible()
    assert nine.evaluate("b => getComputedStyle(b).color") != "rgb(0, 255, 0)"

    # Submitting without the required score names the question, in English.
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_text("This question is required.")).to_be_visible()
    # The score buttons work from the keyboard: arrows move, Enter chooses.
    nps = dialog.get_by_role("button", name="8", exact=True)
    nps.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(nine).to_have_attribute("aria-pressed", "true")
    dialog.get_by_label("Why?").fill("Fast delivery, friendly support")
    dialog.get_by_role("button", name="Submit").click()
    expect(dialog.get_by_role("status")).to_have_text("Thank you for your feedback!")

    stored = Response.objects.get(survey=survey)
    assert stored.nps_score == 9
    assert stored.comment == "Fast delivery, friendly support"
    assert stored.language == "en"
    assert stored.attributes == {
        "tier": "gold",
        "origin": shop_origin,
        "page_url": f"{shop_origin}/orders/42?ref=mail",
    }
    assert stored.contact is not None and stored.contact.external_id == "u-1"

    page.keyboard.press("Escape")
    expect(page.locator("[data-cxloop-widget]")).to_have_count(0)
    context.close()


def test_a_page_on_an_origin_that_is_not_allowed_gets_no_widget(
    browser: Any, live_server: Any, membership: Membership, shop: Shop, settings: Any
) -> None:
    settings.PUBLIC_URL = live_server.url
    survey = survey_for(membership.organization)
    widget = widget_config_save(
        organization=membership.organization,
        survey=survey,
        values={"allowed_origins": [f"http://127.0.0.1:{shop.port}"], "event_name": "go"},
    )
    shop.script_url = f"{live_server.url}/w/{widget.public_key}.js"
    responses_url = f"{live_server.url}/w/{widget.public_key}/responses"

    context = browser.new_context(locale="en-US")
    context.add_init_script(RECORD_DECISIONS)
    page = context.new_page()
    seen: list[tuple[str, int | None]] = []
    page.on("response", lambda r: seen.append((r.url, r.status)))
    page.on("requestfailed", lambda r: seen.append((r.url, None)))
    # localhost is another origin than 127.0.0.1, even on the same port. The browser refuses
    # the config the server sent without CORS headers, so the script stops there.
    with page.expect_event("requestfailed", lambda r: "/config" in r.url):
        page.goto(f"http://localhost:{shop.port}/orders/42")
    page.wait_for_function("window.decisions.length > 0")
    assert page.evaluate("window.decisions") == [{"show": False, "reason": "unavailable"}]

    page.evaluate("window.dispatchEvent(new CustomEvent('go')); cxloop('show')")
    # A JSON post is stopped by the browser: the preflight gets no CORS headers.
    payload = json.dumps({"answers": {"nps": 0}, "idempotency_key": "evil"})
    outcome = page.evaluate(
        """([url, body]) => fetch(url, {method: 'POST', body,
              headers: {'Content-Type': 'application/json'}})
            .then(r => 'read ' + r.status, () => 'blocked')""",
        [responses_url, payload],
    )
    assert outcome == "blocked"
    # A "simple" post does reach the server, which refuses it.
    with page.expect_response(lambda r: r.url == responses_url) as refused:
        page.evaluate(
            """([url, body]) => fetch(url, {method: 'POST', mode: 'no-cors', body,
                  headers: {'Content-Type': 'text/plain'}})""",
            [responses_url, payload],
        )
    assert refused.value.status == 403
    assert not any("/eligibility" in url for url, _status in seen)
    assert page.locator("[data-cxloop-widget]").count() == 0
    assert not Response.objects.exists()
    assert WidgetConfig.objects.count() == 1
    context.close()


def test_an_anonymous_visitor_is_asked_once_on_matching_pages(
    browser: Any, live_server: Any, membership: Membership, shop: Shop, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.PUBLIC_URL = live_server.url
    shop_origin = f"http://127.0.0.1:{shop.port}"
    survey = survey_for(membership.organization)
    widget = widget_config_save(
        organization=membership.organization,
        survey=survey,
        values={
            "allowed_origins": [shop_origin],
            "display": "slide_in",
            "position": "bottom_left",
            "url_patterns": ["/checkout/*"],
            "delay_seconds": 0,
            "anonymous_frequency_days": 30,
        },
    )
    shop.script_url = f"{live_server.url}/w/{widget.public_key}.js"
    shop.identify = False

    context = browser.new_context(locale="zh-CN")
    context.add_init_script(RECORD_DECISIONS)
    page = context.new_page()
    page.goto(f"{shop_origin}/orders/1")
    page.wait_for_function("window.decisions.length > 0")
    assert page.evaluate("window.decisions") == [{"show": False, "reason": "page_not_matched"}]

    page.goto(f"{shop_origin}/checkout/done")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("aria-modal", "false")
    # In the visitor's language, with the focus moved into the survey.
    expect(dialog.get_by_text("您有多大可能向朋友推荐我们？")).to_be_visible()
    assert page.evaluate("document.activeElement.hasAttribute('data-cxloop-widget')")
    page.keyboard.press("Escape")
    expect(page.locator("[data-cxloop-widget]")).to_have_count(0)

    # Within 30 days this browser is not asked again, and the server is not even consulted.
    page.reload()
    page.wait_for_function("window.decisions.length > 0")
    assert page.evaluate("window.decisions") == [{"show": False, "reason": "asked_recently"}]
    expect(page.locator("[data-cxloop-widget]")).to_have_count(0)
    assert not Response.objects.exists()
    context.close()


ALL_TYPES_DEFINITION = {
    "name": "Support chat",
    "languages": ["en"],
    "title": {"en": "Quick question"},
    "thank_you": {"en": "Thanks, that helps!"},
    "questions": [
        {"key": "nps", "type": "nps_plus", "text": {"en": "Would you recommend us?"},
         "reasons": [{"key": "price", "text": {"en": "Price"}},
                     {"key": "speed", "text": {"en": "Speed"}}],
         "reason_prompt": {"detractor": {"en": "What let you down?"}},
         "comment_prompt": {"detractor": {"en": "What should we fix first?"}}},
        {"key": "sat", "type": "csat", "scale": 5, "text": {"en": "How satisfied are you?"}},
        {"key": "effort", "type": "ces", "scale": 7, "text": {"en": "It was easy to get help."}},
        {"key": "channel", "type": "single_choice", "text": {"en": "How did you reach us?"},
         "choices": [{"key": "chat", "text": {"en": "Chat"}},
                     {"key": "phone", "text": {"en": "Phone"}}]},
        {"key": "topics", "type": "multiple_choice", "required": False,
         "text": {"en": "What was it about?"},
         "choices": [{"key": "billing", "text": {"en": "Billing"}},
                     {"key": "delivery", "text": {"en": "Delivery"}}]},
        {"key": "note", "type": "text", "required": False, "text": {"en": "Anything else?"}},
    ],
}  # fmt: skip


def test_every_question_type_is_answered_in_the_widget(
    browser: Any, live_server: Any, membership: Membership, shop: Shop, settings: Any
) -> None:
    from playwright.sync_api import expect

    from cxloop.surveys.services import survey_create, survey_publish

    settings.PUBLIC_URL = live_server.url
    shop_origin = f"http://127.0.0.1:{shop.port}"
    organization = membership.organization
    survey = survey_publish(
        survey=survey_create(organization=organization, definition=ALL_TYPES_DEFINITION)
    )
    widget = widget_config_save(
        organization=organization, survey=survey, values={"allowed_origins": [shop_origin]}
    )
    shop.script_url = f"{live_server.url}/w/{widget.public_key}.js"
    shop.identify = False

    # A phone-sized screen: the slide-in spans the width and every button stays reachable.
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 700})
    page = context.new_page()
    page.goto(f"{shop_origin}/help")  # no trigger configured: shown once the page loads
    dialog = page.get_by_role("dialog", name="Quick question")
    expect(dialog).to_be_visible()

    nps = dialog.locator("[data-question=nps]")
    nps.get_by_role("button", name="3", exact=True).click()
    # The follow-up appears, worded for a detractor.
    expect(nps.get_by_text("What let you down?")).to_be_visible()
    nps.get_by_label("Speed").check()
    nps.get_by_label("What should we fix first?").fill("Answer faster")
    dialog.locator("[data-question=sat]").get_by_role("button", name="4", exact=True).click()
    dialog.locator("[data-question=effort]").get_by_role("button", name="6", exact=True).click()
    dialog.get_by_label("Chat").check()
    dialog.get_by_label("Billing").check()
    dialog.get_by_label("Anything else?").fill("Nice agent")
    submit = dialog.get_by_role("button", name="Submit")
    submit.scroll_into_view_if_needed()
    submit.click()
    expect(dialog.get_by_role("status")).to_have_text("Thanks, that helps!")

    stored = Response.objects.get(survey=survey)
    assert stored.answers == {
        "nps": {"score": 3, "reasons": ["speed"], "comment": "Answer faster"},
        "sat": 4,
        "effort": 6,
        "channel": "chat",
        "topics": ["billing"],
        "note": "Nice agent",
    }
    assert (stored.nps_score, stored.csat_score, stored.ces_score) == (3, 4, 6)
    assert stored.contact is None
    context.close()


def test_scroll_depth_and_exit_intent_show_the_survey(
    browser: Any, live_server: Any, membership: Membership, shop: Shop, settings: Any
) -> None:
    from playwright.sync_api import expect

    settings.PUBLIC_URL = live_server.url
    shop_origin = f"http://127.0.0.1:{shop.port}"
    survey = survey_for(membership.organization)
    widget = widget_config_save(
        organization=membership.organization,
        survey=survey,
        values={
            "allowed_origins": [shop_origin],
            "scroll_percent": 60,
            "exit_intent": True,
            "anonymous_frequency_days": 0,
        },
    )
    shop.script_url = f"{live_server.url}/w/{widget.public_key}.js"
    shop.identify = False
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    widget_host = page.locator("[data-cxloop-widget]")

    with page.expect_response(lambda r: "/config" in r.url):
        page.goto(f"{shop_origin}/blog/1")
    page.mouse.wheel(0, 300)  # about a quarter of the page: not yet
    page.wait_for_function("window.scrollY >= 300")
    expect(widget_host).to_have_count(0)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.get_by_role("dialog")).to_be_visible()

    with page.expect_response(lambda r: "/config" in r.url):
        page.goto(f"{shop_origin}/blog/2")
    expect(widget_host).to_have_count(0)
    # The pointer leaves through the top edge of the window, towards the tabs.
    page.evaluate(
        "document.dispatchEvent(new MouseEvent('mouseout', {clientY: -2, relatedTarget: null}))"
    )
    expect(page.get_by_role("dialog")).to_be_visible()
    context.close()
