"""E-mail templates pages: the texts in use per language and kind, editing with a live
preview, and going back to the default."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, SURVEY_LANGUAGES
from cxloop.distribution.email_content import RenderedEmail, render_email_preview
from cxloop.distribution.email_defaults import (
    EMAIL_KINDS,
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
)
from cxloop.distribution.email_placeholders import PLACEHOLDERS
from cxloop.distribution.models import EmailKind
from cxloop.distribution.selectors import (
    ChosenEmailText,
    email_template_choose,
    email_template_overview,
)
from cxloop.distribution.services import (
    email_template_errors,
    email_template_reset,
    email_template_set,
)
from cxloop.organizations.decorators import member_required
from cxloop.organizations.forms import add_service_errors
from cxloop.organizations.models import Membership
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_get, survey_menu

PLACEHOLDER_HELP: dict[str, Any] = {
    "contact_name": gettext_lazy("the contact's name (or “customer” when unknown)"),
    "organization": gettext_lazy("your organization's name"),
    "survey_title": gettext_lazy("the survey's title in the e-mail's language"),
    "link": gettext_lazy("the contact's personal survey link"),
    "unsubscribe_link": gettext_lazy("the unsubscribe link"),
    "expires_on": gettext_lazy("the date the link expires"),
}


class EmailTemplateForm(forms.Form):
    """Parses input only; the service decides what is valid."""

    subject = forms.CharField(
        label=gettext_lazy("Subject"), max_length=MAX_SUBJECT_LENGTH, required=False
    )
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=MAX_BODY_LENGTH,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=gettext_lazy(
            "Plain text. Leave an empty line between paragraphs. "
            "A score scale and an “Answer the survey” button are added below it."
        ),
    )


def _scope(request: HttpRequest, membership: Membership, language: str, kind: str) -> Survey | None:
    """The survey of ?survey= (looked up in the organization), 404 for anything unknown."""
    if language not in SURVEY_LANGUAGES or kind not in EMAIL_KINDS:
        raise Http404
    raw = request.POST.get("survey") or request.GET.get("survey") or ""
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    survey = survey_get(organization=membership.organization, survey_id=int(raw))
    if survey is None or language not in survey.languages:
        raise Http404
    return survey


def _with_survey(url: str, survey: Survey | None) -> str:
    return f"{url}?survey={survey.pk}" if survey is not None else url


def _preview(
    membership: Membership,
    survey: Survey | None,
    language: str,
    subject: str,
    body: str,
) -> tuple[RenderedEmail | None, list[FieldError]]:
    # As email_template_set will store them: trimmed, with the browser's CRLF made LF.
    subject, body = subject.strip(), body.strip().replace("\r\n", "\n")
    errors = email_template_errors(subject=subject, body=body)
    if errors:
        return None, errors
    rendered = render_email_preview(
        organization=membership.organization,
        survey=survey,
        language=language,
        subject=subject,
        body=body,
        today=timezone.localdate(),
    )
    return rendered, []


@member_required(manage_organization=True)
def email_templates(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    surveys = list(survey_menu(organization=organization).order_by("name", "pk"))
    survey: Survey | None = None
    raw = request.GET.get("survey", "")
    if raw:
        survey = next((s for s in surveys if str(s.pk) == raw), None)
        if survey is None:
            raise Http404
    rows = email_template_overview(organization=organization, survey=survey)
    edit_base = "distribution:email_template_edit"
    return render(
        request,
        "distribution/email_templates.html",
        {
            "membership": membership,
            "organization": organization,
            "surveys": surveys,
            "survey": survey,
            "rows": [
                (
                    row,
                    _with_survey(
                        reverse(edit_base, args=[organization.slug, row.language, row.kind]),
                        survey,
                    ),
                )
                for row in rows
            ],
        },
    )


def _edit_page(
    request: HttpRequest,
    membership: Membership,
    *,
    survey: Survey | None,
    language: str,
    kind: str,
    chosen: ChosenEmailText,
    form: EmailTemplateForm,
    preview: RenderedEmail | None,
    preview_errors: list[FieldError],
    status: int = 200,
) -> HttpResponse:
    slug = membership.organization.slug
    args = [slug, language, kind]
    return render(
        request,
        "distribution/email_template_edit.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "survey": survey,
            "language": language,
            "language_name": SURVEY_LANGUAGE_NAMES[language],
            "kind": kind,
            "kind_label": EmailKind(kind).label,
            "chosen": chosen,
            "form": form,
            "preview": preview,
            "preview_errors": preview_errors,
            "placeholders": [(f"{{{name}}}", PLACEHOLDER_HELP[name]) for name in PLACEHOLDERS],
            "edit_url": _with_survey(
                reverse("distribution:email_template_edit", args=args), survey
            ),
            "preview_url": reverse("distribution:email_template_preview", args=args),
            "reset_url": reverse("distribution:email_template_reset", args=args),
            "list_url": _with_survey(reverse("distribution:email_templates", args=[slug]), survey),
        },
        status=status,
    )


@member_required(manage_organization=True)
def email_template_edit(
    request: HttpRequest, membership: Membership, language: str, kind: str
) -> HttpResponse:
    organization = membership.organization
    survey = _scope(request, membership, language, kind)
    chosen = email_template_choose(
        organization=organization, survey=survey, language=language, kind=kind
    )
    if request.method != "POST":
        form = EmailTemplateForm(initial={"subject": chosen.subject, "body": chosen.body})
        preview, errors = _preview(membership, survey, language, chosen.subject, chosen.body)
        return _edit_page(
            request,
            membership,
            survey=survey,
            language=language,
            kind=kind,
            chosen=chosen,
            form=form,
            preview=preview,
            preview_errors=errors,
        )
    form = EmailTemplateForm(request.POST)
    if form.is_valid():
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
        if request.POST.get("action") == "preview":  # the no-JavaScript preview button
            preview, errors = _preview(membership, survey, language, subject, body)
            for error in errors:
                form.add_error(error.field, error.message)
            return _edit_page(
                request,
                membership,
                survey=survey,
                language=language,
                kind=kind,
                chosen=chosen,
                form=form,
                preview=preview,
                preview_errors=[],
            )
        try:
            email_template_set(
                organization=organization,
                survey=survey,
                language=language,
                kind=kind,
                subject=subject,
                body=body,
                by=request.user,
            )
        except InputError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("E-mail template saved."))
            return redirect(
                _with_survey(
                    reverse(
                        "distribution:email_template_edit", args=[organization.slug, language, kind]
                    ),
                    survey,
                )
            )
    return _edit_page(
        request,
        membership,
        survey=survey,
        language=language,
        kind=kind,
        chosen=chosen,
        form=form,
        preview=None,
        preview_errors=[],
        status=400,
    )


@require_POST
@member_required(manage_organization=True)
def email_template_preview(
    request: HttpRequest, membership: Membership, language: str, kind: str
) -> HttpResponse:
    """The live preview (htmx): the rendered e-mail, or what is wrong with the text."""
    survey = _scope(request, membership, language, kind)
    preview, errors = _preview(
        membership,
        survey,
        language,
        request.POST.get("subject", "")[: MAX_SUBJECT_LENGTH * 2],
        request.POST.get("body", "")[: MAX_BODY_LENGTH * 2],
    )
    return render(
        request,
        "distribution/_email_preview.html",
        {"preview": preview, "preview_errors": errors, "language": language},
    )


@require_POST
@member_required(manage_organization=True)
def email_template_reset_view(
    request: HttpRequest, membership: Membership, language: str, kind: str
) -> HttpResponse:
    organization = membership.organization
    survey = _scope(request, membership, language, kind)
    if email_template_reset(organization=organization, survey=survey, language=language, kind=kind):
        messages.success(
            request,
            _("The survey now uses the organization's text.")
            if survey is not None
            else _("Back to the built-in text."),
        )
    return redirect(
        _with_survey(
            reverse("distribution:email_template_edit", args=[organization.slug, language, kind]),
            survey,
        )
    )
