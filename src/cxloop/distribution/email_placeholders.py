"""Placeholders in user-written e-mail templates: parsing, validation and substitution.

Templates are plain text written by organization admins. They are never given to a template
engine (that would let an admin run template code on the server); the only thing that
happens to them is replacing a fixed set of ``{name}`` placeholders. A literal brace is
written twice (``{{`` and ``}}``), as in Python's ``str.format``.

Pure: no Django import, so the rules are tested on their own.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

PLACEHOLDERS: tuple[str, ...] = (
    "contact_name",
    "organization",
    "survey_title",
    "link",
    "unsubscribe_link",
    "expires_on",
)
MAX_PLACEHOLDER_NAME = 40

# Problem kinds; the web and API layers turn them into messages in the user's language.
UNKNOWN = "unknown"  # {nmae}: not one of PLACEHOLDERS
EMPTY = "empty"  # {}
UNCLOSED = "unclosed"  # "{link" with no closing brace
UNOPENED = "unopened"  # "}" without an opening brace (write "}}" for a literal brace)


@dataclass(frozen=True, slots=True)
class Literal:
    text: str


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str


Segment = Literal | Placeholder


@dataclass(frozen=True, slots=True)
class PlaceholderProblem:
    kind: str
    position: int  # 0-based index of the offending brace in the text
    name: str = ""  # the unknown placeholder's name, shortened


class TemplateSyntaxProblem(ValueError):
    def __init__(self, problems: tuple[PlaceholderProblem, ...]) -> None:
        self.problems = problems
        super().__init__(", ".join(f"{p.kind}@{p.position}" for p in problems))


# A batch fills the same few templates thousands of times; the result is immutable.
@lru_cache(maxsize=512)
def parse(
    text: str, allowed: tuple[str, ...] = PLACEHOLDERS
) -> tuple[tuple[Segment, ...], tuple[PlaceholderProblem, ...]]:
    """Split a template into literal text and placeholders, and list what is wrong with it."""
    segments: list[Segment] = []
    problems: list[PlaceholderProblem] = []
    literal: list[str] = []
    index = 0
    length = len(text)

    def flush() -> None:
        if literal:
            segments.append(Literal("".join(literal)))
            literal.clear()

    while index < length:
        char = text[index]
        if char == "{":
            if text.startswith("{{", index):
                literal.append("{")
                index += 2
                continue
            end = text.find("}", index + 1)
            opener = text.find("{", index + 1)
            if end == -1 or (opener != -1 and opener < end):
                problems.append(PlaceholderProblem(UNCLOSED, index))
                literal.append(char)
                index += 1
                continue
            name = text[index + 1 : end].strip()
            if not name:
                problems.append(PlaceholderProblem(EMPTY, index))
            elif name not in allowed:
                problems.append(PlaceholderProblem(UNKNOWN, index, name[:MAX_PLACEHOLDER_NAME]))
            else:
                flush()
                segments.append(Placeholder(name))
            index = end + 1
            continue
        if char == "}":
            if text.startswith("}}", index):
                literal.append("}")
                index += 2
                continue
            problems.append(PlaceholderProblem(UNOPENED, index))
            literal.append(char)
            index += 1
            continue
        literal.append(char)
        index += 1
    flush()
    return tuple(segments), tuple(problems)


def problems_of(
    text: str, allowed: tuple[str, ...] = PLACEHOLDERS
) -> tuple[PlaceholderProblem, ...]:
    return parse(text, allowed)[1]


def used_placeholders(text: str) -> frozenset[str]:
    segments, _problems = parse(text)
    return frozenset(s.name for s in segments if isinstance(s, Placeholder))


def _identity(value: str) -> str:
    return value


def fill(
    text: str,
    values: Mapping[str, str],
    *,
    escape: Callable[[str], str] = _identity,
    wrap: Mapping[str, Callable[[str], str]] | None = None,
) -> str:
    """The template with every placeholder replaced by its value.

    ``escape`` is applied to literal text and to values alike (HTML escaping for the HTML
    part); ``wrap`` then shapes chosen escaped values (a link becomes an anchor). Raises
    TemplateSyntaxProblem when the template is not valid, KeyError when a value is missing.
    Values are inserted once: a value that looks like a placeholder stays as it is.
    """
    segments, problems = parse(text)
    if problems:
        raise TemplateSyntaxProblem(problems)
    wrappers = wrap or {}
    pieces: list[str] = []
    for segment in segments:
        if isinstance(segment, Literal):
            pieces.append(escape(segment.text))
            continue
        value = escape(values[segment.name])
        shaper = wrappers.get(segment.name)
        pieces.append(shaper(value) if shaper is not None else value)
    return "".join(pieces)
