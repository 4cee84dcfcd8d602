"""Contact pages for members: the list, the import, one contact and its opt-out buttons."""

from typing import IO, Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.common.errors import FieldError, InputError
from cxloop.contacts.forms import ContactImportForm
from cxloop.contacts.models import Channel, Contact, OptOutSource
from cxloop.contacts.presentation import channel_states
from cxloop.contacts.selectors import (
    contact_attribute_names,
    contact_filters,
    contact_get,
    contact_import_get,
    contact_imports_recent,
    contact_invitations,
    contact_list,
    contact_responses,
)
from cxloop.contacts.services import contact_import_start, contact_opt_in, contact_opt_out
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership

PAGE_SIZE = 50
RESPONSES_SHOWN = 100
IMPORT_REFRESH_SECONDS = 2


@member_required()
def contact_list_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    search = request.GET.get("q", "")
    attribute = request.GET.get("attribute", "").strip()
    value = request.GET.get("value", "")
    errors: tuple[FieldError, ...] = ()
    page = None
    try:
        filters = contact_filters(search=search, attributes={attribute: value} if attribute else {})
    except InputError as error:
        errors = error.errors
    else:
        contacts = contact_list(organization=organization, filters=filters)
        page = Paginator(contacts, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "membership": membership,
        "page": page,
        "errors": errors,
        "search": search,
        "attribute": attribute,
        "value": value,
        "filtering": bool(search.strip() or (attribute and value.strip())),
        "attribute_names": contact_attribute_names(organization=organization),
    }
    return render(request, "contacts/list.html", context, status=400 if errors else 200)


@member_required(edit_surveys=True)
def contact_import_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    posted = request.method == "POST"
    form = ContactImportForm(request.POST, request.FILES) if posted else ContactImportForm()
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = contact_import_start(
                organization=membership.organization,
                file=cast(IO[bytes], upload),
                filename=upload.name or "",
                by=request.user,
            )
        except InputError as error:
            for message in error.by_field().values():
                form.add_error("file", message)
        else:
            return redirect("contacts:import_detail", membership.organization.slug, job.pk)
    context = {
        "membership": membership,
        "form": form,
        "imports": contact_imports_recent(organization=membership.organization),
    }
    return render(request, "contacts/import.html", context, status=400 if form.errors else 200)


@member_required(edit_surveys=True)
def contact_import_detail_page(
    request: HttpRequest, membership: Membership, import_id: int
) -> HttpResponse:
    job = contact_import_get(organization=membership.organization, import_id=import_id)
    if job is None:
        raise Http404
    context = {"membership": membership, "job": job, "refresh_seconds": IMPORT_REFRESH_SECONDS}
    # htmx polls the progress until the import has finished.
    polled = request.headers.get("HX-Request") == "true"
    template = "contacts/import_progress.html" if polled else "contacts/import_detail.html"
    return render(request, template, context)


def _contact_or_404(membership: Membership, contact_id: int) -> Contact:
    contact = contact_get(organization=membership.organization, contact_id=contact_id)
    if contact is None:
        raise Http404
    return contact


@member_required()
def contact_detail_page(
    request: HttpRequest, membership: Membership, contact_id: int
) -> HttpResponse:
    contact = _contact_or_404(membership, contact_id)
    responses = contact_responses(organization=membership.organization, contact=contact)
    shown = list(responses[: RESPONSES_SHOWN + 1])
    invitations = contact_invitations(organization=membership.organization, contact=contact)
    shown_invitations = list(invitations[: RESPONSES_SHOWN + 1])
    context = {
        "membership": membership,
        "contact": contact,
        "responses": shown[:RESPONSES_SHOWN],
        "more_responses": len(shown) > RESPONSES_SHOWN,
        "invitations": shown_invitations[:RESPONSES_SHOWN],
        "more_invitations": len(shown_invitations) > RESPONSES_SHOWN,
        "channels": channel_states(contact),
    }
    return render(request, "contacts/detail.html", context)


def _channel_change(
    request: HttpRequest, membership: Membership, contact_id: int, *, opt_out: bool
) -> HttpResponse:
    contact = _contact_or_404(membership, contact_id)
    channel = request.POST.get("channel", "")
    try:
        if opt_out:
            contact_opt_out(contact=contact, channel=channel, source=OptOutSource.STAFF)
        else:
            contact_opt_in(contact=contact, channel=channel)
    except InputError as error:
        for item in error.errors:
            messages.error(request, item.message)
    else:
        label = Channel(channel).label
        if opt_out:
            messages.success(
                request, _("%(channel)s messages to this contact are stopped.") % {"channel": label}
            )
        else:
            messages.success(
                request,
                _("%(channel)s messages to this contact are allowed again.") % {"channel": label},
            )
    return redirect("contacts:detail", org_slug=membership.organization.slug, contact_id=contact.pk)


@require_POST
@member_required(edit_surveys=True)
def contact_opt_out_action(
    request: HttpRequest, membership: Membership, contact_id: int
) -> HttpResponse:
    return _channel_change(request, membership, contact_id, opt_out=True)


@require_POST
@member_required(edit_surveys=True)
def contact_opt_in_action(
    request: HttpRequest, membership: Membership, contact_id: int
) -> HttpResponse:
    return _channel_change(request, membership, contact_id, opt_out=False)
