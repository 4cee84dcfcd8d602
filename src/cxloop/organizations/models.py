from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_ANALYSIS_DIMENSIONS = 8
DEFAULT_ANALYSIS_DIMENSIONS: tuple[str, ...] = (
    "store",
    "region",
    "city",
    "product",
    "channel",
    "business_unit",
    "touchpoint",
)


def default_analysis_dimensions() -> list[str]:
    return list(DEFAULT_ANALYSIS_DIMENSIONS)


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # Response attributes the dashboards pre-aggregate (at most 8); others are still
    # filterable and breakable down, computed from the raw responses.
    analysis_dimensions = models.JSONField(default=default_analysis_dimensions)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


# What each role may do. Web views enforce it at the door (organizations.decorators
# .member_required); member-management services check it again because their rules
# (the last owner, who may touch owners) depend on the acting member.
ROLES_THAT_EDIT_SURVEYS: frozenset[str] = frozenset({Role.OWNER, Role.ADMIN, Role.ANALYST})
ROLES_THAT_MANAGE_ORGANIZATION: frozenset[str] = frozenset({Role.OWNER, Role.ADMIN})


class Membership(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("organization", "user"), name="membership_unique_user_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.role})"

    @property
    def can_edit_surveys(self) -> bool:
        return self.role in ROLES_THAT_EDIT_SURVEYS

    @property
    def can_manage_organization(self) -> bool:
        return self.role in ROLES_THAT_MANAGE_ORGANIZATION


class ApiKey(models.Model):
    """An organization's API key. Only a SHA-256 digest of the secret is stored."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
