"""Builder forms: they turn posted fields into definition parts and put service errors back.

The definition is validated in one place, `parse_survey_definition` (through the services),
so these forms check little themselves; what they add is the mapping between form fields and
the dotted paths of the definition (``questions.2.text.en`` ↔ ``text__en``), so that every
error the services raise is shown next to the field the user typed it in.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cxloop.common.errors import InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, SURVEY_LANGUAGES
from cxloop.surveys.builder import unique_key
from cxloop.surveys.definitions import NPS_CATEGORIES, SCALES
from cxloop.surveys.models import QuestionType, SurveyKind
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

LANGUAGE_CHOICES: list[tuple[str, str]] = [
    (language, SURVEY_LANGUAGE_NAMES[language]) for language in SURVEY_LANGUAGES
]
CATEGORY_NAMES: Mapping[str, Promise] = {
    "promoter": _("Promoters (9–10)"),
    "passive": _("Passives (7–8)"),
    "detractor": _("Detractors (0–6)"),
}
# Empty rows offered under a question's options for adding more without JavaScript.
EMPTY_OPTION_ROWS = 2
SEP = "__"  # joins the parts of a dotted definition path into a form field name


def field_name(*parts: object) -> str:
    return SEP.join(str(part) for part in parts)


def apply_input_error(form: forms.Form, error: InputError, field_for_path: Any) -> None:
    """Attach each error to the field `field_for_path(path)` names, or to the whole form."""
    for field_error in error.errors:
        name = field_for_path(field_error.field)
        if name in form.fields:
            form.add_error(name, field_error.message)
        else:
            form.add_error(None, field_error.message)


def _texts_field(label: str, *, long: bool = False) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": 2}) if long else forms.TextInput()
    # Not required here: parse_survey_definition says which texts are missing, by language.
    return forms.CharField(label=label, max_length=2000, required=False, widget=widget)


def _language_label(caption: object, language: str) -> str:
    return f"{caption} · {SURVEY_LANGUAGE_NAMES[language]}"


def _posted_texts(
    cleaned: Mapping[str, Any], prefix: str, languages: Sequence[str]
) -> dict[str, str]:
    return {language: cleaned.get(field_name(prefix, language)) or "" for language in languages}


class BuilderForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their fields: no colon
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class ErrorItem:
    label: str  # "" for an error about the whole form
    field_id: str
    message: str


def error_items(form: forms.Form) -> list[ErrorItem]:
    """Every error of a bound form, naming its field, for the summary at the top."""
    items = [ErrorItem("", "", str(message)) for message in form.non_field_errors()]
    for name, messages in form.errors.items():
        if name == NON_FIELD_ERRORS or name not in form.fields:
            continue
        bound = form[name]
        items.extend(
            ErrorItem(str(bound.label), bound.id_for_label, str(message)) for message in messages
        )
    return items


@dataclass(frozen=True)
class FieldRow:
    """A caption with one field per language (rendered as a fieldset)."""

    caption: object
    fields: list[forms.BoundField]
    key_field: forms.BoundField | None = None


class SurveyCreateForm(BuilderForm):
    template = forms.ChoiceField(
        label=_("Start from"),
        required=False,
        choices=[("", _("A blank survey"))]
        + [(key, template.name) for key, template in SURVEY_TEMPLATES.items()],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the template's name."),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("As in the template")), *SurveyKind.choices],
    )
    touchpoint = forms.CharField(
        label=_("Touchpoint"),
        max_length=100,
        required=False,
        help_text=_("Where the experience happened, e.g. 门店购物 or 售后服务."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        initial=list(SURVEY_LANGUAGES),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
    )
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=LANGUAGE_CHOICES, initial=SURVEY_LANGUAGES[0]
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        languages = cleaned.get("languages") or []
        default = cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error(
                "default_language", _("The default language must be one of the chosen languages.")
            )
        if not cleaned.get("template") and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("A blank survey needs a name."))
        return cleaned

    def show_errors(self, error: InputError) -> None:
        apply_input_error(self, error, lambda path: path.split(".")[0])


class SurveyDetailsForm(BuilderForm):
    """Name, kind, touchpoint, languages and the survey's own texts per language."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=SurveyKind.choices)
    touchpoint = forms.CharField(
        label=_("Touchpoint"),
        max_length=100,
        required=False,
        help_text=_("Where the experience happened, e.g. 门店购物 or 售后服务."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one language.")},
        help_text=_(
            "A language you add starts with a copy of the default language's texts: "
            "translate them in each question."
        ),
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGE_CHOICES)

    TEXT_PARTS: Mapping[str, Promise] = {
        "title": _("Title"),
        "intro": _("Introduction"),
        "thank_you": _("Thank-you message"),
    }

    def __init__(self, *args: Any, definition: Mapping[str, Any], **kwargs: Any) -> None:
        self.survey_languages: list[str] = list(definition["languages"])
        kwargs.setdefault("initial", self.initial_from(definition))
        super().__init__(*args, **kwargs)
        for part, caption in self.TEXT_PARTS.items():
            for language in self.survey_languages:
                self.fields[field_name(part, language)] = _texts_field(
                    _language_label(caption, language), long=part != "title"
                )

    def initial_from(self, definition: Mapping[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: definition[name]
            for name in ("name", "kind", "touchpoint", "languages", "default_language")
        }
        for part in self.TEXT_PARTS:
            for language, text in (definition.get(part) or {}).items():
                initial[field_name(part, language)] = text
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        languages = cleaned.get("languages") or []
        default = cleaned.get("default_language")
        if languages and default and default not in languages:
            self.add_error(
                "default_language", _("The default language must be one of the chosen languages.")
            )
        return cleaned

    def text_rows(self) -> list[FieldRow]:
        return [
            FieldRow(caption, [self[field_name(part, lang)] for lang in self.survey_languages])
            for part, caption in self.TEXT_PARTS.items()
        ]

    def details(self) -> dict[str, Any]:
        cleaned = self.cleaned_data
        details: dict[str, Any] = {
            "name": cleaned["name"],
            "kind": cleaned["kind"],
            "touchpoint": cleaned.get("touchpoint") or "",
            "languages": list(cleaned["languages"]),
            "default_language": cleaned["default_language"],
        }
        for part in self.TEXT_PARTS:
            details[part] = _posted_texts(cleaned, part, self.survey_languages)
        return details

    def show_errors(self, error: InputError) -> None:
        def field_for(path: str) -> str:
            parts = path.split(".")
            if parts[0] == "languages":
                return "languages"
            return field_name(*parts)

        apply_input_error(self, error, field_for)


class AddQuestionForm(BuilderForm):
    type = forms.ChoiceField(label=_("Question type"), choices=QuestionType.choices)


class MoveQuestionForm(BuilderForm):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class QuestionForm(BuilderForm):
    """One question's fields; which ones depends on its type and the survey's languages."""

    key = forms.CharField(
        label=_("Key"),
        max_length=50,
        help_text=_(
            "Names the answers in exports and the API: lowercase letters, digits and underscores."
        ),
    )
    required = forms.BooleanField(label=_("An answer is required"), required=False)

    def __init__(
        self,
        *args: Any,
        question: Mapping[str, Any],
        languages: Sequence[str],
        **kwargs: Any,
    ) -> None:
        self.question = question
        self.question_type: str = question["type"]
        self.languages = list(languages)
        self.options_name = "reasons" if self.question_type == "nps_plus" else "choices"
        # Which form row each option of the built question came from (blank rows are skipped).
        self.option_rows: list[int] = []
        kwargs.setdefault("initial", self._initial())
        kwargs.setdefault("auto_id", f"id_q_{question['key']}_%s")
        super().__init__(*args, **kwargs)
        self._add_fields()

    # Layout -------------------------------------------------------------------------------

    @property
    def type_label(self) -> str:
        return str(QuestionType(self.question_type).label)

    @property
    def has_scale(self) -> bool:
        return self.question_type in SCALES

    @property
    def has_options(self) -> bool:
        return self.question_type in ("single_choice", "multiple_choice", "nps_plus")

    def _scale(self) -> int:
        posted = self.data.get("scale") if self.is_bound else None
        for candidate in (posted, self.question.get("scale")):
            if str(candidate).isdigit() and int(str(candidate)) in SCALES[self.question_type]:
                return int(str(candidate))
        return SCALES[self.question_type][0]

    def label_points(self) -> list[str]:
        if self.question_type in ("nps", "nps_plus"):
            return ["low", "high"]
        if self.has_scale:
            # The points of the scale the question has now; after a scale change the form is
            # shown again with the new points.
            stored = self.question.get("scale") or SCALES[self.question_type][0]
            return [str(point) for point in range(1, int(stored) + 1)]
        return []

    def _option_count(self) -> int:
        stored = len(self.question.get(self.options_name) or [])
        if self.is_bound:
            posted = sum(
                1
                for name in self.data
                if name.startswith(f"{self.options_name}{SEP}") and name.endswith(f"{SEP}key")
            )
            return max(posted, stored + EMPTY_OPTION_ROWS)
        return stored + EMPTY_OPTION_ROWS

    def _point_caption(self, point: str) -> str:
        if point == "low":
            return str(_("Label of the lowest score (0)"))
        if point == "high":
            return str(_("Label of the highest score (10)"))
        return str(_("Label of point %(point)s") % {"point": point})

    def _add_fields(self) -> None:
        text_caption = _("Question text")
        for language in self.languages:
            self.fields[field_name("text", language)] = _texts_field(
                _language_label(text_caption, language), long=True
            )
        if self.has_scale:
            self.fields["scale"] = forms.TypedChoiceField(
                label=_("Scale"),
                coerce=int,
                choices=[
                    (scale, _("1 to %(scale)d") % {"scale": scale})
                    for scale in sorted(SCALES[self.question_type])
                ],
                help_text=_("Changing the scale is refused once the question has answers."),
            )
        for point in self.label_points():
            for language in self.languages:
                self.fields[field_name("labels", point, language)] = _texts_field(
                    _language_label(self._point_caption(point), language)
                )
        if self.has_options:
            for row in range(self._option_count()):
                self.fields[field_name(self.options_name, row, "key")] = forms.CharField(
                    label=_("Key of option %(n)d") % {"n": row + 1}, max_length=50, required=False
                )
                for language in self.languages:
                    self.fields[field_name(self.options_name, row, "text", language)] = (
                        _texts_field(_language_label(_("Option %(n)d") % {"n": row + 1}, language))
                    )
        if self.question_type == "nps_plus":
            for prompt, caption in (
                ("reason_prompt", _("Reasons question for")),
                ("comment_prompt", _("Open question for")),
            ):
                for category in NPS_CATEGORIES:
                    for language in self.languages:
                        self.fields[field_name(prompt, category, language)] = _texts_field(
                            _language_label(f"{caption} {CATEGORY_NAMES[category]}", language)
                        )

    def _initial(self) -> dict[str, Any]:
        question = self.question
        initial: dict[str, Any] = {
            "key": question["key"],
            "required": question.get("required", True),
        }
        if "scale" in question:
            initial["scale"] = question["scale"]
        for language, text in question.get("text", {}).items():
            initial[field_name("text", language)] = text
        for point, texts in (question.get("labels") or {}).items():
            for language, text in texts.items():
                initial[field_name("labels", point, language)] = text
        for row, option in enumerate(question.get(self.options_name) or []):
            initial[field_name(self.options_name, row, "key")] = option["key"]
            for language, text in option["text"].items():
                initial[field_name(self.options_name, row, "text", language)] = text
        for prompt in ("reason_prompt", "comment_prompt"):
            for category, texts in (question.get(prompt) or {}).items():
                for language, text in texts.items():
                    initial[field_name(prompt, category, language)] = text
        return initial

    # Groups for the template ------------------------------------------------------------

    def text_row(self) -> FieldRow:
        return FieldRow(
            _("Question text"), [self[field_name("text", lang)] for lang in self.languages]
        )

    def label_rows(self) -> list[FieldRow]:
        return [
            FieldRow(
                self._point_caption(point),
                [self[field_name("labels", point, lang)] for lang in self.languages],
            )
            for point in self.label_points()
        ]

    def option_rows_for_display(self) -> list[FieldRow]:
        if not self.has_options:
            return []
        return [
            FieldRow(
                _("Option %(n)d") % {"n": row + 1},
                [self[field_name(self.options_name, row, "text", lang)] for lang in self.languages],
                key_field=self[field_name(self.options_name, row, "key")],
            )
            for row in range(self._option_count())
        ]

    def prompt_rows(self) -> list[FieldRow]:
        if self.question_type != "nps_plus":
            return []
        return [
            FieldRow(
                f"{caption} {CATEGORY_NAMES[category]}",
                [self[field_name(prompt, category, lang)] for lang in self.languages],
            )
            for prompt, caption in (
                ("reason_prompt", _("Reasons question for")),
                ("comment_prompt", _("Open question for")),
            )
            for category in NPS_CATEGORIES
        ]

    # Form → definition ---------------------------------------------------------------------

    def _allowed_points(self, scale: int | None) -> set[str]:
        if self.question_type in ("nps", "nps_plus"):
            return {"low", "high"} | {str(point) for point in range(0, 11)}
        if scale is not None:
            return {"low", "high"} | {str(point) for point in range(1, scale + 1)}
        return set()

    def to_question(self) -> dict[str, Any]:
        """The question as a definition dict, from the cleaned fields."""
        cleaned = self.cleaned_data
        question: dict[str, Any] = {
            "key": (cleaned.get("key") or "").strip(),
            "type": self.question_type,
            "text": _posted_texts(cleaned, "text", self.languages),
            "required": bool(cleaned.get("required")),
        }
        scale: int | None = None
        if self.has_scale:
            scale = cleaned.get("scale") or self._scale()
            question["scale"] = scale
        allowed = self._allowed_points(scale)
        if allowed:
            # Labels the form does not show (set through the API) are kept while still valid.
            labels = {
                point: dict(texts)
                for point, texts in (self.question.get("labels") or {}).items()
                if point in allowed
            }
            for point in self.label_points():
                if point not in allowed:
                    continue
                posted = _posted_texts(cleaned, field_name("labels", point), self.languages)
                texts = {lang: text for lang, text in posted.items() if text.strip()}
                if texts:
                    labels[point] = texts
                else:
                    labels.pop(point, None)
            if labels:
                question["labels"] = labels
        if self.has_options:
            question[self.options_name] = self._options(cleaned)
        if self.question_type == "nps_plus":
            for prompt in ("reason_prompt", "comment_prompt"):
                question[prompt] = {
                    category: _posted_texts(cleaned, field_name(prompt, category), self.languages)
                    for category in NPS_CATEGORIES
                }
        return question

    def _options(self, cleaned: Mapping[str, Any]) -> list[dict[str, Any]]:
        options: list[dict[str, Any]] = []
        self.option_rows = []
        rows = range(self._option_count())
        taken = {
            (cleaned.get(field_name(self.options_name, row, "key")) or "").strip() for row in rows
        }
        prefix = "reason" if self.options_name == "reasons" else "option"
        for row in rows:
            key = (cleaned.get(field_name(self.options_name, row, "key")) or "").strip()
            texts = _posted_texts(
                cleaned, field_name(self.options_name, row, "text"), self.languages
            )
            if not key and not any(text.strip() for text in texts.values()):
                continue  # an empty row: nothing to add
            if not key:
                # People think in texts, not keys: name a new option for them.
                key = unique_key(f"{prefix}_{len(options) + 1}", taken)
                taken.add(key)
            options.append({"key": key, "text": texts})
            self.option_rows.append(row)
        return options

    def show_errors(self, error: InputError, *, index: int) -> None:
        prefix = f"questions.{index}."

        def field_for(path: str) -> str:
            if not path.startswith(prefix):
                return ""
            parts = path[len(prefix) :].split(".")
            if parts[0] in ("choices", "reasons") and len(parts) > 1 and parts[1].isdigit():
                position = int(parts[1])
                if position < len(self.option_rows):
                    parts[1] = str(self.option_rows[position])
            return field_name(*parts)

        apply_input_error(self, error, field_for)
