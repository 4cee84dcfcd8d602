from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from cxloop.organizations.models import ApiKey, Membership, Organization


def membership_for(*, user: User | AnonymousUser, organization_slug: str) -> Membership | None:
    """The user's membership in the organization, or None: the only door into its data."""
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.select_related("organization", "user")
        .filter(user=user, organization__slug=organization_slug)
        .first()
    )


def memberships_of(*, user: User) -> QuerySet[Membership]:
    return Membership.objects.select_related("organization").filter(user=user)


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.select_related("user")
        .filter(organization=organization)
        .order_by("user__email")
    )


def api_key_list(*, organization: Organization) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(organization=organization)


def member_get(*, organization: Organization, membership_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("user", "organization")
        .filter(organization=organization, pk=membership_id)
        .first()
    )


def api_key_get(*, organization: Organization, api_key_id: int) -> ApiKey | None:
    return ApiKey.objects.filter(organization=organization, pk=api_key_id).first()
