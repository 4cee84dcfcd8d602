import html
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cxloop.distribution.models import EmailTemplate
from cxloop.distribution.services import email_template_set
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.surveys.models import Survey
from tests.factories import MembershipFactory, survey_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_interface(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def logged_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def list_url(organization: Organization, survey: Survey | None = None) -> str:
    url = reverse("distribution:email_templates", args=[organization.slug])
    return f"{url}?survey={survey.pk}" if survey else url


def edit_url(
    organization: Organization, language: str, kind: str, survey: Survey | None = None
) -> str:
    url = reverse("distribution:email_template_edit", args=[organization.slug, language, kind])
    return f"{url}?survey={survey.pk}" if survey else url


def preview_url(organization: Organization, language: str, kind: str) -> str:
    return reverse("distribution:email_template_preview", args=[organization.slug, language, kind])


def reset_url(organization: Organization, language: str, kind: str) -> str:
    return reverse("distribution:email_template_reset", args=[organization.slug, language, kind])


def test_the_list_shows_every_language_and_kind_with_its_source(membership: Membership) -> None:
    organization = membership.organization
    email_template_set(
        organization=organization,
        language="zh-Hant",
        kind="reminder",
        subject="提醒您 {organization}",
        body="{link}",
        by=membership.user,
    )

    page = logged_in(membership).get(list_url(organization))

    assert page.status_code == 200
    text = page.content.decode()
    assert text.count('data-testid="source"') == 6
    assert text.count("Built-in text") == 5
    assert "Organization text" in text and "提醒您 {organization}" in text
    assert membership.user.email in text
    assert edit_url(organization, "zh-Hant", "reminder") in text


def test_the_settings_navigation_links_to_the_templates(membership: Membership) -> None:
    page = logged_in(membership).get(
        reverse("distribution:sms_settings", args=[membership.organization.slug])
    )
    assert list_url(membership.organization) in page.content.decode()


def test_a_surveys_list_offers_only_its_languages(membership: Membership) -> None:
    survey = survey_for(membership.organization)  # zh-Hans and en
    page = logged_in(membership).get(list_url(membership.organization, survey)).content.decode()
    assert page.count('data-testid="source"') == 4
    assert 'data-language="zh-Hant"' not in page
    assert edit_url(membership.organization, "en", "invitation", survey) in page


def test_list_page_query_count_does_not_grow_with_templates_or_surveys(
    membership: Membership, django_assert_num_queries: Any
) -> None:
    organization = membership.organization
    client = logged_in(membership)
    client.get(list_url(organization))  # warm the session
    # session, user, membership, surveys for the picker, templates
    with django_assert_num_queries(5):
        client.get(list_url(organization))
    for language in ("zh-Hans", "zh-Hant", "en"):
        for kind in ("invitation", "reminder"):
            email_template_set(
                organization=organization,
                language=language,
                kind=kind,
                subject="S {link}",
                body="B",
                by=membership.user,
            )
    survey_for(organization)
    survey_for(organization)
    with django_assert_num_queries(5):
        page = client.get(list_url(organization))
    assert page.content.decode().count('data-testid="source">Organization text<') == 6


def test_the_edit_page_shows_the_text_in_use_and_its_preview(membership: Membership) -> None:
    page = logged_in(membership).get(edit_url(membership.organization, "zh-Hans", "invitation"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "尊敬的{contact_name}，您好：" in text  # the built-in text, ready to edit
    assert 'data-testid="preview-html"' in text
    srcdoc = html.unescape(text.split('srcdoc="')[1].split('"')[0])
    assert '<html lang="zh-Hans">' in srcdoc
    assert "尊敬的李伟，您好：" in srcdoc  # the sample contact
    assert srcdoc.count("data-score=") == 11
    assert 'data-testid="reset"' not in text  # nothing to reset yet


def test_saving_stores_the_text_and_it_is_used(membership: Membership) -> None:
    organization = membership.organization
    client = logged_in(membership)

    response = client.post(
        edit_url(organization, "en", "invitation"),
        {"subject": "We value you, {contact_name}", "body": "Hi!\r\n\r\n{link}", "action": "save"},
    )

    assert response.status_code == 302
    saved = EmailTemplate.objects.get(organization=organization)
    assert (saved.survey, saved.language, saved.kind) == (None, "en", "invitation")
    assert (saved.subject, saved.body) == ("We value you, {contact_name}", "Hi!\n\n{link}")
    assert saved.updated_by == membership.user
    page = html.unescape(client.get(response["Location"]).content.decode())
    assert "E-mail template saved." in page
    assert "Now: the organization's text." in page


def test_an_unknown_placeholder_is_refused_with_a_clear_message(membership: Membership) -> None:
    organization = membership.organization

    response = logged_in(membership).post(
        edit_url(organization, "en", "invitation"),
        {"subject": "Hello", "body": "Dear {name}, {link", "action": "save"},
    )

    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert "Unknown placeholder {name} at character 6. Use one of: {contact_name}," in text
    assert "The “{” at character 14 is not closed by “}”." in text
    assert 'data-testid="body-errors"' in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_an_empty_subject_is_refused_next_to_its_field(membership: Membership) -> None:
    client = logged_in(membership)
    response = client.post(
        edit_url(membership.organization, "en", "invitation"),
        {"subject": "  ", "body": "{link}", "action": "save"},
    )
    assert response.status_code == 400
    assert 'data-testid="subject-errors"' in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_the_live_preview_renders_the_posted_text(membership: Membership) -> None:
    organization = membership.organization
    response = logged_in(membership).post(
        preview_url(organization, "en", "reminder"),
        {
            "subject": "Still time, {contact_name}",
            "body": "Dear <b>{contact_name}</b>\r\n{link}\r\n\r\nThanks",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith('<div id="email-preview"')
    assert "Still time, Alex Chen" in text
    srcdoc = html.unescape(text.split('srcdoc="')[1].split('"')[0])
    assert "Dear &lt;b&gt;Alex Chen&lt;/b&gt;<br>" in srcdoc
    assert ">Thanks</p>" in srcdoc  # the browser's CRLF line breaks make paragraphs
    assert not EmailTemplate.objects.exists()


def test_the_live_preview_explains_a_bad_text(membership: Membership) -> None:
    response = logged_in(membership).post(
        preview_url(membership.organization, "en", "reminder"),
        {"subject": "Hi", "body": "oops }"},
    )
    assert response.status_code == 200
    assert 'data-testid="preview-errors"' in response.content.decode()
    assert "has no opening" in html.unescape(response.content.decode())


def test_the_no_javascript_preview_button_previews_without_saving(membership: Membership) -> None:
    response = logged_in(membership).post(
        edit_url(membership.organization, "en", "invitation"),
        {"subject": "Preview me", "body": "{link}", "action": "preview"},
    )
    assert response.status_code == 200
    assert 'data-testid="preview-subject">Preview me<' in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_a_survey_override_and_its_reset(membership: Membership) -> None:
    organization = membership.organization
    survey = survey_for(organization)
    client = logged_in(membership)
    email_template_set(
        organization=organization, language="en", kind="invitation", subject="Org", body="{link}"
    )

    saved = client.post(
        edit_url(organization, "en", "invitation", survey),
        {"subject": "Survey only", "body": "{link}", "survey": str(survey.pk)},
    )

    assert saved.status_code == 302
    assert EmailTemplate.objects.get(survey=survey).subject == "Survey only"
    page = html.unescape(
        client.get(edit_url(organization, "en", "invitation", survey)).content.decode()
    )
    assert "Now: this survey's text." in page
    assert 'data-testid="reset"' in page
    # The survey's own first question appears in its preview.
    assert "How likely are you to recommend us?" in html.unescape(page)

    reset = client.post(reset_url(organization, "en", "invitation"), {"survey": str(survey.pk)})

    assert reset.status_code == 302
    assert not EmailTemplate.objects.filter(survey=survey).exists()
    assert EmailTemplate.objects.get(survey=None).subject == "Org"  # the default stays


def test_reset_of_the_organization_text_goes_back_to_the_built_in_one(
    membership: Membership,
) -> None:
    organization = membership.organization
    email_template_set(
        organization=organization, language="en", kind="reminder", subject="X", body="{link}"
    )
    client = logged_in(membership)
    assert (
        'data-testid="reset"'
        in client.get(edit_url(organization, "en", "reminder")).content.decode()
    )

    client.post(reset_url(organization, "en", "reminder"))

    assert not EmailTemplate.objects.exists()
    page = client.get(edit_url(organization, "en", "reminder")).content.decode()
    assert "Now: the built-in text." in page


def test_a_language_the_survey_does_not_offer_is_not_found(membership: Membership) -> None:
    survey = survey_for(membership.organization)  # zh-Hans and en
    client = logged_in(membership)
    assert (
        client.get(edit_url(membership.organization, "zh-Hant", "invitation", survey)).status_code
        == 404
    )
    assert client.get(edit_url(membership.organization, "fr", "invitation")).status_code == 404
    assert client.get(edit_url(membership.organization, "en", "newsletter")).status_code == 404
    assert (
        client.get(
            edit_url(membership.organization, "en", "invitation") + "?survey=abc"
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_analysts_and_viewers_are_refused(membership: Membership, role: str) -> None:
    organization = membership.organization
    member = MembershipFactory(organization=organization, role=role)
    client = logged_in(member)

    assert client.get(list_url(organization)).status_code == 403
    assert client.get(edit_url(organization, "en", "invitation")).status_code == 403
    posted = client.post(edit_url(organization, "en", "invitation"), {"subject": "S", "body": "B"})
    assert posted.status_code == 403
    assert client.post(preview_url(organization, "en", "invitation"), {}).status_code == 403
    assert client.post(reset_url(organization, "en", "invitation")).status_code == 403
    assert not EmailTemplate.objects.exists()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_may_edit(membership: Membership, role: str) -> None:
    member = MembershipFactory(organization=membership.organization, role=role)
    response = logged_in(member).post(
        edit_url(membership.organization, "en", "invitation"), {"subject": "S", "body": "B"}
    )
    assert response.status_code == 302
    assert EmailTemplate.objects.get().updated_by == member.user


def test_another_organization_sees_and_changes_nothing(
    membership: Membership, other_membership: Membership
) -> None:
    victim = membership.organization
    survey = survey_for(victim)
    email_template_set(
        organization=victim, language="en", kind="invitation", subject="Secret", body="{link}"
    )
    email_template_set(
        organization=victim,
        survey=survey,
        language="en",
        kind="invitation",
        subject="Secret survey",
        body="{link}",
    )
    intruder = logged_in(other_membership)

    assert intruder.get(list_url(victim)).status_code == 404
    assert intruder.get(edit_url(victim, "en", "invitation")).status_code == 404
    assert (
        intruder.post(
            edit_url(victim, "en", "invitation"), {"subject": "Hacked", "body": "x"}
        ).status_code
        == 404
    )
    assert (
        intruder.post(
            preview_url(victim, "en", "invitation"), {"subject": "a", "body": "b"}
        ).status_code
        == 404
    )
    assert intruder.post(reset_url(victim, "en", "invitation")).status_code == 404
    # The intruder's own pages do not reach the victim's survey either.
    own = other_membership.organization
    assert intruder.get(list_url(own, survey)).status_code == 404
    assert intruder.get(edit_url(own, "en", "invitation", survey)).status_code == 404
    posted = intruder.post(
        edit_url(own, "en", "invitation"),
        {"subject": "Hacked", "body": "x", "survey": str(survey.pk)},
    )
    assert posted.status_code == 404
    assert (
        intruder.post(reset_url(own, "en", "invitation"), {"survey": str(survey.pk)}).status_code
        == 404
    )
    assert sorted(EmailTemplate.objects.values_list("organization_id", "subject")) == [
        (victim.pk, "Secret"),
        (victim.pk, "Secret survey"),
    ]
