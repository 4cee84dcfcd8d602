"""Placeholder of the invitation e-mail content (the `mail` branch provides the real one).

Same interface as the real module: the sender builds the message from a RenderedEmail and
sets the Message-ID itself.
"""

from dataclasses import dataclass

from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from cxloop.common.languages import django_language, normalize_language, pick_text
from cxloop.contacts.services import unsubscribe_url
from cxloop.distribution.models import Invitation
from cxloop.distribution.services import invitation_link


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


def render_invitation_email(*, invitation: Invitation, kind: str) -> RenderedEmail:
    survey = invitation.survey
    contact = invitation.contact
    wanted = normalize_language(contact.language)
    language = wanted if wanted and wanted in survey.languages else survey.default_language
    title = pick_text(survey.title, language) or survey.name
    unsubscribe = unsubscribe_url(contact, "email")
    scores = [(n, invitation_link(invitation, score=n)) for n in range(11)]
    with translation.override(django_language(language)):
        subject = (
            _("Reminder: %(survey)s") % {"survey": title}
            if kind == "reminder"
            else _("How likely are you to recommend us? %(survey)s") % {"survey": title}
        )
        text = "\n".join(
            [
                subject,
                "",
                *(f"{n}: {link}" for n, link in scores),
                "",
                invitation_link(invitation),
                "",
                _("Unsubscribe: %(link)s") % {"link": unsubscribe},
            ]
        )
        html = "".join(
            [
                f"<p>{escape(subject)}</p><p>",
                *(f'<a href="{escape(link)}">{n}</a> ' for n, link in scores),
                f'</p><p><a href="{escape(invitation_link(invitation))}">{escape(title)}</a></p>',
                f'<p><a href="{escape(unsubscribe)}">{escape(_("Unsubscribe"))}</a></p>',
            ]
        )
    return RenderedEmail(
        subject=subject,
        text=text,
        html=html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
