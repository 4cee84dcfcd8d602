"""Writing contacts: upserts (API, imports), opt-outs and the unsubscribe link."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.contacts.cleaning import ContactData, clean_contact_data
from cxloop.contacts.imports import ImportedRow, read_contact_rows
from cxloop.contacts.models import Channel, Contact, OptOutSource
from cxloop.contacts.selectors import UNSUBSCRIBE_SALT, unsubscribe_target
from cxloop.organizations.models import Organization

MAX_UPSERT_ITEMS = 1000
# A report lists this many failed rows; beyond it only the count grows, so a file of
# 100,000 bad rows cannot fill the server's memory or the page.
MAX_REPORTED_ROW_ERRORS = 1000


class UpsertStatus:
    CREATED = "created"
    UPDATED = "updated"
    ERROR = "error"


def _channel(channel: str) -> str:
    if channel not in Channel.values:
        raise InputError.single(
            "channel",
            _("Choose a channel: %(channels)s.") % {"channels": ", ".join(Channel.values)},
        )
    return channel


# --- Upserts -----------------------------------------------------------------------------


def _apply(contact: Contact, data: ContactData) -> None:
    for name, value in data.fields.items():
        setattr(contact, name, value)
    attributes = dict(contact.attributes or {})
    for name, attribute_value in data.attributes.items():
        if attribute_value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = attribute_value
    contact.attributes = attributes


def _find(organization: Organization, data: ContactData) -> Contact | None:
    key, value = data.lookup()
    if key == "external_id":
        return (
            Contact.objects.select_for_update()
            .filter(organization=organization, external_id=value)
            .first()
        )
    # E-mail and phone are not unique (a household may share one), so no constraint
    # settles a race between two upserts of the same address: take the organization's row
    # lock so they run one after the other.
    list(Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk"))
    matches = list(
        Contact.objects.select_for_update().filter(organization=organization, **{key: value})[:2]
    )
    if len(matches) > 1:
        label = _("e-mail address") if key == "email" else _("phone number")
        raise InputError.single(
            key,
            _("Several contacts have this %(what)s; send external_id to say which one.")
            % {"what": label},
        )
    return matches[0] if matches else None


def _upsert_once(organization: Organization, data: ContactData) -> tuple[Contact, bool]:
    with transaction.atomic():
        contact = _find(organization, data)
        created = contact is None
        if contact is None:
            contact = Contact(organization=organization)
        address_before = contact.email
        _apply(contact, data)
        if contact.email != address_before:
            contact.email_bounced_at = None  # a new address gets its own chance
        contact.save()
    return contact, created


def contact_upsert(*, organization: Organization, data: Mapping[str, Any]) -> tuple[Contact, bool]:
    """Create or update the contact identified by external_id, else e-mail, else phone.

    Fields absent from ``data`` are left as they are; "" or null clears one. Attributes are
    merged: a null or empty value removes that attribute. Returns (contact, created).
    """
    cleaned = clean_contact_data(data)
    try:
        return _upsert_once(organization, cleaned)
    except IntegrityError:
        # Another request created the same external id between our lookup and insert;
        # the second attempt finds it and updates it.
        return _upsert_once(organization, cleaned)


@dataclass(frozen=True, slots=True)
class UpsertItem:
    index: int
    status: str
    contact: Contact | None = None
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True, slots=True)
class UpsertReport:
    items: tuple[UpsertItem, ...]

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def all_created(self) -> bool:
        return all(item.status == UpsertStatus.CREATED for item in self.items)


def contacts_upsert_many(*, organization: Organization, items: Iterable[Any]) -> UpsertReport:
    """Upsert each item on its own: a bad item is reported and the good ones are kept."""
    results: list[UpsertItem] = []
    for index, item in enumerate(items):
        try:
            contact, created = contact_upsert(organization=organization, data=item)
        except InputError as error:
            results.append(UpsertItem(index=index, status=UpsertStatus.ERROR, errors=error.errors))
        else:
            status = UpsertStatus.CREATED if created else UpsertStatus.UPDATED
            results.append(UpsertItem(index=index, status=status, contact=contact))
    return UpsertReport(items=tuple(results))


# --- Imports -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str  # the column's heading in the file; "" for the row as a whole
    message: str


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    updated: int = 0
    failed_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    errors_not_listed: int = 0  # errors beyond MAX_REPORTED_ROW_ERRORS

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.failed_rows

    def add_errors(self, row: int, errors: Iterable[RowError]) -> None:
        self.failed_rows += 1
        for error in errors:
            if len(self.errors) < MAX_REPORTED_ROW_ERRORS:
                self.errors.append(error)
            else:
                self.errors_not_listed += 1


def _row_errors(row: ImportedRow, error: InputError) -> list[RowError]:
    problems = []
    for item in error.errors:
        top = item.field.split(".", 1)
        if top[0] == "attributes" and len(top) > 1:
            column = row.columns.get(f"attr:{top[1]}", top[1])
        else:
            column = row.columns.get(top[0], top[0])
        problems.append(RowError(row=row.number, column=column, message=item.message))
    return problems


def contacts_import(*, organization: Organization, file: IO[bytes], filename: str) -> ImportReport:
    """Upsert every row of a CSV or XLSX file; each row stands alone.

    The file as a whole is checked first (format, size, row count, headings) and refused
    with an InputError on "file" before any row is written. Then bad rows are reported by
    their spreadsheet row number and reason while good rows are kept. Empty cells leave
    the contact's value unchanged, so a sparse sheet never wipes data.
    """
    report = ImportReport()
    for row in read_contact_rows(file=file, filename=filename):
        try:
            _contact, created = contact_upsert(organization=organization, data=row.data)
        except InputError as error:
            report.add_errors(row.number, _row_errors(row, error))
        else:
            if created:
                report.created += 1
            else:
                report.updated += 1
    return report


# --- Opt-outs and unsubscribe links ------------------------------------------------------


def _opt_out_fields(channel: str) -> tuple[str, str]:
    return f"{channel}_opted_out_at", f"{channel}_opt_out_source"


def contact_opt_out(*, contact: Contact, channel: str, source: str) -> Contact:
    """Stop messages on the channel. Idempotent: the first opt-out's time and source stay."""
    at_field, source_field = _opt_out_fields(_channel(channel))
    if source not in OptOutSource.values:
        raise ValueError(f"unknown opt-out source {source!r}")
    # A conditional update: two clicks at once must not overwrite the first time.
    Contact.objects.filter(pk=contact.pk, **{f"{at_field}__isnull": True}).update(
        **{at_field: timezone.now(), source_field: source, "updated_at": timezone.now()}
    )
    contact.refresh_from_db()
    return contact


def contact_opt_in(*, contact: Contact, channel: str) -> Contact:
    """Resume messages on the channel (a staff decision, e.g. the customer asked again)."""
    at_field, source_field = _opt_out_fields(_channel(channel))
    Contact.objects.filter(pk=contact.pk).update(
        **{at_field: None, source_field: "", "updated_at": timezone.now()}
    )
    contact.refresh_from_db()
    return contact


def unsubscribe_token(contact: Contact, channel: str) -> str:
    payload = {"o": contact.organization_id, "c": contact.pk, "ch": _channel(channel)}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(contact: Contact, channel: str) -> str:
    """The absolute link every message to the contact on this channel must carry."""
    token = unsubscribe_token(contact, channel)
    return settings.PUBLIC_URL + reverse("contacts_public:unsubscribe", args=[token])


def unsubscribe_by_token(token: str) -> Contact:
    """Opt the link's contact out of the link's channel (and nothing else)."""
    target = unsubscribe_target(token)
    return contact_opt_out(
        contact=target.contact, channel=target.channel, source=OptOutSource.UNSUBSCRIBE_LINK
    )
