"""Resolving the organization a web request works in: the only door into its data."""

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from cxloop.organizations.middleware import activate_organization_time_zone
from cxloop.organizations.models import Membership
from cxloop.organizations.selectors import membership_for

P = ParamSpec("P")
MemberView = Callable[Concatenate[HttpRequest, Membership, P], HttpResponseBase]


def member_required(
    *, edit_surveys: bool = False, manage_organization: bool = False
) -> Callable[[MemberView[P]], Callable[..., HttpResponseBase]]:
    """Give the view the user's membership of ``org_slug``.

    A user who is not a member gets 404 (the organization's existence is not revealed);
    a member whose role lacks the permission gets 403.
    """

    def decorator(view: MemberView[P]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def wrapper(
            request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any
        ) -> HttpResponseBase:
            membership = membership_for(user=request.user, organization_slug=org_slug)
            if membership is None:
                raise Http404
            if edit_surveys and not membership.can_edit_surveys:
                raise PermissionDenied
            if manage_organization and not membership.can_manage_organization:
                raise PermissionDenied
            activate_organization_time_zone(membership.organization.time_zone)
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator
