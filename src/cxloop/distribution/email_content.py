"""What an invitation or reminder e-mail says: subject, plain text, HTML and headers.

The sending pipeline calls ``render_invitation_email``; this module sends nothing. The
organization's texts are filled by ``email_placeholders`` (never by the template engine);
only cxloop's own HTML frame is a Django template, and everything user-written that goes
into it is escaped.
"""

import html as html_lib
import logging
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from cxloop.common.languages import django_language, normalize_language, pick_text
from cxloop.contacts.services import unsubscribe_url
from cxloop.distribution import email_cache, email_placeholders
from cxloop.distribution.email_defaults import (
    ANONYMOUS_CONTACT,
    DEFAULT_EMAIL_TEXTS,
    SAMPLE_CONTACT_NAMES,
    SAMPLE_NPS_QUESTION,
    SAMPLE_SURVEY_TITLES,
    format_date,
)
from cxloop.distribution.models import Invitation
from cxloop.distribution.selectors import email_template_choose
from cxloop.distribution.services import invitation_link, invitation_token
from cxloop.organizations.models import Organization
from cxloop.surveys.definitions import QuestionDefinition
from cxloop.surveys.models import Survey
from cxloop.surveys.survey_templates import NPS_END_LABELS

logger = logging.getLogger(__name__)

HTML_TEMPLATE = "distribution/email/invitation.html"
ONE_CLICK_TYPES = frozenset({"nps", "nps_plus"})
LINK_PLACEHOLDERS = ("link", "unsubscribe_link")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class ScoreButton:
    score: int
    url: str


@dataclass(frozen=True, slots=True)
class OneClickNps:
    """The texts of the score scale; the links are the invitation's own."""

    question: str
    low_label: str
    high_label: str


@dataclass(frozen=True, slots=True)
class _Email:
    language: str
    subject_template: str
    body_template: str
    values: Mapping[str, str]
    organization_name: str
    link: str
    unsubscribe_link: str
    open_pixel_url: str | None
    nps: OneClickNps | None
    score_link: Callable[[int], str]


def email_language(*, contact_language: str, survey: Survey) -> str:
    """The contact's language when the survey speaks it, else the survey's default."""
    offered = [str(language) for language in survey.languages]
    wanted = normalize_language(contact_language)
    if wanted is not None and wanted in offered:
        return wanted
    if survey.default_language in offered or not offered:
        return survey.default_language
    return offered[0]


def _with_language(url: str, language: str) -> str:
    # The personal link page picks its language from ?lang= (else the browser): keep the
    # page in the language the e-mail was written in.
    return f"{url}{'&' if '?' in url else '?'}lang={language}"  # a tag of SURVEY_LANGUAGES


def _first_question(survey: Survey) -> QuestionDefinition | None:
    # Reads prefetched questions when the caller has them, else one LIMIT 1 query.
    first = next(iter(survey.questions.all()[:1]), None)
    return first.definition() if first is not None else None


def _one_click_nps(
    question: QuestionDefinition | None, language: str, fallback_language: str
) -> OneClickNps | None:
    if question is None or question.type not in ONE_CLICK_TYPES:
        return None
    order = (fallback_language,)
    labels = question.labels
    return OneClickNps(
        question=pick_text(question.text, language, order),
        low_label=pick_text(labels.get("low", {}), language, order)
        or NPS_END_LABELS["low"][language],
        high_label=pick_text(labels.get("high", {}), language, order)
        or NPS_END_LABELS["high"][language],
    )


def _escape(text: str) -> str:
    # The standard library's escape: the same entities as Django's, without its lazy-string
    # wrapper, which costs more than the escaping in a batch.
    return html_lib.escape(text, quote=True)


def _html_body(body_template: str, values: Mapping[str, str]) -> SafeString:
    def anchor(escaped_url: str) -> str:
        return (
            f'<a href="{escaped_url}" style="color:#1d4ed8;word-break:break-all">{escaped_url}</a>'
        )

    filled = email_placeholders.fill(
        body_template,
        values,
        escape=_escape,
        wrap=dict.fromkeys(LINK_PLACEHOLDERS, anchor),
    )
    paragraphs = [part.strip("\n") for part in _PARAGRAPH_BREAK.split(filled) if part.strip()]
    style = "margin:0 0 16px 0;line-height:1.6"
    # Every piece was escaped by fill(); only cxloop's own markup is added here.
    return mark_safe(  # noqa: S308
        "".join(f'<p style="{style}">{p.replace(chr(10), "<br>")}</p>' for p in paragraphs)
    )


def _usable_template(subject: str, body: str, language: str, kind: str) -> tuple[str, str]:
    """The stored texts, or the built-in ones if they can no longer be filled (a row saved
    before a placeholder was retired): an e-mail must never fail on its wording."""
    if email_placeholders.problems_of(subject) or email_placeholders.problems_of(body):
        logger.warning("unusable %s e-mail template in %s; using the built-in text", kind, language)
        default = DEFAULT_EMAIL_TEXTS[(language, kind)]
        return default.subject, default.body
    return subject, body


# Marks where each message's own values go in the cached HTML frame. The random part keeps
# a text that happens to contain the mark (an organization name) from being replaced.
_MARK = f"cx{secrets.token_hex(6)}"
_MARK_PATTERN = re.compile(rf"@@{_MARK}_(\w+)@@")
SCORES = tuple(range(11))


def _mark(name: str) -> str:
    return f"@@{_MARK}_{name}@@"


@lru_cache(maxsize=256)
def _html_frame(
    language: str, organization_name: str, nps: OneClickNps | None, with_pixel: bool
) -> str:
    """cxloop's HTML around the message, rendered once per language, organization and
    question; per-message values are marks, filled by _compose without the template engine."""
    with translation.override(django_language(language)):
        return render_to_string(
            HTML_TEMPLATE,
            {
                "language": language,
                "subject": _mark("subject"),
                "body_html": mark_safe(_mark("body_html")),  # noqa: S308 - a plain marker
                "nps": nps,
                "buttons": [ScoreButton(score, _mark(f"score_{score}")) for score in SCORES],
                "answer_url": _mark("answer_url"),
                "unsubscribe_url": _mark("unsubscribe_url"),
                "organization_name": organization_name,
                "open_pixel_url": _mark("open_pixel_url") if with_pixel else None,
            },
        )


def _compose(email: _Email) -> RenderedEmail:
    values = email.values
    # Headers cannot carry line breaks: a name with one must not split the subject.
    subject_values = {name: " ".join(value.split()) for name, value in values.items()}
    subject = " ".join(email_placeholders.fill(email.subject_template, subject_values).split())
    body_text = email_placeholders.fill(email.body_template, values).strip()
    with translation.override(django_language(email.language)):
        text_parts = [body_text]
        if "link" not in email_placeholders.used_placeholders(email.body_template):
            text_parts.append(_("Answer the survey: %(link)s") % {"link": email.link})
        text_parts.append(
            "-- \n"
            + _("This e-mail was sent to you by %(organization)s.")
            % {"organization": email.organization_name}
            + "\n"
            + _("To stop receiving these e-mails: %(link)s") % {"link": email.unsubscribe_link}
        )
    frame = _html_frame(
        email.language, email.organization_name, email.nps, email.open_pixel_url is not None
    )
    # Everything put into the frame is escaped here, as the template engine would have.
    filled: dict[str, str] = {
        "subject": _escape(subject),
        "body_html": _html_body(email.body_template, values),
        "answer_url": _escape(email.link),
        "unsubscribe_url": _escape(email.unsubscribe_link),
        "open_pixel_url": _escape(email.open_pixel_url or ""),
    }
    if email.nps is not None:
        filled.update({f"score_{n}": _escape(email.score_link(n)) for n in SCORES})
    html = _MARK_PATTERN.sub(lambda match: filled[match.group(1)], frame)
    return RenderedEmail(
        subject=subject,
        text="\n\n".join(text_parts) + "\n",
        html=html,
        headers={
            # RFC 2369 + RFC 8058: the mail client's own "Unsubscribe" button POSTs to /u/….
            "List-Unsubscribe": f"<{email.unsubscribe_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _local_date(moment: datetime, *time_zones: str) -> date:
    for name in time_zones:
        if not name:
            continue
        try:
            return timezone.localtime(moment, ZoneInfo(name)).date()
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return timezone.localtime(moment).date()


def invitation_open_pixel_url(invitation: Invitation) -> str:
    token = invitation_token(invitation)
    return settings.PUBLIC_URL + reverse("invitation_open_pixel", args=[token])


@dataclass(frozen=True, slots=True)
class _SurveyParts:
    """What every e-mail of one survey, language and kind shares."""

    subject_template: str
    body_template: str
    first_question: QuestionDefinition | None


def _survey_parts(
    organization: Organization, survey: Survey, language: str, kind: str
) -> _SurveyParts:
    def compute() -> _SurveyParts:
        chosen = email_template_choose(
            organization=organization, survey=survey, language=language, kind=kind
        )
        subject, body = _usable_template(chosen.subject, chosen.body, language, kind)
        return _SurveyParts(subject, body, _first_question(survey))

    # The survey's updated_at changes with every edit of its questions.
    key = (organization.pk, survey.pk, survey.updated_at, language, kind)
    parts: _SurveyParts = email_cache.survey_email_parts.get_or_compute(key, compute)
    return parts


def render_invitation_email(*, invitation: Invitation, kind: str) -> RenderedEmail:
    """The e-mail inviting (``kind="invitation"``) or reminding (``"reminder"``) the
    invitation's contact, in the contact's language when the survey offers it.

    ``kind`` must be one of EMAIL_KINDS (KeyError otherwise). What a survey's e-mails
    share (texts, first question) is cached for a few seconds per process, so a batch
    costs no query per message once the invitation, its survey, contact and organization
    are loaded.
    """
    survey = invitation.survey
    contact = invitation.contact
    organization = invitation.organization
    language = email_language(contact_language=contact.language, survey=survey)
    parts = _survey_parts(organization, survey, language, kind)
    # One signature for all twelve links (invitation_link's format, score appended).
    base_link = invitation_link(invitation)
    link = _with_language(base_link, language)
    unsubscribe = unsubscribe_url(contact, "email")
    expires_on = _local_date(invitation.expires_at, contact.time_zone, organization.time_zone)
    values = {
        "contact_name": contact.name.strip() or ANONYMOUS_CONTACT[language],
        "organization": organization.name,
        "survey_title": pick_text(survey.title or {}, language, (survey.default_language,))
        or survey.name,
        "link": link,
        "unsubscribe_link": unsubscribe,
        "expires_on": format_date(expires_on.year, expires_on.month, expires_on.day, language),
    }
    nps = _one_click_nps(parts.first_question, language, survey.default_language)
    return _compose(
        _Email(
            language=language,
            subject_template=parts.subject_template,
            body_template=parts.body_template,
            values=values,
            organization_name=organization.name,
            link=link,
            unsubscribe_link=unsubscribe,
            open_pixel_url=f"{base_link}/open.gif",
            nps=nps,
            score_link=lambda score: _with_language(f"{base_link}?score={score}", language),
        )
    )


def render_email_preview(
    *,
    organization: Organization,
    survey: Survey | None,
    language: str,
    subject: str,
    body: str,
    today: date,
) -> RenderedEmail:
    """The e-mail a sample contact would get with these (already validated) texts.

    Links point nowhere real and there is no open pixel: a preview must not be mistaken
    for an invitation.
    """
    sample_link = f"{settings.PUBLIC_URL}/i/preview"
    if survey is not None:
        title = pick_text(survey.title or {}, language, (survey.default_language,)) or survey.name
        question = _first_question(survey)
        fallback = survey.default_language
    else:
        title = SAMPLE_SURVEY_TITLES[language]
        question = QuestionDefinition(
            key="nps",
            type="nps",
            text={language: SAMPLE_NPS_QUESTION[language].replace("{us}", organization.name)},
        )
        fallback = language
    expires = date.fromordinal(today.toordinal() + 30)
    values = {
        "contact_name": SAMPLE_CONTACT_NAMES[language],
        "organization": organization.name,
        "survey_title": title,
        "link": sample_link,
        "unsubscribe_link": f"{settings.PUBLIC_URL}/u/preview",
        "expires_on": format_date(expires.year, expires.month, expires.day, language),
    }
    return _compose(
        _Email(
            language=language,
            subject_template=subject,
            body_template=body,
            values=values,
            organization_name=organization.name,
            link=sample_link,
            unsubscribe_link=values["unsubscribe_link"],
            open_pixel_url=None,
            nps=_one_click_nps(question, language, fallback),
            score_link=lambda score: f"{sample_link}?score={score}",
        )
    )
