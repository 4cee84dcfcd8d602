"""Validating and normalizing a contact's fields, shared by the API, imports and the web."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGES, normalize_language
from cxloop.common.text import has_nul, is_attribute_name

# Numbers written without a country code are read as Chinese numbers. This becomes an
# organization-level choice later; everything reads it from here until then.
DEFAULT_PHONE_REGION = "CN"

CONTACT_FIELDS: tuple[str, ...] = (
    "external_id",
    "name",
    "email",
    "phone",
    "language",
    "time_zone",
)
MAX_LENGTHS: Mapping[str, int] = {
    "external_id": 100,
    "name": 200,
    "email": 254,
    "phone": 40,
    "language": 20,
    "time_zone": 64,
}
MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 500


@dataclass(frozen=True, slots=True)
class ContactData:
    """Cleaned input. Only the fields the caller sent; "" clears a field, None removes an
    attribute."""

    fields: Mapping[str, str]
    attributes: Mapping[str, str | None] = field(default_factory=dict)

    def lookup(self) -> tuple[str, str]:
        """The field that identifies the contact: external id, else e-mail, else phone."""
        for name in ("external_id", "email", "phone"):
            if self.fields.get(name):
                return name, self.fields[name]
        raise AssertionError("clean_contact_data guarantees an identifier")


@cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk: far too slow once per row.
    return frozenset(available_timezones())


def normalize_phone(raw: str, region: str = DEFAULT_PHONE_REGION) -> str:
    """The number in E.164 (+8613800138000); raises ValueError when it is not a real number."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError(raw) from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """The address with its domain in lower case; raises ValueError when it is not one."""
    email = BaseUserManager.normalize_email(raw.strip())
    try:
        validate_email(email)
    except ValidationError as error:
        raise ValueError(raw) from error
    return email


def _as_text(value: Any) -> str | None:
    """Scalars as text (spreadsheets and JSON send numbers for ids and phones), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def _clean_field(name: str, value: str) -> str:
    if not value:
        return ""
    if name == "email":
        try:
            return normalize_email(value)
        except ValueError:
            raise InputError.single(name, _("Enter a valid e-mail address.")) from None
    if name == "phone":
        try:
            return normalize_phone(value)
        except ValueError:
            raise InputError.single(
                name,
                _(
                    "“%(value)s” is not a valid phone number. Numbers without a country code "
                    "are read as Chinese mainland numbers; write others with +, e.g. "
                    "+852 6123 4567."
                )
                % {"value": value},
            ) from None
    if name == "language":
        language = normalize_language(value)
        if language not in SURVEY_LANGUAGES:
            raise InputError.single(
                name,
                _("Use one of these languages: %(languages)s.")
                % {"languages": ", ".join(SURVEY_LANGUAGES)},
            )
        return language
    if name == "time_zone":
        if value not in _time_zones():
            raise InputError.single(
                name,
                _("Unknown time zone: %(tz)s. Use a name like Asia/Shanghai.") % {"tz": value},
            )
        return value
    return value


def _clean_attributes(raw: Any, errors: list[FieldError]) -> dict[str, str | None]:
    if not isinstance(raw, Mapping):
        errors.append(FieldError("attributes", _("Attributes must be an object of names.")))
        return {}
    if len(raw) > MAX_ATTRIBUTES:
        errors.append(
            FieldError("attributes", _("Use at most %(n)d attributes.") % {"n": MAX_ATTRIBUTES})
        )
        return {}
    cleaned: dict[str, str | None] = {}
    for name, value in raw.items():
        path = f"attributes.{name}"
        if not is_attribute_name(name):
            errors.append(
                FieldError(
                    path,
                    _(
                        "Attribute names start with a letter or _ and use letters, digits, "
                        "_ . - (at most 50)."
                    ),
                )
            )
            continue
        if value is None:
            cleaned[name] = None
            continue
        text = _as_text(value)
        if text is None:
            errors.append(FieldError(path, _("Attribute values must be text or numbers.")))
        elif len(text) > MAX_ATTRIBUTE_VALUE_LENGTH:
            errors.append(
                FieldError(
                    path,
                    _("Use at most %(limit)d characters.") % {"limit": MAX_ATTRIBUTE_VALUE_LENGTH},
                )
            )
        elif has_nul(text):
            errors.append(FieldError(path, _("The value contains a NUL character.")))
        else:
            # An empty value removes the attribute, like null.
            cleaned[name] = text or None
    return cleaned


def clean_contact_data(data: Any) -> ContactData:
    """Check every field; raise InputError naming each bad one (nothing is half-applied)."""
    if not isinstance(data, Mapping):
        raise InputError.single("", _("Each contact must be an object."))
    errors: list[FieldError] = []
    unknown = sorted(str(key) for key in data if key not in (*CONTACT_FIELDS, "attributes"))
    for key in unknown:
        errors.append(
            FieldError(
                key,
                _("Unknown field. Put custom values under “attributes”."),
            )
        )
    fields: dict[str, str] = {}
    for name in CONTACT_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        text = "" if raw is None else _as_text(raw)
        if text is None:
            errors.append(FieldError(name, _("Send text here.")))
            continue
        if len(text) > MAX_LENGTHS[name]:
            errors.append(
                FieldError(
                    name, _("Use at most %(limit)d characters.") % {"limit": MAX_LENGTHS[name]}
                )
            )
            continue
        if has_nul(text):
            errors.append(FieldError(name, _("The value contains a NUL character.")))
            continue
        try:
            fields[name] = _clean_field(name, text)
        except InputError as error:
            errors.extend(error.errors)
    attributes: dict[str, str | None] = {}
    if data.get("attributes") is not None:
        attributes = _clean_attributes(data["attributes"], errors)
    if not errors and not any(fields.get(name) for name in ("external_id", "email", "phone")):
        errors.append(
            FieldError(
                "",
                _(
                    "Give an external ID, an e-mail address or a phone number to identify "
                    "the contact."
                ),
            )
        )
    if errors:
        raise InputError(errors)
    return ContactData(fields=fields, attributes=attributes)
