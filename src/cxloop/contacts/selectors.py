"""Reading contacts; every query is bounded to one organization."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core import signing
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.text import has_nul, is_attribute_name
from cxloop.contacts.models import Channel, Contact, ContactImport
from cxloop.distribution.models import Invitation
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response

ATTRIBUTE_PREFIX = "attr."
MAX_SEARCH_LENGTH = 100
ATTRIBUTE_NAMES_SAMPLE = 500

UNSUBSCRIBE_SALT = "cxloop.contacts.unsubscribe"
# Links in old e-mails must keep working for a long while (laws ask for at least 30 days).
UNSUBSCRIBE_TOKEN_MAX_AGE = 60 * 60 * 24 * 400


@dataclass(frozen=True, slots=True)
class ContactFilters:
    search: str = ""
    attributes: tuple[tuple[str, str], ...] = ()

    def to_q(self) -> Q:
        condition = Q()
        if self.search:
            matches = (
                Q(name__icontains=self.search)
                | Q(email__icontains=self.search)
                | Q(external_id__icontains=self.search)
            )
            # Phones are stored as +8613800138000; people type "138 0013 8000".
            digits = re.sub(r"[^\d+]", "", self.search)
            if len(digits.lstrip("+")) >= 3:
                matches |= Q(phone__contains=digits)
            condition &= matches
        for name, value in self.attributes:
            condition &= Q(**{f"attributes__{name}": value})
        return condition

    @property
    def active(self) -> bool:
        return bool(self.search or self.attributes)


def contact_filters(
    *, search: str = "", attributes: Mapping[str, str] | None = None
) -> ContactFilters:
    """Check a search text and attribute conditions; InputError names the bad ones."""
    errors: list[FieldError] = []
    search = search.strip()
    if len(search) > MAX_SEARCH_LENGTH:
        errors.append(
            FieldError("q", _("Use at most %(limit)d characters.") % {"limit": MAX_SEARCH_LENGTH})
        )
    if has_nul(search):
        errors.append(FieldError("q", _("The value contains a NUL character.")))
    conditions: list[tuple[str, str]] = []
    for name, value in (attributes or {}).items():
        if not is_attribute_name(name):
            errors.append(
                FieldError(
                    f"{ATTRIBUTE_PREFIX}{name}",
                    _("Not an attribute name: %(name)s.") % {"name": name},
                )
            )
        elif value.strip():
            conditions.append((name, value.strip()))
    if errors:
        raise InputError(errors)
    return ContactFilters(search=search, attributes=tuple(sorted(conditions)))


def contact_filters_from_query(params: Mapping[str, Sequence[str]]) -> ContactFilters:
    """The API's query string: q=<text>, attr.<name>=<value> (repeatable for several names)."""
    attributes = {
        key.removeprefix(ATTRIBUTE_PREFIX): values[-1]
        for key, values in params.items()
        if key.startswith(ATTRIBUTE_PREFIX) and values
    }
    search = (params.get("q") or [""])[-1]
    return contact_filters(search=search, attributes=attributes)


def contact_list(*, organization: Organization, filters: ContactFilters) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization).filter(filters.to_q())


def contact_get(*, organization: Organization, contact_id: int) -> Contact | None:
    return Contact.objects.filter(organization=organization, pk=contact_id).first()


def contact_get_by_external_id(*, organization: Organization, external_id: str) -> Contact | None:
    if not external_id:
        return None
    return Contact.objects.filter(organization=organization, external_id=external_id).first()


def contact_responses(*, organization: Organization, contact: Contact) -> QuerySet[Response]:
    return (
        Response.objects.filter(organization=organization, contact=contact)
        .select_related("survey")
        .order_by("-submitted_at", "-id")
    )


def contact_imports_recent(*, organization: Organization, limit: int = 10) -> list[ContactImport]:
    # The uploaded file may be 20 MB: never load it to list imports.
    return list(ContactImport.objects.filter(organization=organization).defer("content")[:limit])


def contact_import_get(*, organization: Organization, import_id: int) -> ContactImport | None:
    return (
        ContactImport.objects.filter(organization=organization, pk=import_id)
        .defer("content")
        .first()
    )


def contact_invitations(*, organization: Organization, contact: Contact) -> QuerySet[Invitation]:
    """Every invitation of the contact, skipped ones included (with their reason), newest
    first."""
    return (
        Invitation.objects.filter(organization=organization, contact=contact)
        .select_related("survey")
        .order_by("-created_at", "-id")
    )


def contact_attribute_names(*, organization: Organization) -> list[str]:
    """Attribute names among the latest contacts, for the filter's suggestions."""
    recent = (
        Contact.objects.filter(organization=organization)
        .order_by("-created_at")
        .values_list("attributes", flat=True)[:ATTRIBUTE_NAMES_SAMPLE]
    )
    return sorted({name for attributes in recent for name in (attributes or {})})


class InvalidUnsubscribeToken(Exception):
    """The link was altered, is too old, or its contact no longer exists."""


@dataclass(frozen=True, slots=True)
class UnsubscribeTarget:
    contact: Contact
    channel: str


def unsubscribe_target(token: str) -> UnsubscribeTarget:
    """The contact and channel an unsubscribe link stands for; raises InvalidUnsubscribeToken."""
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_TOKEN_MAX_AGE)
        organization_id, contact_id, channel = payload["o"], payload["c"], payload["ch"]
    except (signing.BadSignature, KeyError, TypeError, ValueError) as error:
        raise InvalidUnsubscribeToken from error
    if channel not in Channel.values or not isinstance(contact_id, int):
        raise InvalidUnsubscribeToken
    contact = (
        Contact.objects.select_related("organization")
        .filter(pk=contact_id, organization_id=organization_id)
        .first()
    )
    if contact is None:
        raise InvalidUnsubscribeToken
    return UnsubscribeTarget(contact=contact, channel=channel)
