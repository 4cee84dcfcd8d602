"""Writing contacts: upserts (API, imports), opt-outs and the unsubscribe link."""

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.contacts.cleaning import ContactData, clean_contact_data
from cxloop.contacts.imports import ImportedRow, check_contact_file, read_contact_rows
from cxloop.contacts.models import (
    Channel,
    Contact,
    ContactImport,
    ContactImportStatus,
    OptOutSource,
)
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


# --- Imports in the background -----------------------------------------------------------

IMPORT_CHUNK_ROWS = 100


def contact_import_start(
    *,
    organization: Organization,
    file: IO[bytes],
    filename: str,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> ContactImport:
    """Accept a contact file and import it in the background.

    The file as a whole is checked now (InputError on "file": nothing is kept); its rows are
    upserted by the worker (`contact_import_run`), whose progress the import's page shows.
    """
    total_rows = check_contact_file(file=file, filename=filename)
    file.seek(0)
    job = ContactImport.objects.create(
        organization=organization,
        created_by=by if by is not None and by.is_authenticated else None,  # type: ignore[misc]
        filename=filename[:255],
        content=file.read(),
        total_rows=total_rows,
    )
    # The task module imports this one; import here to keep services free of task wiring.
    from cxloop.contacts.tasks import run_contact_import

    transaction.on_commit(lambda: run_contact_import.enqueue(job.pk))
    return job


def _locked_import(import_id: int) -> ContactImport | None:
    return ContactImport.objects.select_for_update().filter(pk=import_id).first()


def _import_chunk(import_id: int, chunk: list[ImportedRow], expected_through: int) -> bool:
    """Upsert one chunk and record its progress in the same transaction; False when another
    worker got there first (the import is finished or has moved past this chunk)."""
    with transaction.atomic():
        job = _locked_import(import_id)
        if job is None or job.is_finished or job.rows_done_through != expected_through:
            return False
        for row in chunk:
            try:
                _contact, created = contact_upsert(organization=job.organization, data=row.data)
            except InputError as error:
                job.failed_rows += 1
                for problem in _row_errors(row, error):
                    if len(job.errors) < MAX_REPORTED_ROW_ERRORS:
                        job.errors.append(
                            {"row": problem.row, "column": problem.column, "msg": problem.message}
                        )
                    else:
                        job.errors_not_listed += 1
            else:
                if created:
                    job.created += 1
                else:
                    job.updated += 1
        job.rows_done_through = chunk[-1].number
        job.save(
            update_fields=[
                "created",
                "updated",
                "failed_rows",
                "errors",
                "errors_not_listed",
                "rows_done_through",
            ]
        )
    return True


def contact_import_run(*, import_id: int) -> ContactImport | None:
    """Import the rows of an accepted file; safe to run again or twice at once.

    Rows are upserted in chunks, each committed together with the import's progress, so a
    worker that was killed resumes after the last committed chunk and no row is applied
    twice. Returns the import (None if it was deleted).
    """
    with transaction.atomic():
        job = _locked_import(import_id)
        if job is None or job.is_finished:
            return job
        if job.status == ContactImportStatus.QUEUED:
            job.status = ContactImportStatus.RUNNING
            job.started_at = timezone.now()
            job.save(update_fields=["status", "started_at"])
    done_through = job.rows_done_through
    try:
        rows = read_contact_rows(file=io.BytesIO(bytes(job.content)), filename=job.filename)
        chunk: list[ImportedRow] = []
        for row in rows:
            if row.number <= done_through:
                continue
            chunk.append(row)
            if len(chunk) == IMPORT_CHUNK_ROWS:
                if not _import_chunk(import_id, chunk, done_through):
                    return ContactImport.objects.filter(pk=import_id).first()
                done_through, chunk = chunk[-1].number, []
        if chunk and not _import_chunk(import_id, chunk, done_through):
            return ContactImport.objects.filter(pk=import_id).first()
    except InputError as error:
        # The file passed the checks when it was accepted; only a changed parser can get
        # here. Say so rather than leave the import "importing" for ever.
        return _import_finish(import_id, failure="; ".join(e.message for e in error.errors))
    return _import_finish(import_id)


def _import_finish(import_id: int, *, failure: str = "") -> ContactImport | None:
    with transaction.atomic():
        job = _locked_import(import_id)
        if job is None or job.is_finished:
            return job
        job.status = ContactImportStatus.FAILED if failure else ContactImportStatus.DONE
        job.failure = failure
        job.finished_at = timezone.now()
        job.content = b""  # the file is not needed any more; its report stays
        job.save(update_fields=["status", "failure", "finished_at", "content"])
    return job
