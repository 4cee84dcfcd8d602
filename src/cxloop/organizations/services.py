import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cxloop.accounts.selectors import user_with_email
from cxloop.analytics.tasks import rebuild_rollups_after_commit
from cxloop.common.errors import FieldError, InputError
from cxloop.common.text import is_attribute_name
from cxloop.organizations.models import (
    MAX_ANALYSIS_DIMENSIONS,
    ApiKey,
    Membership,
    Organization,
    Role,
)

API_KEY_PREFIX = "cxl"
# Touching last_used_at on every request would turn every API read into a write.
API_KEY_USAGE_RESOLUTION = timedelta(minutes=5)


def validate_time_zone(time_zone: str) -> None:
    if time_zone not in available_timezones():
        raise InputError.single("time_zone", _("Unknown time zone: %(tz)s") % {"tz": time_zone})


def unique_organization_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    candidate = base
    while Organization.objects.filter(slug=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate


@transaction.atomic
def organization_create(
    *,
    name: str,
    owner: User,
    slug: str | None = None,
    time_zone: str = "Asia/Shanghai",
) -> Organization:
    name = name.strip()
    if not name:
        raise InputError.single("name", _("An organization needs a name."))
    validate_time_zone(time_zone)
    organization = Organization.objects.create(
        name=name, slug=slug or unique_organization_slug(name), time_zone=time_zone
    )
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def membership_set(*, organization: Organization, user: User, role: str) -> Membership:
    if role not in Role.values:
        raise InputError.single("role", _("Unknown role: %(role)s") % {"role": role})
    membership, _created = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


def organization_time_zone(organization: Organization) -> ZoneInfo:
    return ZoneInfo(organization.time_zone)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, organization: Organization, name: str, by: User | None = None
) -> tuple[ApiKey, str]:
    """Create a key and return it with its plain value, which is shown once and never stored."""
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    raw_key = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    api_key = ApiKey.objects.create(
        organization=organization,
        name=name.strip() or "API key",
        prefix=prefix,
        digest=_digest(raw_key),
        created_by=by if by is not None and by.is_authenticated else None,
    )
    return api_key, raw_key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    parts = raw_key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    api_key = (
        ApiKey.objects.select_related("organization")
        .filter(prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not secrets.compare_digest(api_key.digest, _digest(raw_key.strip())):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_USAGE_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


# --- Settings, members and invitations (web UI) ---------------------------------------------


def clean_analysis_dimensions(raw: Sequence[str]) -> list[str]:
    """Attribute names to pre-aggregate: valid names, no repeats, at most 8."""
    names = list(dict.fromkeys(name.strip() for name in raw if name.strip()))
    bad = [name for name in names if not is_attribute_name(name)]
    if bad:
        raise InputError.single(
            "analysis_dimensions",
            _("Not an attribute name: %(names)s.") % {"names": ", ".join(bad)},
        )
    if len(names) > MAX_ANALYSIS_DIMENSIONS:
        raise InputError.single(
            "analysis_dimensions",
            _("Choose at most %(n)d attributes.") % {"n": MAX_ANALYSIS_DIMENSIONS},
        )
    return names


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    name: str,
    time_zone: str,
    analysis_dimensions: Sequence[str] | None = None,
) -> Organization:
    """Rename, move to another time zone, or choose the attributes dashboards pre-aggregate.

    Rollups count days in the organization's time zone per analysis dimension, so changing
    either queues a rebuild of every survey's rollups; dashboards read the raw responses
    until it is done.
    """
    name = name.strip()
    errors: list[FieldError] = []
    name_limit = Organization._meta.get_field("name").max_length or 200
    if not name:
        errors.append(FieldError("name", _("An organization needs a name.")))
    elif len(name) > name_limit:
        errors.append(
            FieldError("name", _("Use at most %(limit)d characters.") % {"limit": name_limit})
        )
    for check in (
        lambda: validate_time_zone(time_zone),
        lambda: clean_analysis_dimensions(analysis_dimensions or []),
    ):
        try:
            check()
        except InputError as error:
            errors.extend(error.errors)
    if errors:
        raise InputError(errors)
    dimensions = (
        clean_analysis_dimensions(analysis_dimensions)
        if analysis_dimensions is not None
        else list(organization.analysis_dimensions)
    )
    rollups_affected = (
        time_zone != organization.time_zone or dimensions != organization.analysis_dimensions
    )
    organization.name = name
    organization.time_zone = time_zone
    organization.analysis_dimensions = dimensions
    organization.save(update_fields=["name", "time_zone", "analysis_dimensions"])
    if rollups_affected:
        rebuild_rollups_after_commit(organization=organization)
    return organization


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InputError.single("role", _("Unknown role: %(role)s") % {"role": role})


def _check_may_manage(by: Membership, organization: Organization) -> None:
    if by.organization_id != organization.pk or not by.can_manage_organization:
        raise PermissionDenied


def _check_owner_rights(*, by: Membership, touches_owner: bool) -> None:
    # An admin could otherwise take the organization over by demoting or removing its owners.
    if touches_owner and by.role != Role.OWNER:
        raise InputError.single(
            "role", _("Only an owner can grant the owner role or change an owner's membership.")
        )


def _check_not_last_owner(membership: Membership) -> None:
    """Refuse to leave the organization without an owner (the rows are locked till commit)."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(organization_id=membership.organization_id, role=Role.OWNER)
        .values_list("pk", flat=True)
    )
    if owners == [membership.pk]:
        raise InputError.single(
            "role",
            _("An organization needs at least one owner: make another member owner first."),
        )


@dataclass(frozen=True, slots=True)
class MemberAdded:
    membership: Membership
    invited: bool  # True when a new account was created and a set-password link was e-mailed


def member_add(*, organization: Organization, email: str, role: str, by: Membership) -> MemberAdded:
    """Add the person with this e-mail; a new address gets an account and a set-password link."""
    _check_may_manage(by, organization)
    email = BaseUserManager.normalize_email(email.strip())
    try:
        validate_email(email)
    except ValidationError as error:
        raise InputError.single("email", _("Enter a valid e-mail address.")) from error
    _check_role(role)
    _check_owner_rights(by=by, touches_owner=role == Role.OWNER)
    already_member = InputError.single(
        "email", _("%(email)s is already a member.") % {"email": email}
    )
    try:
        with transaction.atomic():
            user = user_with_email(email)
            invited = user is None
            if user is None:
                user = get_user_model()(username=uuid.uuid4().hex, email=email)
                user.set_unusable_password()
                user.save()
            elif Membership.objects.filter(organization=organization, user=user).exists():
                raise already_member
            membership = Membership.objects.create(organization=organization, user=user, role=role)
    except IntegrityError as error:
        # A double-submitted form: the first request added the member (the unique
        # constraints on memberships and e-mail addresses decided which one).
        raise already_member from error
    if invited:
        _send_invitation(membership=membership, invited_by=by)
    return MemberAdded(membership=membership, invited=invited)


def _send_invitation(*, membership: Membership, invited_by: Membership) -> None:
    user = membership.user
    link = settings.PUBLIC_URL + reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "organization": membership.organization,
        "inviter": invited_by.user,
        "role": membership.get_role_display(),
        "link": link,
        "login_url": settings.PUBLIC_URL + reverse("accounts:login"),
    }
    subject = render_to_string("organizations/email/invitation_subject.txt", context)
    body = render_to_string("organizations/email/invitation_email.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])


@transaction.atomic
def member_role_change(*, membership: Membership, role: str, by: Membership) -> Membership:
    _check_may_manage(by, membership.organization)
    _check_role(role)
    if role == membership.role:
        return membership
    _check_owner_rights(by=by, touches_owner=Role.OWNER in (role, membership.role))
    if membership.role == Role.OWNER:
        _check_not_last_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, by: Membership) -> None:
    _check_may_manage(by, membership.organization)
    _check_owner_rights(by=by, touches_owner=membership.role == Role.OWNER)
    if membership.role == Role.OWNER:
        _check_not_last_owner(membership)
    membership.delete()
