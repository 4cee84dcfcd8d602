import pytest

from cxloop.common.languages import (
    choose_language,
    normalize_language,
    parse_accept_language,
    pick_text,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh_cn", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("EN-us", "en"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(tag: str | None, expected: str | None) -> None:
    assert normalize_language(tag) == expected


def test_accept_language_honours_quality_and_order() -> None:
    assert parse_accept_language("en;q=0.5, zh-TW, fr;q=0.8, de;q=0") == ["zh-TW", "fr", "en"]
    assert parse_accept_language("en;q=abc") == []


@pytest.mark.parametrize(
    ("requested", "header", "expected"),
    [
        ("en", "zh-CN", "en"),  # the link wins
        ("zh-TW", "en", "en"),  # not offered: fall back to the browser
        (None, "fr, zh-HK;q=0.9, en;q=0.8", "en"),  # zh-Hant is not offered here
        (None, "fr", "zh-Hans"),  # nothing matches: the survey default
    ],
)
def test_choose_language(requested: str | None, header: str, expected: str) -> None:
    assert (
        choose_language(
            requested=requested,
            accept_language=header,
            available=["zh-Hans", "en"],
            default="zh-Hans",
        )
        == expected
    )


def test_pick_text_falls_back_in_order() -> None:
    texts = {"zh-Hans": "你好", "en": "Hello"}
    assert pick_text(texts, "en") == "Hello"
    assert pick_text(texts, "zh-Hant", ("en",)) == "Hello"
    assert pick_text(texts, "zh-Hant") == "你好"
    assert pick_text({}, "en") == ""
