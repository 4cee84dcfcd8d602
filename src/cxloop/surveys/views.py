"""The survey list and the web builder.

Every builder change loads the survey's definition dict, applies one pure edit from
`builder.py` and saves it with `survey_update`, which validates the whole definition and
refuses changes that would corrupt stored answers; its errors go back next to the fields.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.common.errors import InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership
from cxloop.surveys import builder, selectors, services
from cxloop.surveys.forms import (
    AddQuestionForm,
    MoveQuestionForm,
    QuestionForm,
    SurveyCreateForm,
    SurveyDetailsForm,
    error_items,
)
from cxloop.surveys.models import Survey
from cxloop.surveys.presentation import (
    TextsRow,
    language_texts,
    question_view,
    question_views,
    transitions_from,
)
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

TRANSITIONS: dict[str, Callable[..., Survey]] = {
    "publish": services.survey_publish,
    "pause": services.survey_pause,
    "close": services.survey_close,
}


def _survey_or_404(membership: Membership, survey_id: int) -> Survey:
    survey = selectors.survey_get(organization=membership.organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    return survey


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _builder_url(membership: Membership, survey: Survey, anchor: str = "") -> str:
    url = reverse("surveys:edit", args=[membership.organization.slug, survey.pk])
    return f"{url}#{anchor}" if anchor else url


def _public_links(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    url = request.build_absolute_uri(reverse("public:survey", args=[survey.slug]))
    return {
        "url": url,
        "variants": [
            {"language": language, "name": SURVEY_LANGUAGE_NAMES[language],
             "url": f"{url}?lang={language}"}
            for language in survey.languages
            if language in SURVEY_LANGUAGE_NAMES
        ],
    }  # fmt: skip


def _report_errors(request: HttpRequest, error: InputError) -> None:
    for field_error in error.errors:
        messages.error(request, field_error.message)


@member_required()
def survey_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    surveys = selectors.survey_list(organization=membership.organization)
    rows = [
        {
            "survey": survey,
            "public_url": request.build_absolute_uri(reverse("public:survey", args=[survey.slug])),
        }
        for survey in surveys
    ]
    return render(
        request,
        "surveys/list.html",
        {"membership": membership, "rows": rows, "can_edit": membership.can_edit_surveys},
    )


@member_required(edit_surveys=True)
def survey_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SurveyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        definition = builder.new_survey_definition(
            template_key=data["template"],
            name=data["name"].strip(),
            kind=data["kind"],
            touchpoint=data["touchpoint"].strip(),
            languages=data["languages"],
            default_language=data["default_language"],
            brand=membership.organization.name,
        )
        try:
            survey = services.survey_create(
                organization=membership.organization, definition=definition, by=request.user
            )
        except InputError as error:
            form.show_errors(error)
        else:
            messages.success(request, _("Survey created. Review its questions, then publish it."))
            return redirect(_builder_url(membership, survey))
    return render(
        request,
        "surveys/create.html",
        {
            "membership": membership,
            "form": form,
            "errors": error_items(form) if form.is_bound else [],
            "templates": list(SURVEY_TEMPLATES.values()),
        },
    )


def _render_builder(
    request: HttpRequest,
    membership: Membership,
    survey: Survey,
    *,
    details_form: SurveyDetailsForm | None = None,
) -> HttpResponse:
    definition = selectors.survey_definition_dict(survey)
    can_edit = membership.can_edit_surveys
    if can_edit and details_form is None:
        details_form = SurveyDetailsForm(definition=definition)
    context = {
        "membership": membership,
        "survey": survey,
        "definition": definition,
        "can_edit": can_edit,
        "details_form": details_form if can_edit else None,
        "details_errors": (
            error_items(details_form) if details_form and details_form.is_bound else []
        ),
        "add_form": AddQuestionForm() if can_edit else None,
        "questions": question_views(definition),
        "survey_texts": [
            TextsRow(str(caption), language_texts(definition.get(part), definition["languages"]))
            for part, caption in SurveyDetailsForm.TEXT_PARTS.items()
        ],
        "languages": [SURVEY_LANGUAGE_NAMES[language] for language in survey.languages],
        "default_language_name": SURVEY_LANGUAGE_NAMES.get(survey.default_language, ""),
        "has_responses": selectors.survey_has_responses(survey=survey),
        "transitions": transitions_from(survey.status) if can_edit else [],
        "public": _public_links(request, survey),
    }
    return render(request, "surveys/builder.html", context)


@member_required()
def survey_edit(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    return _render_builder(request, membership, survey)


@require_POST
@member_required(edit_surveys=True)
def survey_details(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    definition = selectors.survey_definition_dict(survey)
    form = SurveyDetailsForm(request.POST, definition=definition)
    if form.is_valid():
        updated = builder.update_details(definition, form.details())
        try:
            services.survey_update(survey=survey, definition=updated, by=request.user)
        except InputError as error:
            form.show_errors(error)
        else:
            added = builder.added_languages(definition, updated)
            messages.success(request, _("Survey details saved."))
            if added:
                messages.warning(
                    request,
                    _(
                        "Texts in %(languages)s were copied from %(source)s: translate them in "
                        "each question before publishing."
                    )
                    % {
                        "languages": ", ".join(SURVEY_LANGUAGE_NAMES[lang] for lang in added),
                        "source": SURVEY_LANGUAGE_NAMES[definition["default_language"]],
                    },
                )
            return redirect(_builder_url(membership, survey, "details"))
    return _render_builder(request, membership, survey, details_form=form)


@require_POST
@member_required(edit_surveys=True)
def question_add(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    form = AddQuestionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a question type to add."))
        return redirect(_builder_url(membership, survey, "add-question"))
    definition, key = builder.add_question(
        selectors.survey_definition_dict(survey), form.cleaned_data["type"]
    )
    try:
        services.survey_update(survey=survey, definition=definition, by=request.user)
    except InputError as error:
        _report_errors(request, error)
        return redirect(_builder_url(membership, survey, "add-question"))
    messages.success(request, _("Question added: edit its texts below."))
    return redirect(_builder_url(membership, survey, f"question-{key}"))


def _render_question_form(
    request: HttpRequest,
    membership: Membership,
    survey: Survey,
    form: QuestionForm,
    *,
    note: str = "",
) -> HttpResponse:
    context = {
        "note": note,
        "membership": membership,
        "survey": survey,
        "form": form,
        "errors": error_items(form) if form.is_bound else [],
        "original_key": form.question["key"],
    }
    template = "surveys/_question_form.html" if _is_htmx(request) else "surveys/question.html"
    return render(request, template, context)


@member_required(edit_surveys=True)
def question_edit(
    request: HttpRequest, membership: Membership, survey_id: int, question_key: str
) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    definition = selectors.survey_definition_dict(survey)
    index = builder.question_index(definition, question_key)
    if index is None:
        raise Http404
    question = definition["questions"][index]
    if request.method != "POST":
        form = QuestionForm(question=question, languages=definition["languages"])
        return _render_question_form(request, membership, survey, form)
    form = QuestionForm(request.POST, question=question, languages=definition["languages"])
    if form.is_valid():
        edited = form.to_question()
        try:
            survey = services.survey_update(
                survey=survey,
                definition=builder.replace_question(definition, question_key, edited),
                by=request.user,
            )
        except InputError as error:
            form.show_errors(error, index=index)
        else:
            saved = selectors.survey_definition_dict(survey)
            if edited.get("scale") != question.get("scale"):
                # The form only had label fields for the old scale's points: show it again.
                note = _("Scale changed: you can now label each point.")
                if not _is_htmx(request):
                    messages.info(request, note)
                    return redirect(
                        "surveys:question", membership.organization.slug, survey.pk, edited["key"]
                    )
                form = QuestionForm(
                    question=saved["questions"][index], languages=saved["languages"]
                )
                return _render_question_form(request, membership, survey, form, note=note)
            if _is_htmx(request):
                return render(
                    request,
                    "surveys/_question_card.html",
                    {
                        "membership": membership,
                        "survey": survey,
                        "question": question_view(
                            saved["questions"][index],
                            saved["languages"],
                            number=index + 1,
                            is_first=index == 0,
                            is_last=index == len(saved["questions"]) - 1,
                        ),
                        "can_edit": True,
                        "saved": True,
                    },
                )
            messages.success(request, _("Question saved."))
            return redirect(_builder_url(membership, survey, f"question-{edited['key']}"))
    return _render_question_form(request, membership, survey, form)


@require_POST
@member_required(edit_surveys=True)
def question_move(
    request: HttpRequest, membership: Membership, survey_id: int, question_key: str
) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    definition = selectors.survey_definition_dict(survey)
    form = MoveQuestionForm(request.POST)
    if builder.question_index(definition, question_key) is None:
        raise Http404
    if form.is_valid():
        moved = builder.move_question(definition, question_key, form.cleaned_data["direction"])
        try:
            services.survey_update(survey=survey, definition=moved, by=request.user)
        except InputError as error:
            _report_errors(request, error)
    return redirect(_builder_url(membership, survey, f"question-{question_key}"))


@require_POST
@member_required(edit_surveys=True)
def question_delete(
    request: HttpRequest, membership: Membership, survey_id: int, question_key: str
) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    definition = selectors.survey_definition_dict(survey)
    if builder.question_index(definition, question_key) is None:
        raise Http404
    try:
        services.survey_update(
            survey=survey,
            definition=builder.remove_question(definition, question_key),
            by=request.user,
        )
    except InputError as error:
        _report_errors(request, error)
        return redirect(_builder_url(membership, survey, f"question-{question_key}"))
    messages.success(request, _("Question deleted."))
    return redirect(_builder_url(membership, survey, "questions"))


@require_POST
@member_required(edit_surveys=True)
def survey_transition(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    transition = TRANSITIONS.get(request.POST.get("action", ""))
    if transition is None:
        messages.error(request, _("Unknown action."))
        return redirect(_builder_url(membership, survey))
    try:
        survey = transition(survey=survey, by=request.user)
    except InputError as error:
        _report_errors(request, error)
    else:
        messages.success(
            request, _("The survey is now %(status)s.") % {"status": survey.get_status_display()}
        )
    return redirect(_builder_url(membership, survey))
