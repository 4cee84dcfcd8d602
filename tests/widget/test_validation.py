from typing import Any

import pytest

from cxloop.common.errors import InputError
from cxloop.widget.validation import clean_widget_settings, normalize_origin


def fields_at_fault(values: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(InputError) as caught:
        clean_widget_settings(values)
    return caught.value.by_field()


@pytest.mark.parametrize(
    ("raw", "origin"),
    [
        ("https://shop.example.com", "https://shop.example.com"),
        ("  HTTPS://Shop.Example.com/  ", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("https://shop.example.com:8443", "https://shop.example.com:8443"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://localhost:3000", "http://localhost:3000"),
    ],
)
def test_origins_are_written_as_the_browser_sends_them(raw: str, origin: str) -> None:
    assert normalize_origin(raw) == origin


@pytest.mark.parametrize(
    "raw",
    [
        "shop.example.com",
        "https://shop.example.com/checkout",
        "https://shop.example.com?x=1",
        "https://*.example.com",
        "http://shop.example.com",
        "ftp://shop.example.com",
        "https://user:pw@shop.example.com",
        "https://shop.example.com:99999",
        "https://bad_host.example.com",
        "javascript:alert(1)",
    ],
)
def test_anything_but_an_exact_origin_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        normalize_origin(raw)


def test_defaults_are_valid_and_lines_become_lists() -> None:
    cleaned = clean_widget_settings(
        {
            "allowed_origins": "https://shop.example.com\n\nhttps://m.example.com\nhttps://shop.example.com",
            "url_patterns": "/checkout/*\n/orders/*",
            "delay_seconds": "5",
            "scroll_percent": 50,
            "exit_intent": "on",
            "event_name": "order-confirmed",
        }
    )
    assert cleaned.allowed_origins == ("https://shop.example.com", "https://m.example.com")
    assert cleaned.url_patterns == ("/checkout/*", "/orders/*")
    assert cleaned.delay_seconds == 5
    assert cleaned.scroll_percent == 50
    assert cleaned.exit_intent is True
    assert cleaned.display == "slide_in"
    assert cleaned.anonymous_frequency_days == 30


def test_every_bad_field_is_named_at_once() -> None:
    errors = fields_at_fault(
        {
            "allowed_origins": ["https://ok.example.com", "http://shop.example.com"],
            "display": "banner",
            "position": "top",
            "delay_seconds": "-1",
            "scroll_percent": "150",
            "event_name": "order confirmed!",
            "anonymous_frequency_days": "soon",
        }
    )
    assert set(errors) == {
        "allowed_origins",
        "display",
        "position",
        "delay_seconds",
        "scroll_percent",
        "event_name",
        "anonymous_frequency_days",
    }
    assert "http://shop.example.com" in errors["allowed_origins"][0]


def test_regular_expressions_are_checked_when_patterns_are_regexes() -> None:
    errors = fields_at_fault({"url_match": "regex", "url_patterns": "/checkout/(\n^/ok$"})
    assert len(errors["url_patterns"]) == 1
    assert "/checkout/(" in errors["url_patterns"][0]
    # Python-only syntax would never match in the browser: refused too.
    errors = fields_at_fault({"url_match": "regex", "url_patterns": r"(?P<id>\d+)"})
    assert "browsers" in errors["url_patterns"][0]
    # The same text as wildcards is fine: parentheses mean nothing there.
    assert clean_widget_settings({"url_patterns": "/checkout/("}).url_patterns == ("/checkout/(",)


def test_junk_types_are_field_errors_not_crashes() -> None:
    errors = fields_at_fault(
        {
            "allowed_origins": {"a": 1},
            "url_patterns": [1, 2],
            "delay_seconds": [5],
            "event_name": 7,
        }
    )
    assert set(errors) == {"allowed_origins", "url_patterns", "delay_seconds", "event_name"}


def test_too_many_origins_are_refused() -> None:
    origins = [f"https://s{i}.example.com" for i in range(21)]
    assert "allowed_origins" in fields_at_fault({"allowed_origins": origins})
