import html

import pytest

from cxloop.common.languages import SURVEY_LANGUAGES
from cxloop.distribution.email_defaults import DEFAULT_EMAIL_TEXTS, EMAIL_KINDS, format_date
from cxloop.distribution.email_placeholders import (
    EMPTY,
    PLACEHOLDERS,
    UNCLOSED,
    UNKNOWN,
    UNOPENED,
    Literal,
    Placeholder,
    PlaceholderProblem,
    TemplateSyntaxProblem,
    fill,
    parse,
    problems_of,
    used_placeholders,
)

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


def test_every_placeholder_is_replaced_by_its_value() -> None:
    text = " ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    assert fill(text, VALUES) == " ".join(VALUES[name] for name in PLACEHOLDERS)


def test_text_without_placeholders_is_unchanged() -> None:
    assert fill("Hello, 你好 — 100% sure; a:b", {}) == "Hello, 你好 — 100% sure; a:b"
    assert fill("", {}) == ""


def test_doubled_braces_are_literal_braces() -> None:
    assert fill("{{link}} is {link}; }} and {{", {"link": "L"}) == "{link} is L; } and {"
    assert problems_of("{{not a placeholder}}") == ()


def test_spaces_inside_braces_are_tolerated() -> None:
    assert fill("Hi { contact_name }!", {"contact_name": "Li"}) == "Hi Li!"


def test_parse_gives_literals_and_placeholders_in_order() -> None:
    segments, problems = parse("Dear {contact_name}, see {link}")
    assert problems == ()
    assert segments == (
        Literal("Dear "),
        Placeholder("contact_name"),
        Literal(", see "),
        Placeholder("link"),
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hi {nmae}", (PlaceholderProblem(UNKNOWN, 3, "nmae"),)),
        ("Hi {Link}", (PlaceholderProblem(UNKNOWN, 3, "Link"),)),  # names are case-sensitive
        ("{}", (PlaceholderProblem(EMPTY, 0),)),
        ("{  }", (PlaceholderProblem(EMPTY, 0),)),
        ("go {link", (PlaceholderProblem(UNCLOSED, 3),)),
        ("{link {organization}", (PlaceholderProblem(UNCLOSED, 0),)),
        ("a } b", (PlaceholderProblem(UNOPENED, 2),)),
        ("}{link}", (PlaceholderProblem(UNOPENED, 0),)),
        (
            "{x} and {y}",
            (PlaceholderProblem(UNKNOWN, 0, "x"), PlaceholderProblem(UNKNOWN, 8, "y")),
        ),
        # Template-engine syntax is just an unknown placeholder or stray brace, never code.
        ("{% load static %}", (PlaceholderProblem(UNKNOWN, 0, "% load static %"),)),
        ("{link.__class__}", (PlaceholderProblem(UNKNOWN, 0, "link.__class__"),)),
        ("{link!r}", (PlaceholderProblem(UNKNOWN, 0, "link!r"),)),
        ("{0}", (PlaceholderProblem(UNKNOWN, 0, "0"),)),
    ],
)
def test_problems_name_the_kind_and_position(
    text: str, expected: tuple[PlaceholderProblem, ...]
) -> None:
    assert problems_of(text) == expected
    with pytest.raises(TemplateSyntaxProblem) as raised:
        fill(text, VALUES)
    assert raised.value.problems == expected


def test_a_very_long_unknown_name_is_shortened_in_the_problem() -> None:
    (problem,) = problems_of("{" + "x" * 500 + "}")
    assert problem.kind == UNKNOWN and len(problem.name) == 40


def test_template_engine_syntax_in_doubled_braces_stays_literal_text() -> None:
    assert fill("{{ settings.SECRET_KEY }}", {}) == "{ settings.SECRET_KEY }"


def test_values_are_inserted_once_and_not_parsed_again() -> None:
    values = {**VALUES, "contact_name": "{link} {{ x }} }"}
    assert fill("Dear {contact_name}", values) == "Dear {link} {{ x }} }"


def test_escape_applies_to_literals_and_values_and_wrap_shapes_chosen_values() -> None:
    escaped = fill(
        "<b>{contact_name}</b> {link}",
        {"contact_name": "<script>", "link": "https://x/?a=1&b=2"},
        escape=html.escape,
        wrap={"link": lambda url: f'<a href="{url}">{url}</a>'},
    )
    assert escaped == (
        "&lt;b&gt;&lt;script&gt;&lt;/b&gt; "
        '<a href="https://x/?a=1&amp;b=2">https://x/?a=1&amp;b=2</a>'
    )


def test_a_missing_value_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        fill("{link}", {})


def test_used_placeholders() -> None:
    assert used_placeholders("{link} {link} {organization} {{survey_title}}") == {
        "link",
        "organization",
    }
    assert used_placeholders("{bad") == frozenset()


@pytest.mark.parametrize("language", SURVEY_LANGUAGES)
@pytest.mark.parametrize("kind", EMAIL_KINDS)
def test_every_built_in_text_is_valid_and_carries_the_link(language: str, kind: str) -> None:
    text = DEFAULT_EMAIL_TEXTS[(language, kind)]
    assert problems_of(text.subject) == () and problems_of(text.body) == ()
    assert "\n" not in text.subject
    assert "link" in used_placeholders(text.body)
    assert "{" not in fill(text.body, VALUES).replace("<", "").replace(">", "")


def test_built_in_texts_differ_by_language_and_kind() -> None:
    bodies = {text.body for text in DEFAULT_EMAIL_TEXTS.values()}
    assert len(bodies) == len(SURVEY_LANGUAGES) * len(EMAIL_KINDS)


def test_dates_as_customers_read_them() -> None:
    assert format_date(2026, 5, 6, "zh-Hans") == "2026年5月6日"
    assert format_date(2026, 12, 31, "zh-Hant") == "2026年12月31日"
    assert format_date(2026, 5, 6, "en") == "May 6, 2026"
