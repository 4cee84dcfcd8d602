import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cxloop.accounts.selectors import user_with_email
from cxloop.common.errors import FieldError, InputError
from cxloop.organizations.models import Organization
from cxloop.organizations.services import organization_create

EMAIL_MAX_LENGTH = 254
NAME_MAX_LENGTH = 150  # auth.User.first_name, where the display name is kept
ORGANIZATION_NAME_MAX_LENGTH = Organization._meta.get_field("name").max_length or 200


def EMAIL_TAKEN() -> FieldError:
    return FieldError(
        "email",
        _(
            "An account with this e-mail address already exists. "
            "Log in, or reset your password if you have forgotten it."
        ),
    )


def _too_long(field: str, limit: int) -> FieldError:
    return FieldError(field, _("Use at most %(limit)d characters.") % {"limit": limit})


@transaction.atomic
def user_sign_up(*, email: str, password: str, name: str, organization_name: str) -> User:
    """Create an account and its first organization, with the new user as owner."""
    email = BaseUserManager.normalize_email(email.strip())
    name = name.strip()
    organization_name = organization_name.strip()
    errors: list[FieldError] = []

    try:
        validate_email(email)
    except ValidationError:
        errors.append(FieldError("email", _("Enter a valid e-mail address.")))
    else:
        if len(email) > EMAIL_MAX_LENGTH:
            errors.append(_too_long("email", EMAIL_MAX_LENGTH))
        elif user_with_email(email) is not None:
            errors.append(EMAIL_TAKEN())
    if not name:
        errors.append(FieldError("name", _("Tell us your name.")))
    elif len(name) > NAME_MAX_LENGTH:
        errors.append(_too_long("name", NAME_MAX_LENGTH))
    if not organization_name:
        errors.append(FieldError("organization_name", _("An organization needs a name.")))
    elif len(organization_name) > ORGANIZATION_NAME_MAX_LENGTH:
        errors.append(_too_long("organization_name", ORGANIZATION_NAME_MAX_LENGTH))

    # The username is internal (people log in by e-mail), so it only has to be unique.
    user = get_user_model()(username=uuid.uuid4().hex, email=email, first_name=name)
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors.extend(FieldError("password", message) for message in error.messages)
    if errors:
        raise InputError(errors)

    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # A concurrent sign-up with the same address won; the unique index decided.
        raise InputError([EMAIL_TAKEN()]) from error
    organization_create(name=organization_name, owner=user)
    return user
