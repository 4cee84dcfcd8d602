from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from cxloop.organizations.models import ApiKey, Membership, Organization


def membership_for(
    *, user: AbstractBaseUser | AnonymousUser, organization_slug: str
) -> Membership | None:
    """The user's membership in the organization, or None: the only door into its data."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization", "user")
        .filter(user=user, organization__slug=organization_slug)
        .first()
    )


def memberships_of(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.select_related("organization").filter(user=user)


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("user")
        .filter(organization=organization)
        .order_by("user__email")
    )


def api_key_list(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization)
