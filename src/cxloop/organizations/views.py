from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.common.errors import InputError
from cxloop.organizations.decorators import member_required
from cxloop.organizations.forms import (
    ApiKeyCreateForm,
    MemberAddForm,
    MemberRoleForm,
    OrganizationForm,
    add_service_errors,
)
from cxloop.organizations.models import Membership, Role
from cxloop.organizations.selectors import (
    api_key_get,
    api_key_list,
    member_get,
    organization_members,
)
from cxloop.organizations.services import (
    api_key_create,
    api_key_revoke,
    member_add,
    member_remove,
    member_role_change,
    organization_update,
)
from cxloop.organizations.services import organization_create as create_organization


def _status(form_has_errors: bool) -> int:
    return 400 if form_has_errors else 200


@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = create_organization(
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                owner=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Organization “%(name)s” created.") % {"name": organization}
            )
            return redirect("surveys:list", org_slug=organization.slug)
    return render(
        request, "organizations/create.html", {"form": form}, status=_status(bool(form.errors))
    )


@member_required()
def organization_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    if request.method == "POST":
        if not membership.can_manage_organization:
            raise PermissionDenied
        form = OrganizationForm(request.POST, current_time_zone=organization.time_zone)
        if form.is_valid():
            try:
                organization_update(organization=organization, **form.cleaned_data)
            except InputError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("organizations:settings", org_slug=organization.slug)
    else:
        form = OrganizationForm(
            initial={
                "name": organization.name,
                "analysis_dimensions": ", ".join(organization.analysis_dimensions),
            },
            current_time_zone=organization.time_zone,
        )
    return render(
        request,
        "organizations/settings.html",
        {"membership": membership, "organization": organization, "form": form},
        status=_status(bool(form.errors)),
    )


def _members_page(
    request: HttpRequest, membership: Membership, add_form: MemberAddForm, status: int = 200
) -> HttpResponse:
    members = organization_members(organization=membership.organization)
    return render(
        request,
        "organizations/members.html",
        {
            "membership": membership,
            "members": members,
            "add_form": add_form,
            "roles": Role.choices,
        },
        status=status,
    )


@member_required()
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method != "POST":
        return _members_page(request, membership, MemberAddForm())
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            added = member_add(
                organization=membership.organization,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=membership,
            )
        except InputError as error:
            add_service_errors(form, error)
        else:
            email = added.membership.user.email
            if added.invited:
                message = _("%(email)s was added and e-mailed a link to set a password.")
            else:
                message = _("%(email)s was added.")
            messages.success(request, message % {"email": email})
            return redirect("organizations:members", org_slug=membership.organization.slug)
    return _members_page(request, membership, form, status=400)


def _report(request: HttpRequest, error: InputError) -> None:
    for field_error in error.errors:
        messages.error(request, field_error.message)


def _member_or_404(membership: Membership, membership_id: int) -> Membership:
    member = member_get(organization=membership.organization, membership_id=membership_id)
    if member is None:
        raise Http404
    return member


@require_POST
@member_required(manage_organization=True)
def member_role(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    member = _member_or_404(membership, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed roles."))
    else:
        try:
            member_role_change(membership=member, role=form.cleaned_data["role"], by=membership)
        except InputError as error:
            _report(request, error)
        else:
            messages.success(
                request,
                _("%(email)s is now %(role)s.")
                % {"email": member.user.email, "role": member.get_role_display()},
            )
    return redirect("organizations:members", org_slug=membership.organization.slug)


@require_POST
@member_required(manage_organization=True)
def member_delete(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    member = _member_or_404(membership, membership_id)
    try:
        member_remove(membership=member, by=membership)
    except InputError as error:
        _report(request, error)
        return redirect("organizations:members", org_slug=membership.organization.slug)
    messages.success(
        request,
        _("%(email)s was removed from %(organization)s.")
        % {"email": member.user.email, "organization": membership.organization.name},
    )
    if member.user_id == membership.user_id:
        return redirect("home")  # the user just left: the organization's pages are closed to them
    return redirect("organizations:members", org_slug=membership.organization.slug)


@member_required(manage_organization=True)
def api_keys(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    new_raw_key: str | None = None
    form = ApiKeyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        _api_key, new_raw_key = api_key_create(
            organization=organization, name=form.cleaned_data["name"], by=membership.user
        )
        form = ApiKeyCreateForm()
    response = render(
        request,
        "organizations/api_keys.html",
        {
            "membership": membership,
            "api_keys": api_key_list(organization=organization),
            "form": form,
            "new_raw_key": new_raw_key,
        },
        status=_status(bool(form.errors)),
    )
    if new_raw_key is not None:
        # The key is shown once, on this response only: never redirect it through a session.
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required(manage_organization=True)
def api_key_revoke_view(
    request: HttpRequest, membership: Membership, api_key_id: int
) -> HttpResponse:
    api_key = api_key_get(organization=membership.organization, api_key_id=api_key_id)
    if api_key is None:
        raise Http404
    api_key_revoke(api_key=api_key)
    messages.success(
        request,
        _("The key %(prefix)s… was revoked: it no longer works.") % {"prefix": api_key.prefix},
    )
    return redirect("organizations:api_keys", org_slug=membership.organization.slug)
