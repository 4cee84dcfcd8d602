import unicodedata
from collections.abc import Iterator
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

EMAIL_MAX_LENGTH = 254


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form with the e-mail address in place of the username."""

    username = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The e-mail address or password is not correct. Please try again."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django sizes the field for the 150-character username; e-mail addresses are longer.
        username = cast(forms.CharField, self.fields["username"])
        username.max_length = EMAIL_MAX_LENGTH
        username.widget.attrs["maxlength"] = str(EMAIL_MAX_LENGTH)

    def get_invalid_login_error(self) -> forms.ValidationError:
        return forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password_confirm = forms.CharField(
        label=_("Password confirmation"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    organization_name = forms.CharField(
        label=_("Organization name"),
        max_length=200,
        help_text=_("Your company or team. You can invite colleagues later."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        confirmation = cleaned.get("password_confirm")
        if password and confirmation and password != confirmation:
            self.add_error("password_confirm", _("The two passwords do not match."))
        return cleaned


def _same_email(first: str, second: str) -> bool:
    return (
        unicodedata.normalize("NFKC", first).casefold()
        == unicodedata.normalize("NFKC", second).casefold()
    )


class PasswordResetIncludingInvitedForm(PasswordResetForm):
    """Also send a link to invited members who never set a password.

    Django skips accounts without a usable password; here that is exactly an invitation
    whose link expired, and a fresh link is the way in.
    """

    def get_users(self, email: str) -> Iterator[User]:
        users = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        # As Django does: a Unicode case-folding lookalike must not receive someone else's link.
        return (user for user in users if _same_email(email, user.email))
