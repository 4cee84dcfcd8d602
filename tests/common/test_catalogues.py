"""Every user-facing text has a Chinese translation: the committed catalogues are complete."""

import ast
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "src" / "cxloop" / "locale"


def read_catalogue(path: Path) -> list[tuple[str, list[str], bool]]:
    """(msgid, msgstr values, fuzzy) for each entry of a .po file; the header is skipped."""
    entries: list[tuple[str, list[str], bool]] = []
    msgid: list[str] = []
    msgstrs: list[list[str]] = []
    fuzzy = False
    target: list[str] | None = None

    def flush() -> None:
        nonlocal msgid, msgstrs, fuzzy
        if msgid and "".join(msgid):
            entries.append(("".join(msgid), ["".join(s) for s in msgstrs], fuzzy))
        msgid, msgstrs, fuzzy = [], [], False

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if line.startswith("#~"):
            continue  # obsolete
        if line.startswith("#,"):
            flush()
            fuzzy = "fuzzy" in line
            target = None
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            if msgstrs:
                flush()
            msgid = [ast.literal_eval(line[6:])]
            target = msgid
        elif line.startswith("msgid_plural "):
            target = None
        elif line.startswith("msgstr"):
            value = line.split(" ", 1)[1]
            msgstrs.append([ast.literal_eval(value)])
            target = msgstrs[-1]
        elif line.startswith('"') and target is not None:
            target.append(ast.literal_eval(line))
    flush()
    return entries


@pytest.mark.parametrize("language", ["zh_Hans", "zh_Hant"])
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    entries = read_catalogue(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert len(entries) > 500
    untranslated = [msgid for msgid, msgstrs, _fuzzy in entries if not all(msgstrs)]
    fuzzy = [msgid for msgid, _msgstrs, is_fuzzy in entries if is_fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_both_chinese_catalogues_hold_the_same_messages() -> None:
    hans = {msgid for msgid, _s, _f in read_catalogue(LOCALE / "zh_Hans/LC_MESSAGES/django.po")}
    hant = {msgid for msgid, _s, _f in read_catalogue(LOCALE / "zh_Hant/LC_MESSAGES/django.po")}
    assert hans == hant
