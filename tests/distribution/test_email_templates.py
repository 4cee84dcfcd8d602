from collections.abc import Iterator

import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from cxloop.common.errors import InputError
from cxloop.distribution.email_defaults import DEFAULT_EMAIL_TEXTS
from cxloop.distribution.models import EmailTemplate
from cxloop.distribution.selectors import (
    SOURCE_BUILT_IN,
    SOURCE_ORGANIZATION,
    SOURCE_SURVEY,
    email_template_choose,
    email_template_overview,
)
from cxloop.distribution.services import email_template_reset, email_template_set
from cxloop.organizations.models import Membership, Organization
from tests.factories import survey_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def save(organization: Organization, **kwargs: object) -> EmailTemplate:
    values: dict[str, object] = {
        "language": "en",
        "kind": "invitation",
        "subject": "Hello {contact_name}",
        "body": "Please answer: {link}",
        **kwargs,
    }
    return email_template_set(organization=organization, **values)  # type: ignore[arg-type]


def field_errors(error: InputError) -> dict[str, list[str]]:
    return error.by_field()


def test_without_rows_the_built_in_text_is_used(organization: Organization) -> None:
    chosen = email_template_choose(
        organization=organization, survey=None, language="zh-Hant", kind="reminder"
    )
    default = DEFAULT_EMAIL_TEXTS[("zh-Hant", "reminder")]
    assert (chosen.subject, chosen.body, chosen.source) == (
        default.subject,
        default.body,
        SOURCE_BUILT_IN,
    )


def test_a_survey_override_beats_the_organization_default(organization: Organization) -> None:
    survey = survey_for(organization)
    other = survey_for(organization)
    save(organization, subject="Org")
    save(organization, survey=survey, subject="Survey")

    def chosen(survey_: object) -> tuple[str, str]:
        text = email_template_choose(
            organization=organization,
            survey=survey_,  # type: ignore[arg-type]
            language="en",
            kind="invitation",
        )
        return text.subject, text.source

    assert chosen(survey) == ("Survey", SOURCE_SURVEY)
    assert chosen(other) == ("Org", SOURCE_ORGANIZATION)
    assert chosen(None) == ("Org", SOURCE_ORGANIZATION)
    # Another language or kind of the same survey is untouched.
    reminder = email_template_choose(
        organization=organization, survey=survey, language="en", kind="reminder"
    )
    assert reminder.source == SOURCE_BUILT_IN


def test_saving_again_updates_the_one_row(
    organization: Organization, membership: Membership
) -> None:
    first = save(organization, subject="One")
    second = save(organization, subject="Two", by=membership.user)
    assert first.pk == second.pk
    assert EmailTemplate.objects.get().subject == "Two"
    assert EmailTemplate.objects.get().updated_by == membership.user


def test_text_is_trimmed_and_line_endings_normalized(organization: Organization) -> None:
    saved = save(organization, subject="  Hi  ", body="\r\nA\r\n\r\n{link}\r\n")
    assert (saved.subject, saved.body) == ("Hi", "A\n\n{link}")


def test_one_default_per_organization_language_and_kind_in_the_database(
    organization: Organization,
) -> None:
    save(organization)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailTemplate.objects.create(
            organization=organization, language="en", kind="invitation", subject="x", body="y"
        )


def test_one_override_per_survey_language_and_kind_in_the_database(
    organization: Organization,
) -> None:
    survey = survey_for(organization)
    save(organization, survey=survey)
    with pytest.raises(IntegrityError), transaction.atomic():
        EmailTemplate.objects.create(
            organization=organization,
            survey=survey,
            language="en",
            kind="invitation",
            subject="x",
            body="y",
        )


@pytest.mark.parametrize(
    ("subject", "body", "field", "fragment"),
    [
        ("", "{link}", "subject", "required"),
        ("Hi", "   ", "body", "required"),
        ("Hi {name}", "{link}", "subject", "Unknown placeholder {name} at character 4"),
        ("Hi", "{link} {{x}} {bad}", "body", "Unknown placeholder {bad}"),
        ("Hi", "{}", "body", "Empty braces"),
        ("Hi", "go {link", "body", "is not closed"),
        ("Hi", "a } b {link}", "body", "has no opening"),
        ("Hi", "{% debug %}", "body", "Unknown placeholder"),
        ("x" * 201, "{link}", "subject", "at most 200"),
        ("Hi", "x" * 5001, "body", "at most 5000"),
        ("Hi\nBcc: a@b.c", "{link}", "subject", "one line"),
        ("Hi", "nul\x00", "body", "not allowed"),
    ],
)
def test_invalid_text_is_refused_by_field(
    organization: Organization, subject: str, body: str, field: str, fragment: str
) -> None:
    with pytest.raises(InputError) as raised:
        save(organization, subject=subject, body=body)
    messages = field_errors(raised.value)
    assert field in messages, messages
    assert any(fragment in message for message in messages[field]), messages
    assert not EmailTemplate.objects.exists()


def test_all_problems_are_reported_at_once(organization: Organization) -> None:
    with pytest.raises(InputError) as raised:
        save(organization, subject="{a}", body="{b} {c")
    messages = field_errors(raised.value)
    assert len(messages["subject"]) == 1 and len(messages["body"]) == 2


@pytest.mark.parametrize(
    ("language", "kind", "field"),
    [("fr", "invitation", "language"), ("en", "newsletter", "kind")],
)
def test_unknown_language_or_kind(
    organization: Organization, language: str, kind: str, field: str
) -> None:
    with pytest.raises(InputError) as raised:
        save(organization, language=language, kind=kind)
    assert field in field_errors(raised.value)


def test_a_survey_override_only_in_the_surveys_languages(organization: Organization) -> None:
    survey = survey_for(organization)  # zh-Hans and en
    with pytest.raises(InputError) as raised:
        save(organization, survey=survey, language="zh-Hant")
    assert "language" in field_errors(raised.value)


def test_another_organizations_survey_is_refused(
    organization: Organization, other_membership: Membership
) -> None:
    foreign = survey_for(other_membership.organization)
    with pytest.raises(InputError) as raised:
        save(organization, survey=foreign)
    assert "survey" in field_errors(raised.value)
    with pytest.raises(InputError):
        email_template_reset(
            organization=organization, survey=foreign, language="en", kind="invitation"
        )
    assert not EmailTemplate.objects.exists()


def test_reset_removes_only_its_own_row(organization: Organization) -> None:
    survey = survey_for(organization)
    save(organization)
    save(organization, survey=survey)
    save(organization, kind="reminder")

    assert email_template_reset(
        organization=organization, survey=survey, language="en", kind="invitation"
    )
    assert not email_template_reset(
        organization=organization, survey=survey, language="en", kind="invitation"
    )
    assert sorted(EmailTemplate.objects.values_list("kind", "survey")) == [
        ("invitation", None),
        ("reminder", None),
    ]
    assert email_template_reset(organization=organization, language="en", kind="invitation")
    assert list(EmailTemplate.objects.values_list("kind", flat=True)) == ["reminder"]


def test_the_overview_covers_every_language_and_kind(
    organization: Organization, other_membership: Membership
) -> None:
    survey = survey_for(organization)
    save(organization, language="zh-Hans", kind="reminder", subject="组织")
    save(organization, survey=survey, language="en", subject="Survey")
    save(other_membership.organization, language="en", subject="Other org")

    overview = {
        (r.language, r.kind): r.text for r in email_template_overview(organization=organization)
    }
    assert len(overview) == 6
    assert overview[("zh-Hans", "reminder")].subject == "组织"
    assert overview[("en", "invitation")].source == SOURCE_BUILT_IN  # not the survey's, not theirs

    of_survey = {
        (r.language, r.kind): r.text.source
        for r in email_template_overview(organization=organization, survey=survey)
    }
    assert of_survey == {
        ("zh-Hans", "invitation"): SOURCE_BUILT_IN,
        ("zh-Hans", "reminder"): SOURCE_ORGANIZATION,
        ("en", "invitation"): SOURCE_SURVEY,
        ("en", "reminder"): SOURCE_BUILT_IN,
    }
