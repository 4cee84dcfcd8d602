import hashlib
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo, available_timezones

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cxloop.organizations.models import ApiKey, Membership, Organization, Role

API_KEY_PREFIX = "cxl"
# Touching last_used_at on every request would turn every API read into a write.
API_KEY_USAGE_RESOLUTION = timedelta(minutes=5)


def validate_time_zone(time_zone: str) -> None:
    if time_zone not in available_timezones():
        raise ValidationError({"time_zone": _("Unknown time zone: %(tz)s") % {"tz": time_zone}})


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
    owner: AbstractBaseUser,
    slug: str | None = None,
    time_zone: str = "Asia/Shanghai",
) -> Organization:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("An organization needs a name.")})
    validate_time_zone(time_zone)
    organization = Organization.objects.create(
        name=name, slug=slug or unique_organization_slug(name), time_zone=time_zone
    )
    Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def membership_set(*, organization: Organization, user: AbstractBaseUser, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s") % {"role": role}})
    membership, _created = Membership.objects.update_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    return membership


def organization_time_zone(organization: Organization) -> ZoneInfo:
    return ZoneInfo(organization.time_zone)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *, organization: Organization, name: str, by: AbstractBaseUser | None = None
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
