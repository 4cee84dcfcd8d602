from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from cxloop.organizations.models import Membership, Organization, Role
from cxloop.surveys.definitions import QUESTION_TYPES, parse_survey_definition
from cxloop.surveys.forms import QuestionForm
from cxloop.surveys.models import Survey, SurveyStatus
from cxloop.surveys.selectors import survey_definition_dict
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES
from tests.factories import MembershipFactory, answer, survey_for


@pytest.fixture(autouse=True)
def _english_ui(settings: Any) -> None:
    """Messages are asserted in English whatever translations the UI ships."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def survey(organization: Organization) -> Survey:
    """A draft in zh-Hans and en: nps (nps), sat (csat, optional), why (text, optional)."""
    return survey_for(organization, publish=False)


def client_for(membership: Any) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def url(name: str, survey: Survey, *args: Any) -> str:
    return reverse(name, args=[survey.organization.slug, survey.pk, *args])


def definition_of(survey: Survey) -> dict[str, Any]:
    return survey_definition_dict(Survey.objects.get(pk=survey.pk))


def question_of(survey: Survey, key: str) -> dict[str, Any]:
    return next(q for q in definition_of(survey)["questions"] if q["key"] == key)


def keys_of(survey: Survey) -> list[str]:
    return [question["key"] for question in definition_of(survey)["questions"]]


def question_form_data(survey: Survey, question_key: str, /, **changes: Any) -> dict[str, Any]:
    """What the browser posts for the question's edit form as rendered, plus `changes`.

    A change of None leaves the field out (an unticked checkbox).
    """
    definition = definition_of(survey)
    question = next(q for q in definition["questions"] if q["key"] == question_key)
    form = QuestionForm(question=question, languages=definition["languages"])
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name)
        if isinstance(field, forms.BooleanField):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def page_text(response: Any) -> str:
    return str(response.content.decode())


# The survey list ----------------------------------------------------------------------------


def test_list_shows_each_survey_with_status_counts_and_links(
    member_client: Client, organization: Organization
) -> None:
    answered = survey_for(organization, name="Store visit")
    answer(answered, 9)
    answer(answered, 3)
    draft = survey_for(organization, publish=False, name="Draft survey", touchpoint="售后服务")

    response = member_client.get(reverse("surveys:list", args=[organization.slug]))

    html = page_text(response)
    assert response.status_code == 200
    assert "Store visit" in html and "Draft survey" in html
    assert "status-active" in html and "status-draft" in html
    assert "售后服务" in html
    assert '<td class="num">2</td>' in html
    assert '<td class="num">0</td>' in html
    assert url("surveys:edit", draft) in html
    assert url("analytics:summary", answered) in html
    assert url("responses:list", answered) in html
    assert f"http://testserver/s/{answered.slug}" in html
    assert reverse("surveys:create", args=[organization.slug]) in html


def test_list_query_count_does_not_grow_with_surveys(
    member_client: Client, organization: Organization, django_assert_num_queries: Any
) -> None:
    list_url = reverse("surveys:list", args=[organization.slug])

    def add_surveys(count: int) -> None:
        for _ in range(count):
            answer(survey_for(organization), 8)

    # session, user, membership, surveys with their counts, questions
    add_surveys(5)
    with django_assert_num_queries(5):
        five = member_client.get(list_url)
    add_surveys(5)
    with django_assert_num_queries(5):
        ten = member_client.get(list_url)

    assert page_text(five).count("status-active") == 5
    assert page_text(ten).count("status-active") == 10


def test_list_shows_only_the_organizations_surveys(
    member_client: Client, organization: Organization, other_membership: Membership
) -> None:
    survey_for(other_membership.organization, name="Someone else's")
    survey_for(organization, name="Ours")

    html = page_text(member_client.get(reverse("surveys:list", args=[organization.slug])))

    assert "Ours" in html
    assert "Someone else's" not in html


# Creating a survey --------------------------------------------------------------------------


@pytest.mark.parametrize("template_key", sorted(SURVEY_TEMPLATES))
def test_create_a_survey_from_each_template(
    member_client: Client, organization: Organization, template_key: str
) -> None:
    response = member_client.post(
        reverse("surveys:create", args=[organization.slug]),
        {
            "template": template_key,
            "languages": ["zh-Hans", "zh-Hant", "en"],
            "default_language": "zh-Hant",
        },
    )

    survey = Survey.objects.get(organization=organization)
    assert response.status_code == 302
    assert response["Location"] == url("surveys:edit", survey)
    expected = SURVEY_TEMPLATES[template_key].definition(
        default_language="zh-Hant", brand=organization.name
    )
    assert survey.name == expected["name"]
    assert survey.kind == expected["kind"]
    assert survey.touchpoint == expected["touchpoint"]
    assert survey.default_language == "zh-Hant"
    assert survey.status == SurveyStatus.DRAFT
    assert parse_survey_definition(definition_of(survey)) == parse_survey_definition(expected)
    assert member_client.get(response["Location"]).status_code == 200


def test_create_with_chosen_name_kind_touchpoint_and_languages(
    member_client: Client, organization: Organization
) -> None:
    member_client.post(
        reverse("surveys:create", args=[organization.slug]),
        {
            "template": "transactional_nps_plus",
            "name": "信义店",
            "kind": "realtime",
            "touchpoint": "自提",
            "languages": ["en", "zh-Hans"],
            "default_language": "en",
        },
    )

    survey = Survey.objects.get(organization=organization)
    assert (survey.name, survey.kind, survey.touchpoint) == ("信义店", "realtime", "自提")
    assert set(survey.languages) == {"zh-Hans", "en"}
    assert set(question_of(survey, "nps")["text"]) == {"zh-Hans", "en"}


def test_create_a_blank_survey(member_client: Client, organization: Organization) -> None:
    member_client.post(
        reverse("surveys:create", args=[organization.slug]),
        {"template": "", "name": "From scratch", "languages": ["zh-Hans"],
         "default_language": "zh-Hans"},
    )  # fmt: skip

    survey = Survey.objects.get(organization=organization)
    assert survey.name == "From scratch"
    assert keys_of(survey) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"template": "", "languages": ["en"], "default_language": "en"}, "name",
         "A blank survey needs a name."),
        ({"template": "csat_support", "default_language": "en"}, "languages",
         "Choose at least one language."),
        ({"template": "csat_support", "languages": ["zh-Hans"], "default_language": "en"},
         "default_language", "The default language must be one of the chosen languages."),
        ({"template": "csat_support", "languages": ["zh-Hans"], "default_language": "zh-Hans",
          "name": "x" * 201}, "name", "at most 200 characters (it has 201)"),
    ],
)  # fmt: skip
def test_create_shows_what_is_wrong_and_keeps_the_input(
    member_client: Client, organization: Organization, data: dict[str, Any], field: str,
    message: str,
) -> None:  # fmt: skip
    response = member_client.post(
        reverse("surveys:create", args=[organization.slug]), {**data, "touchpoint": "门店"}
    )

    html = page_text(response)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert message in html
    assert "error-summary" in html
    assert 'value="门店"' in html
    assert not Survey.objects.filter(organization=organization).exists()


# Adding, editing, moving and deleting questions ---------------------------------------------


@pytest.mark.parametrize("question_type", QUESTION_TYPES)
def test_add_a_question_of_each_type_with_texts_in_every_language(
    member_client: Client, survey: Survey, question_type: str
) -> None:
    response = member_client.post(url("surveys:question_add", survey), {"type": question_type})

    added = definition_of(survey)["questions"][-1]
    assert response.status_code == 302
    assert response["Location"].endswith(f"#question-{added['key']}")
    assert added["type"] == question_type
    assert set(added["text"]) == {"zh-Hans", "en"}
    assert added["key"] not in {"nps", "sat", "why"}
    assert len(keys_of(survey)) == 4


@pytest.mark.parametrize("question_type", QUESTION_TYPES)
def test_edit_a_question_of_each_type(
    member_client: Client, survey: Survey, question_type: str
) -> None:
    member_client.post(url("surveys:question_add", survey), {"type": question_type})
    key = keys_of(survey)[-1]
    data = question_form_data(
        survey,
        key,
        key="renamed",
        required=None,
        **{"text__zh-Hans": "新的问题？", "text__en": "A new question?"},
    )

    response = member_client.post(url("surveys:question", survey, key), data)

    assert response.status_code == 302
    edited = question_of(survey, "renamed")
    assert edited["text"] == {"zh-Hans": "新的问题？", "en": "A new question?"}
    assert edited["required"] is False
    assert edited["type"] == question_type


@pytest.mark.parametrize("question_type", QUESTION_TYPES)
def test_move_and_delete_a_question_of_each_type(
    member_client: Client, survey: Survey, question_type: str
) -> None:
    member_client.post(url("surveys:question_add", survey), {"type": question_type})
    key = keys_of(survey)[-1]

    member_client.post(url("surveys:question_move", survey, key), {"direction": "up"})
    moved = keys_of(survey)
    member_client.post(url("surveys:question_move", survey, key), {"direction": "up"})
    member_client.post(url("surveys:question_move", survey, key), {"direction": "down"})
    back = keys_of(survey)
    member_client.post(url("surveys:question_delete", survey, key))

    assert moved == ["nps", "sat", key, "why"]
    assert back == moved
    assert keys_of(survey) == ["nps", "sat", "why"]


def test_moving_the_first_question_up_changes_nothing(
    member_client: Client, survey: Survey
) -> None:
    member_client.post(url("surveys:question_move", survey, "nps"), {"direction": "up"})
    member_client.post(url("surveys:question_move", survey, "why"), {"direction": "down"})

    assert keys_of(survey) == ["nps", "sat", "why"]


def test_nps_end_labels_per_language(member_client: Client, survey: Survey) -> None:
    data = question_form_data(
        survey, "nps",
        **{"labels__low__zh-Hans": "绝不推荐", "labels__low__en": "Never",
           "labels__high__en": "Certainly"},
    )  # fmt: skip

    member_client.post(url("surveys:question", survey, "nps"), data)

    labels = question_of(survey, "nps")["labels"]
    assert labels == {"low": {"zh-Hans": "绝不推荐", "en": "Never"}, "high": {"en": "Certainly"}}


def test_csat_labels_per_point_and_a_new_scale(member_client: Client, survey: Survey) -> None:
    form_url = url("surveys:question", survey, "sat")
    labelled = question_form_data(
        survey, "sat", **{"labels__1__en": "Awful", "labels__5__en": "Great",
                          "labels__5__zh-Hans": "很好"},
    )  # fmt: skip
    member_client.post(form_url, labelled)

    rescaled = member_client.post(form_url, question_form_data(survey, "sat", scale="7"))
    form_page = member_client.get(rescaled["Location"])

    sat = question_of(survey, "sat")
    assert sat["scale"] == 7
    assert sat["labels"] == {"1": {"en": "Awful"}, "5": {"zh-Hans": "很好", "en": "Great"}}
    # After a scale change the form is shown again with a label field for every new point.
    assert rescaled["Location"] == form_url
    assert 'name="labels__7__en"' in page_text(form_page)


def test_a_smaller_scale_drops_labels_beyond_it(member_client: Client, survey: Survey) -> None:
    member_client.post(url("surveys:question_add", survey), {"type": "ces"})
    assert question_of(survey, "ces")["labels"]["7"]

    member_client.post(
        url("surveys:question", survey, "ces"), question_form_data(survey, "ces", scale="5")
    )

    ces = question_of(survey, "ces")
    assert ces["scale"] == 5
    assert set(ces["labels"]) == {"1"}


def test_choices_are_rows_and_empty_rows_add_options(member_client: Client, survey: Survey) -> None:
    member_client.post(url("surveys:question_add", survey), {"type": "single_choice"})
    data = question_form_data(
        survey, "choice",
        **{"choices__0__text__en": "Yes", "choices__0__text__zh-Hans": "是",
           "choices__1__key": "", "choices__1__text__en": "", "choices__1__text__zh-Hans": "",
           "choices__2__key": "maybe", "choices__2__text__en": "Maybe",
           "choices__2__text__zh-Hans": "也许",
           "choices__3__text__en": "No", "choices__3__text__zh-Hans": "否"},
    )  # fmt: skip

    member_client.post(url("surveys:question", survey, "choice"), data)

    choices = question_of(survey, "choice")["choices"]
    assert [(c["key"], c["text"]["en"]) for c in choices] == [
        ("option_1", "Yes"), ("maybe", "Maybe"), ("option_3", "No"),
    ]  # fmt: skip


def test_nps_plus_reasons_and_prompts_per_category(member_client: Client, survey: Survey) -> None:
    member_client.post(url("surveys:question_add", survey), {"type": "nps_plus"})
    key = keys_of(survey)[-1]
    data = question_form_data(
        survey, key,
        **{"reasons__3__key": "delivery", "reasons__3__text__en": "Delivery",
           "reasons__3__text__zh-Hans": "配送",
           "comment_prompt__detractor__en": "What went wrong?",
           "reason_prompt__promoter__zh-Hans": "您喜欢什么？"},
    )  # fmt: skip

    member_client.post(url("surveys:question", survey, key), data)

    question = question_of(survey, key)
    assert question["reasons"][-1] == {
        "key": "delivery",
        "text": {"zh-Hans": "配送", "en": "Delivery"},
    }
    assert question["comment_prompt"]["detractor"]["en"] == "What went wrong?"
    assert question["reason_prompt"]["promoter"]["zh-Hans"] == "您喜欢什么？"
    assert question["comment_prompt"]["promoter"]["en"] != "What went wrong?"


# Validation ---------------------------------------------------------------------------------


def test_an_empty_text_in_one_language_is_named_and_nothing_is_lost(
    member_client: Client, survey: Survey
) -> None:
    before = definition_of(survey)
    data = question_form_data(survey, "nps", **{"text__en": "", "text__zh-Hans": "刚输入的文字"})

    response = member_client.post(url("surveys:question", survey, "nps"), data)

    html = page_text(response)
    assert response.status_code == 200
    assert response.context["form"].errors["text__en"] == ["Missing the text in this language."]
    assert "error-summary" in html
    assert "Question text · English" in html
    assert "刚输入的文字" in html
    assert definition_of(survey) == before


def test_a_duplicate_key_is_refused_next_to_the_key(member_client: Client, survey: Survey) -> None:
    before = definition_of(survey)

    response = member_client.post(
        url("surveys:question", survey, "why"), question_form_data(survey, "why", key="nps")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["key"] == ["Duplicate question key nps."]
    assert definition_of(survey) == before


def test_a_bad_option_key_is_shown_on_its_row(member_client: Client, survey: Survey) -> None:
    member_client.post(url("surveys:question_add", survey), {"type": "multiple_choice"})
    data = question_form_data(
        survey, "choices",
        **{"choices__3__key": "Bad Key", "choices__3__text__en": "x",
           "choices__3__text__zh-Hans": "x"},
    )  # fmt: skip

    response = member_client.post(url("surveys:question", survey, "choices"), data)

    assert "choices__3__key" in response.context["form"].errors
    assert len(question_of(survey, "choices")["choices"]) == 2


def test_details_errors_are_shown_next_to_the_fields(member_client: Client, survey: Survey) -> None:
    before = definition_of(survey)

    response = member_client.post(
        url("surveys:details", survey),
        {"name": "", "kind": "relationship", "touchpoint": "x", "languages": ["en"],
         "default_language": "zh-Hans"},
    )  # fmt: skip

    errors = response.context["details_form"].errors
    assert response.status_code == 200
    assert set(errors) == {"name", "default_language"}
    assert "error-summary" in page_text(response)
    assert definition_of(survey) == before


# Survey details -----------------------------------------------------------------------------


def test_edit_survey_details_and_texts(member_client: Client, survey: Survey) -> None:
    response = member_client.post(
        url("surveys:details", survey),
        {"name": "门店回访", "kind": "relationship", "touchpoint": "门店购物",
         "languages": ["zh-Hans", "en"], "default_language": "en",
         "title__zh-Hans": "欢迎", "title__en": "Welcome", "intro__en": "",
         "thank_you__zh-Hans": "谢谢"},
    )  # fmt: skip

    survey.refresh_from_db()
    assert response.status_code == 302
    assert (survey.name, survey.kind, survey.default_language) == ("门店回访", "relationship", "en")
    assert survey.title == {"zh-Hans": "欢迎", "en": "Welcome"}
    assert survey.thank_you == {"zh-Hans": "谢谢"}


def test_adding_a_language_copies_texts_and_asks_to_translate(
    member_client: Client, survey: Survey
) -> None:
    response = member_client.post(
        url("surveys:details", survey),
        {"name": survey.name, "kind": survey.kind, "touchpoint": "",
         "languages": ["zh-Hans", "zh-Hant", "en"], "default_language": "zh-Hans"},
        follow=True,
    )  # fmt: skip

    nps = question_of(survey, "nps")
    assert nps["text"]["zh-Hant"] == nps["text"]["zh-Hans"]
    assert "translate them" in page_text(response)
    assert 'name="text__zh-Hant"' in page_text(
        member_client.get(url("surveys:question", survey, "nps"))
    )


# Answers are protected ----------------------------------------------------------------------


@pytest.fixture
def answered(survey: Survey) -> Survey:
    published = survey_for(survey.organization)
    answer(published, 9, answers={"sat": 4})
    return published


def test_deleting_an_answered_question_is_refused_with_the_reason(
    member_client: Client, answered: Survey
) -> None:
    response = member_client.post(url("surveys:question_delete", answered, "nps"), follow=True)

    assert "has answers and cannot be removed" in page_text(response)
    assert keys_of(answered) == ["nps", "sat", "why"]


def test_changing_the_scale_of_an_answered_question_is_refused_next_to_it(
    member_client: Client, answered: Survey
) -> None:
    response = member_client.post(
        url("surveys:question", answered, "sat"), question_form_data(answered, "sat", scale="7")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["scale"] == [
        "Question “sat” has answers; its scale cannot change."
    ]
    assert question_of(answered, "sat")["scale"] == 5


def test_renaming_an_answered_question_is_refused(member_client: Client, answered: Survey) -> None:
    response = member_client.post(
        url("surveys:question", answered, "nps"), question_form_data(answered, "nps", key="score")
    )

    assert "has answers and cannot be removed" in page_text(response)
    assert keys_of(answered) == ["nps", "sat", "why"]


def test_safe_edits_are_still_allowed_once_answered(
    member_client: Client, answered: Survey
) -> None:
    member_client.post(
        url("surveys:question", answered, "nps"),
        question_form_data(answered, "nps", **{"text__en": "Would you recommend us?"}),
    )
    member_client.post(url("surveys:question_move", answered, "why"), {"direction": "up"})
    member_client.post(url("surveys:question_add", answered), {"type": "text"})

    assert question_of(answered, "nps")["text"]["en"] == "Would you recommend us?"
    assert keys_of(answered) == ["nps", "why", "sat", "comment"]


def test_the_builder_explains_the_rules_once_answered(
    member_client: Client, answered: Survey, survey: Survey
) -> None:
    assert "This survey has answers" in page_text(member_client.get(url("surveys:edit", answered)))
    assert "This survey has answers" not in page_text(
        member_client.get(url("surveys:edit", survey))
    )


# Status -------------------------------------------------------------------------------------


def test_publish_pause_close_and_reopen(member_client: Client, survey: Survey) -> None:
    statuses = []
    for action in ("publish", "pause", "publish", "close", "publish"):
        response = member_client.post(url("surveys:transition", survey), {"action": action})
        assert response.status_code == 302
        survey.refresh_from_db()
        statuses.append(survey.status)

    assert statuses == ["active", "paused", "active", "closed", "active"]


def test_the_builder_shows_the_status_and_its_buttons(
    member_client: Client, survey: Survey
) -> None:
    draft = page_text(member_client.get(url("surveys:edit", survey)))
    member_client.post(url("surveys:transition", survey), {"action": "publish"})
    active = page_text(member_client.get(url("surveys:edit", survey)))

    assert "status-draft" in draft and 'value="publish"' in draft and 'value="pause"' not in draft
    assert "status-active" in active and 'value="pause"' in active and 'value="close"' in active


def test_a_survey_without_questions_cannot_be_published(
    member_client: Client, organization: Organization
) -> None:
    empty = survey_for(organization, publish=False, questions=[])

    response = member_client.post(
        url("surveys:transition", empty), {"action": "publish"}, follow=True
    )

    empty.refresh_from_db()
    assert empty.status == SurveyStatus.DRAFT
    assert "Add at least one question before publishing." in page_text(response)


def test_an_impossible_transition_is_explained(member_client: Client, survey: Survey) -> None:
    response = member_client.post(
        url("surveys:transition", survey), {"action": "pause"}, follow=True
    )

    survey.refresh_from_db()
    assert survey.status == SurveyStatus.DRAFT
    assert "cannot become" in page_text(response)


def test_the_builder_shows_the_public_link_in_every_language(
    member_client: Client, survey: Survey
) -> None:
    html = page_text(member_client.get(url("surveys:edit", survey)))

    public_url = f"http://testserver/s/{survey.slug}"
    assert f'value="{public_url}"' in html
    assert f"{public_url}?lang=zh-Hans" in html
    assert f"{public_url}?lang=en" in html
    assert f"{public_url}?lang=zh-Hant" not in html


# htmx ---------------------------------------------------------------------------------------


def test_htmx_swaps_the_question_form_and_card_in_place(
    member_client: Client, survey: Survey
) -> None:
    htmx = {"HX-Request": "true"}
    form_url = url("surveys:question", survey, "why")

    form = member_client.get(form_url, headers=htmx)
    invalid = member_client.post(
        form_url, question_form_data(survey, "why", **{"text__en": ""}), headers=htmx
    )
    saved = member_client.post(
        form_url, question_form_data(survey, "why", **{"text__en": "Why so?"}), headers=htmx
    )

    assert "<html" not in page_text(form) and 'hx-post="' + form_url in page_text(form)
    assert invalid.status_code == 200 and "Missing the text in this language." in page_text(invalid)
    assert "<html" not in page_text(saved)
    assert 'id="question-why"' in page_text(saved) and "Why so?" in page_text(saved)
    assert question_of(survey, "why")["text"]["en"] == "Why so?"


# Roles and tenancy --------------------------------------------------------------------------


def post_requests(survey: Survey) -> list[tuple[str, dict[str, Any]]]:
    return [
        (reverse("surveys:create", args=[survey.organization.slug]),
         {"template": "csat_support", "languages": ["en"], "default_language": "en"}),
        (url("surveys:details", survey),
         {"name": "Hacked", "kind": "relationship", "languages": ["en"], "default_language": "en"}),
        (url("surveys:question_add", survey), {"type": "text"}),
        (url("surveys:question", survey, "nps"), question_form_data(survey, "nps", key="hacked")),
        (url("surveys:question_move", survey, "nps"), {"direction": "down"}),
        (url("surveys:question_delete", survey, "why"), {}),
        (url("surveys:transition", survey), {"action": "publish"}),
    ]  # fmt: skip


def snapshot(organization: Organization) -> list[tuple[Any, ...]]:
    return [
        (survey.pk, survey.status, survey_definition_dict(survey))
        for survey in Survey.objects.filter(organization=organization).order_by("pk")
    ]


def test_a_viewer_sees_the_builder_read_only(organization: Organization, survey: Survey) -> None:
    viewer = client_for(MembershipFactory(organization=organization, role=Role.VIEWER))

    builder = viewer.get(url("surveys:edit", survey))
    listing = viewer.get(reverse("surveys:list", args=[organization.slug]))

    html = page_text(builder)
    assert builder.status_code == 200
    assert "<form" not in html.split("<main", 1)[1]
    assert url("surveys:question", survey, "nps") not in html
    assert "How likely are you to recommend us?" in html
    assert reverse("surveys:create", args=[organization.slug]) not in page_text(listing)
    assert viewer.get(url("surveys:question", survey, "nps")).status_code == 403
    assert viewer.get(reverse("surveys:create", args=[organization.slug])).status_code == 403


def test_a_viewer_gets_403_on_every_change(organization: Organization, survey: Survey) -> None:
    viewer = client_for(MembershipFactory(organization=organization, role=Role.VIEWER))
    before = snapshot(organization)

    statuses = [viewer.post(path, data).status_code for path, data in post_requests(survey)]

    assert statuses == [403] * len(statuses)
    assert snapshot(organization) == before


@pytest.mark.parametrize("role", [Role.ADMIN, Role.ANALYST])
def test_admins_and_analysts_can_edit(
    organization: Organization, survey: Survey, role: str
) -> None:
    editor = client_for(MembershipFactory(organization=organization, role=role))

    editor.post(url("surveys:question_add", survey), {"type": "text"})

    assert "comment" in keys_of(survey)


def test_another_organization_gets_404_everywhere_and_changes_nothing(
    organization: Organization, survey: Survey, other_membership: Membership
) -> None:
    stranger = client_for(other_membership)
    before = snapshot(organization)
    pages = [
        reverse("surveys:list", args=[organization.slug]),
        reverse("surveys:create", args=[organization.slug]),
        url("surveys:edit", survey),
        url("surveys:question", survey, "nps"),
    ]
    # The survey id under the stranger's own organization must not reach it either.
    own_slug = other_membership.organization.slug
    smuggled = [
        reverse("surveys:edit", args=[own_slug, survey.pk]),
        reverse("surveys:question", args=[own_slug, survey.pk, "nps"]),
        reverse("surveys:question_delete", args=[own_slug, survey.pk, "why"]),
        reverse("surveys:transition", args=[own_slug, survey.pk]),
    ]

    page_statuses = [stranger.get(path).status_code for path in pages]
    post_statuses = [stranger.post(path, data).status_code for path, data in post_requests(survey)]
    smuggled_statuses = [stranger.post(path, {"action": "close"}).status_code for path in smuggled]

    assert page_statuses == [404] * len(pages)
    assert post_statuses == [404] * len(post_statuses)
    assert smuggled_statuses == [404] * len(smuggled)
    assert stranger.get(smuggled[0]).status_code == 404
    assert snapshot(organization) == before
    assert not Survey.objects.filter(organization=other_membership.organization).exists()


def test_an_unknown_question_is_404(member_client: Client, survey: Survey) -> None:
    assert member_client.get(url("surveys:question", survey, "nope")).status_code == 404
    assert member_client.post(url("surveys:question_delete", survey, "nope")).status_code == 404


def test_anonymous_users_are_sent_to_log_in(survey: Survey) -> None:
    response = Client().get(url("surveys:edit", survey))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_every_template_definition_is_what_gets_stored(
    member_client: Client, organization: Organization
) -> None:
    member_client.post(
        reverse("surveys:create", args=[organization.slug]),
        {"template": "ces_service", "languages": ["en"], "default_language": "en"},
    )

    stored = definition_of(Survey.objects.get(organization=organization))
    assert parse_survey_definition(stored).questions[0].scale == 7


def test_htmx_shows_the_form_again_after_a_scale_change(
    member_client: Client, survey: Survey
) -> None:
    response = member_client.post(
        url("surveys:question", survey, "sat"),
        question_form_data(survey, "sat", scale="10"),
        headers={"HX-Request": "true"},
    )

    html = page_text(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert 'name="labels__10__en"' in html
    assert "Scale changed" in html
    assert question_of(survey, "sat")["scale"] == 10
