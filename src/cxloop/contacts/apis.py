from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import WithJsonSchema

from cxloop.common.errors import InputError
from cxloop.contacts.models import Contact, OptOutSource
from cxloop.contacts.selectors import (
    contact_filters_from_query,
    contact_get_by_external_id,
    contact_list,
)
from cxloop.contacts.services import (
    MAX_UPSERT_ITEMS,
    UpsertReport,
    UpsertStatus,
    contact_opt_out,
    contacts_upsert_many,
)
from cxloop.surveys.apis import organization_of

router = Router(tags=["contacts"])


class ContactOut(Schema):
    id: int
    external_id: str
    name: str
    email: str
    phone: str = Field(description="E.164, e.g. +8613800138000")
    language: str
    time_zone: str = Field(description="IANA name; empty means the organization's")
    attributes: dict[str, str]
    email_opted_out_at: datetime | None
    sms_opted_out_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ItemErrorOut(Schema):
    field: str
    msg: str


class UpsertItemOut(Schema):
    index: int
    status: Literal["created", "updated", "error"]
    id: int | None = None
    external_id: str | None = None
    errors: list[ItemErrorOut] = Field(default_factory=list)


class UpsertReportOut(Schema):
    created: int
    updated: int
    failed: int
    items: list[UpsertItemOut]


class OptOutIn(Schema):
    channel: Literal["email", "sms"]


CONTACT_ITEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "external_id": {"type": "string", "maxLength": 100},
        "name": {"type": "string", "maxLength": 200},
        "email": {"type": "string"},
        "phone": {
            "type": "string",
            "description": "any usual spelling; without + it is read as a Chinese number",
        },
        "language": {"type": "string", "enum": ["zh-Hans", "zh-Hant", "en"]},
        "time_zone": {"type": "string", "example": "Asia/Shanghai"},
        "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}


# Items are checked one by one by the service (a bad item is reported, not fatal), so the
# body is parsed loosely; this schema documents what each item holds.
ContactsPayload = Annotated[
    dict[str, Any] | list[Any],
    WithJsonSchema(
        {
            "anyOf": [
                CONTACT_ITEM_SCHEMA,
                {"type": "array", "items": CONTACT_ITEM_SCHEMA, "maxItems": MAX_UPSERT_ITEMS},
            ]
        }
    ),
]


def _report_out(report: UpsertReport) -> dict[str, Any]:
    return {
        "created": report.count(UpsertStatus.CREATED),
        "updated": report.count(UpsertStatus.UPDATED),
        "failed": report.count(UpsertStatus.ERROR),
        "items": [
            {
                "index": item.index,
                "status": item.status,
                "id": item.contact.pk if item.contact else None,
                "external_id": item.contact.external_id if item.contact else None,
                "errors": [{"field": e.field, "msg": e.message} for e in item.errors],
            }
            for item in report.items
        ],
    }


@router.post(
    "",
    response={201: UpsertReportOut, 200: UpsertReportOut},
    summary="Create or update contacts (one object or a list)",
)
def upsert_contacts(request: HttpRequest, payload: Body[ContactsPayload]) -> Status[dict[str, Any]]:
    """Each contact is matched by `external_id`, else by `email`, else by `phone`, and
    updated, or created when none matches. Fields left out keep their value; `""` or null
    clears one; `attributes` are merged (a null value removes one).

    Every item stands alone: the report says for each (by its `index`) whether it was
    created, updated, or refused with the reasons. 201 when every item was created, 200
    otherwise; 422 only when the body as a whole is not a contact or a list of at most
    1000."""
    items = payload if isinstance(payload, list) else [payload]
    if not items:
        raise InputError.single("", _("Send a contact or a list of contacts."))
    if len(items) > MAX_UPSERT_ITEMS:
        raise InputError.single(
            "",
            _("Send at most %(limit)d contacts per request.") % {"limit": MAX_UPSERT_ITEMS},
        )
    report = contacts_upsert_many(organization=organization_of(request), items=items)
    return Status(201 if report.all_created else 200, _report_out(report))


@router.get("", response=list[ContactOut], summary="List contacts (newest first)")
@paginate(LimitOffsetPagination)
def list_contacts(request: HttpRequest) -> QuerySet[Contact]:
    """Filters: `q` (part of the name, e-mail, phone or external id) and
    `attr.<name>=<value>` (exact; several names combine with AND)."""
    filters = contact_filters_from_query(dict(request.GET.lists()))
    return contact_list(organization=organization_of(request), filters=filters)


def _contact_or_404(request: HttpRequest, external_id: str) -> Contact:
    contact = contact_get_by_external_id(
        organization=organization_of(request), external_id=external_id
    )
    if contact is None:
        raise Http404
    return contact


@router.get("/{external_id}", response=ContactOut, summary="Get a contact by its external id")
def get_contact(request: HttpRequest, external_id: str) -> Contact:
    return _contact_or_404(request, external_id)


@router.post(
    "/{external_id}/opt-out",
    response=ContactOut,
    summary="Stop messages to a contact on a channel",
)
def opt_out_contact(request: HttpRequest, external_id: str, payload: OptOutIn) -> Contact:
    """Idempotent: opting out twice keeps the first time."""
    return contact_opt_out(
        contact=_contact_or_404(request, external_id),
        channel=payload.channel,
        source=OptOutSource.API,
    )
