from django import template
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Why an invitation was not sent, or sent later: the codes of the API, in words.
REASONS: dict[str, Promise] = {
    "opted_out": _("opted out"),
    "recently_invited": _("invited recently"),
    "yearly_limit": _("yearly limit reached"),
    "quiet_hours": _("deferred past quiet hours"),
    "no_email": _("no e-mail address"),
    "no_phone": _("no phone number"),
    "survey_inactive": _("survey not active"),
    "conditions_not_met": _("conditions not met"),
    "duplicate": _("already invited by this rule"),
}


@register.filter
def reason_label(code: str) -> str:
    """``{{ "opted_out"|reason_label }}`` → "opted out"; unknown codes as they are."""
    label = REASONS.get(code)
    return str(label) if label is not None else code
