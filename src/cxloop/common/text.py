"""Rules for user-supplied names and text shared by every entry point."""

import re
from datetime import date

# Attribute names become JSON keys that filters look up: a letter first (a digit would be
# read as an array index) and no "__" (Django's lookup separator).
ATTRIBUTE_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,49}$")
# Dates outside this window are typing mistakes, and far dates overflow time-zone arithmetic.
EARLIEST_DATE = date(1970, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def is_attribute_name(name: object) -> bool:
    return isinstance(name, str) and bool(ATTRIBUTE_NAME_PATTERN.match(name)) and "__" not in name


def has_nul(text: str) -> bool:
    # PostgreSQL refuses NUL in text and JSON; SQLite would store it. Refuse it everywhere.
    return "\x00" in text
