import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from cxloop.contacts.models import Contact
from cxloop.contacts.services import unsubscribe_url
from cxloop.distribution.email_content import (
    RenderedEmail,
    invitation_open_pixel_url,
    render_invitation_email,
)
from cxloop.distribution.models import EmailTemplate, Invitation, InvitationStatus
from cxloop.distribution.services import (
    email_template_set,
    invitation_create,
    invitation_link,
    invitation_progress,
    invitation_token,
)
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition_dict
from cxloop.surveys.services import survey_create, survey_publish, survey_update
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
PUBLIC_URL = "https://cx.example.com"
ALL_LANGUAGES = ["zh-Hans", "zh-Hant", "en"]
NPS_PLUS_TEXT = {
    "zh-Hans": "您有多大可能向朋友推荐我们的门店？",
    "zh-Hant": "您有多大可能向朋友推薦我們的門市？",
    "en": "How likely are you to recommend our store to a friend?",
}
LOW = {"zh-Hans": "绝不推荐", "zh-Hant": "絕不推薦", "en": "Never"}
HIGH = {"zh-Hans": "一定推荐", "zh-Hant": "一定推薦", "en": "Definitely"}


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.PUBLIC_URL = PUBLIC_URL


def three_language_survey(organization: Organization, first: dict[str, Any]) -> Survey:
    survey = survey_create(
        organization=organization,
        definition={
            "name": "Store visit",
            "languages": ALL_LANGUAGES,
            "default_language": "zh-Hans",
            "title": {"zh-Hans": "门店体验", "zh-Hant": "門市體驗", "en": "Store experience"},
            "questions": [
                first,
                {
                    "key": "why",
                    "type": "text",
                    "required": False,
                    "text": {"zh-Hans": "原因？", "zh-Hant": "原因？", "en": "Why?"},
                },
            ],
        },
    )
    return survey_publish(survey=survey)


NPS_PLUS_QUESTION: dict[str, Any] = {
    "key": "rec",
    "type": "nps_plus",
    "text": NPS_PLUS_TEXT,
    "labels": {"low": LOW, "high": HIGH},
    "reasons": [
        {"key": "price", "text": {"zh-Hans": "价格", "zh-Hant": "價格", "en": "Price"}},
    ],
}
CSAT_QUESTION: dict[str, Any] = {
    "key": "sat",
    "type": "csat",
    "text": {"zh-Hans": "满意吗？", "zh-Hant": "滿意嗎？", "en": "Satisfied?"},
}


def contact_in(organization: Organization, language: str = "", name: str = "李伟") -> Contact:
    return Contact.objects.create(
        organization=organization,
        external_id=f"c-{Contact.objects.count() + 1}",
        name=name,
        email="li@example.com",
        language=language,
        time_zone="Asia/Shanghai",
    )


def invite(survey: Survey, contact: Contact, now: datetime | None = None) -> Invitation:
    invitation, _created = invitation_create(
        survey=survey,
        contact=contact,
        channel="email",
        batch_key="b1",
        now=now or timezone.now(),
    )
    return invitation


def hrefs(email: RenderedEmail) -> list[str]:
    return [
        value.replace("&amp;", "&") for value in re.findall(r'(?:href|src)="([^"]+)"', email.html)
    ]


def score_links(email: RenderedEmail) -> dict[int, str]:
    found = re.findall(r'<a href="([^"]+)" data-score="(\d+)"', email.html)
    return {int(score): url.replace("&amp;", "&") for url, score in found}


def local_path(url: str) -> str:
    assert url.startswith(PUBLIC_URL + "/")
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@pytest.mark.parametrize(
    ("language", "greeting"),
    [("zh-Hans", "尊敬的李伟，您好："), ("zh-Hant", "親愛的李伟，您好："), ("en", "Dear 李伟,")],
)
def test_each_language_gets_its_own_text_question_and_labels(
    organization: Organization, language: str, greeting: str
) -> None:
    survey = three_language_survey(organization, NPS_PLUS_QUESTION)
    invitation = invite(survey, contact_in(organization, language))

    email = render_invitation_email(invitation=invitation, kind="invitation")

    assert f'<html lang="{language}">' in email.html
    assert greeting in email.text and greeting in email.html
    assert survey.title[language] in email.text
    assert NPS_PLUS_TEXT[language] in email.html
    assert LOW[language] in email.html and HIGH[language] in email.html
    assert organization.name in email.subject


def test_a_language_the_survey_does_not_offer_falls_back_to_its_default(
    organization: Organization,
) -> None:
    survey = survey_for(organization, default_language="en")  # zh-Hans and en
    email = render_invitation_email(
        invitation=invite(survey, contact_in(organization, "zh-Hant")), kind="invitation"
    )
    assert '<html lang="en">' in email.html
    assert email.text.startswith("Dear 李伟,")
    assert "How likely are you to recommend us?" in email.html


def test_a_contact_language_spelled_differently_is_understood(organization: Organization) -> None:
    survey = three_language_survey(organization, NPS_PLUS_QUESTION)
    email = render_invitation_email(
        invitation=invite(survey, contact_in(organization, "zh-TW")), kind="invitation"
    )
    assert '<html lang="zh-Hant">' in email.html


def test_the_first_nps_question_offers_eleven_one_click_scores(
    organization: Organization,
) -> None:
    survey = three_language_survey(organization, NPS_PLUS_QUESTION)
    invitation = invite(survey, contact_in(organization, "en"))

    email = render_invitation_email(invitation=invitation, kind="invitation")

    links = score_links(email)
    assert sorted(links) == list(range(11))
    for score, url in links.items():
        assert url == invitation_link(invitation, score=score) + "&lang=en"
    answer = re.search(r'href="([^"]+)" data-testid="answer-link"', email.html)
    assert answer is not None and answer.group(1) == invitation_link(invitation) + "?lang=en"


@pytest.mark.parametrize("score", [0, 7, 10])
def test_a_score_link_opens_the_invitation_with_that_score_chosen(
    organization: Organization, score: int
) -> None:
    survey = three_language_survey(organization, NPS_PLUS_QUESTION)
    invitation = invite(survey, contact_in(organization, "zh-Hant"))
    email = render_invitation_email(invitation=invitation, kind="invitation")

    page = Client().get(local_path(score_links(email)[score]))

    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(rf'name="q-rec" value="{score}" checked', html)
    assert len(re.findall(r"checked", html)) == 1
    assert NPS_PLUS_TEXT["zh-Hant"] in html  # the page speaks the e-mail's language
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.STARTED


def test_a_survey_not_starting_with_nps_has_no_score_buttons(organization: Organization) -> None:
    survey = three_language_survey(organization, CSAT_QUESTION)
    invitation = invite(survey, contact_in(organization, "en"))

    email = render_invitation_email(invitation=invitation, kind="invitation")

    assert score_links(email) == {}
    assert 'data-testid="one-click-nps"' not in email.html
    assert "Satisfied?" not in email.html
    assert 'data-testid="answer-link"' in email.html
    assert invitation_link(invitation) in email.text


def test_contact_and_organization_text_is_escaped_in_html_and_kept_in_text(
    organization: Organization,
) -> None:
    organization.name = "Tom & Jerry's <b>"
    organization.save()
    survey = survey_for(organization)
    contact = contact_in(organization, "en", name='<script>alert("x")</script>')

    email = render_invitation_email(invitation=invite(survey, contact), kind="invitation")

    assert "<script>" not in email.html and "<b>" not in email.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in email.html
    assert "Tom &amp; Jerry&#x27;s &lt;b&gt;" in email.html
    assert email.text.startswith('Dear <script>alert("x")</script>,')
    assert email.subject == "How was your experience with Tom & Jerry's <b>?"


def test_a_nameless_contact_is_greeted_politely(organization: Organization) -> None:
    survey = survey_for(organization)
    email = render_invitation_email(
        invitation=invite(survey, contact_in(organization, "zh-Hans", name="")),
        kind="invitation",
    )
    assert email.text.startswith("尊敬的客户，您好：")


def test_unsubscribe_is_in_both_parts_and_in_one_click_headers(organization: Organization) -> None:
    survey = survey_for(organization)
    contact = contact_in(organization, "en")

    email = render_invitation_email(invitation=invite(survey, contact), kind="reminder")

    expected = unsubscribe_url(contact, "email")
    assert expected.startswith(f"{PUBLIC_URL}/u/")
    assert email.headers == {
        "List-Unsubscribe": f"<{expected}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert expected in email.text
    assert expected in hrefs(email)


def test_the_mail_clients_one_click_unsubscribe_post_works(organization: Organization) -> None:
    survey = survey_for(organization)
    contact = contact_in(organization, "en")
    email = render_invitation_email(invitation=invite(survey, contact), kind="invitation")
    target = email.headers["List-Unsubscribe"].strip("<>")

    # RFC 8058: a cookie-less POST with exactly this form body.
    response = Client(enforce_csrf_checks=True).post(
        local_path(target),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out("email") and not contact.opted_out("sms")


def test_every_link_starts_with_the_public_url(organization: Organization) -> None:
    survey = three_language_survey(organization, NPS_PLUS_QUESTION)
    invitation = invite(survey, contact_in(organization, "en"))
    email = render_invitation_email(invitation=invitation, kind="invitation")

    links = hrefs(email)
    assert len(links) >= 11 + 3  # scores, answer, unsubscribe, open pixel, body link
    assert all(link.startswith(f"{PUBLIC_URL}/") for link in links)
    assert invitation_open_pixel_url(invitation) in links
    assert all(url.startswith(f"{PUBLIC_URL}/") for url in re.findall(r"https?://\S+", email.text))


def test_reminder_and_invitation_differ(organization: Organization) -> None:
    survey = survey_for(organization)
    invitation = invite(survey, contact_in(organization, "en"))
    first = render_invitation_email(invitation=invitation, kind="invitation")
    reminder = render_invitation_email(invitation=invitation, kind="reminder")
    assert first.subject != reminder.subject
    assert "haven't heard from you" in reminder.text
    assert "haven't heard from you" not in first.text


def test_the_expiry_date_is_the_contacts_local_date(organization: Organization) -> None:
    survey = survey_for(organization)
    contact = contact_in(organization, "en")
    contact.time_zone = "America/Los_Angeles"
    contact.save()
    # Links last 30 days: until 02:00 UTC on 5 June, which is still 4 June in Los Angeles.
    invitation = invite(survey, contact, now=datetime(2026, 5, 6, 2, 0, tzinfo=UTC))
    assert invitation.expires_at == datetime(2026, 6, 5, 2, 0, tzinfo=UTC)

    email = render_invitation_email(invitation=invitation, kind="invitation")

    assert "works until June 4, 2026." in email.text


def test_organization_text_and_survey_override(organization: Organization) -> None:
    survey = survey_for(organization)
    other_survey = survey_for(organization)
    contact = contact_in(organization, "en")
    email_template_set(
        organization=organization,
        language="en",
        kind="invitation",
        subject="Org: {survey_title}",
        body="Org body {link}",
    )
    email_template_set(
        organization=organization,
        survey=survey,
        language="en",
        kind="invitation",
        subject="Survey: {contact_name}",
        body="Survey body {link}",
    )

    overridden = render_invitation_email(invitation=invite(survey, contact), kind="invitation")
    default = render_invitation_email(invitation=invite(other_survey, contact), kind="invitation")
    reminder = render_invitation_email(invitation=invite(survey, contact), kind="reminder")

    assert (overridden.subject, overridden.text.split("\n")[0]) == (
        "Survey: 李伟",
        f"Survey body {invitation_link(invite(survey, contact))}?lang=en",
    )
    assert default.subject == "Org: Store visit"
    assert reminder.subject == "A quick reminder from " + organization.name


def test_a_body_without_the_link_still_carries_it_in_the_text_part(
    organization: Organization,
) -> None:
    survey = survey_for(organization)
    email_template_set(
        organization=organization,
        language="en",
        kind="invitation",
        subject="Hello",
        body="Tell us how it went!",
    )
    invitation = invite(survey, contact_in(organization, "en"))
    email = render_invitation_email(invitation=invitation, kind="invitation")
    assert f"Answer the survey: {invitation_link(invitation)}?lang=en" in email.text


def test_line_breaks_in_a_name_never_reach_the_subject(organization: Organization) -> None:
    survey = survey_for(organization)
    email_template_set(
        organization=organization,
        language="en",
        kind="invitation",
        subject="For {contact_name}",
        body="{link}",
    )
    contact = contact_in(organization, "en", name="Li\r\nBcc: evil@example.com")
    email = render_invitation_email(invitation=invite(survey, contact), kind="invitation")
    assert email.subject == "For Li Bcc: evil@example.com"


def test_a_stored_text_that_no_longer_parses_falls_back_to_the_built_in_one(
    organization: Organization,
) -> None:
    survey = survey_for(organization)
    EmailTemplate.objects.create(  # bypasses the service's validation, like an old row
        organization=organization,
        language="en",
        kind="invitation",
        subject="{retired_placeholder}",
        body="{link",
    )
    email = render_invitation_email(
        invitation=invite(survey, contact_in(organization, "en")), kind="invitation"
    )
    assert email.subject == f"How was your experience with {organization.name}?"


def test_a_batch_costs_no_query_per_message(
    organization: Organization, django_assert_num_queries: Any
) -> None:
    survey = survey_for(organization)
    invitation = Invitation.objects.select_related("survey", "contact", "organization").get(
        pk=invite(survey, contact_in(organization, "en")).pk
    )
    with django_assert_num_queries(2):  # the first question, the templates
        first = render_invitation_email(invitation=invitation, kind="invitation")
    with django_assert_num_queries(0):
        again = render_invitation_email(invitation=invitation, kind="invitation")
    assert again == first


def test_a_saved_text_reaches_the_next_message_at_once(organization: Organization) -> None:
    survey = survey_for(organization)
    invitation = invite(survey, contact_in(organization, "en"))
    render_invitation_email(invitation=invitation, kind="invitation")  # cached now
    email_template_set(
        organization=organization, language="en", kind="invitation", subject="New", body="{link}"
    )
    assert render_invitation_email(invitation=invitation, kind="invitation").subject == "New"


def test_an_edited_survey_question_reaches_the_next_message(organization: Organization) -> None:
    survey = three_language_survey(organization, NPS_PLUS_QUESTION)
    invitation = invite(survey, contact_in(organization, "en"))
    assert score_links(render_invitation_email(invitation=invitation, kind="invitation"))
    definition = survey_definition_dict(survey)
    definition["questions"] = [CSAT_QUESTION, *definition["questions"]]
    survey_update(survey=survey, definition=definition)
    invitation = Invitation.objects.get(pk=invitation.pk)
    assert score_links(render_invitation_email(invitation=invitation, kind="invitation")) == {}


# --- the open pixel --------------------------------------------------------------------------


def pixel_path(invitation: Invitation) -> str:
    return local_path(invitation_open_pixel_url(invitation))


def test_the_pixel_marks_an_opened_email_once(organization: Organization) -> None:
    invitation = invite(survey_for(organization), contact_in(organization, "en"))
    invitation_progress(invitation=invitation, status=InvitationStatus.SENT)
    assert pixel_path(invitation) == f"/i/{invitation_token(invitation)}/open.gif"

    first = Client().get(pixel_path(invitation))

    assert first.status_code == 200 and first["Content-Type"] == "image/gif"
    assert first.content.startswith(b"GIF89a")
    assert "no-cache" in first["Cache-Control"]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    opened_at = invitation.opened_at
    assert opened_at is not None

    Client().get(pixel_path(invitation))
    invitation.refresh_from_db()
    assert (invitation.status, invitation.opened_at) == (InvitationStatus.OPENED, opened_at)


def test_the_pixel_never_moves_an_invitation_backwards(organization: Organization) -> None:
    invitation = invite(survey_for(organization), contact_in(organization, "en"))
    invitation_progress(invitation=invitation, status=InvitationStatus.STARTED)

    assert Client().get(pixel_path(invitation)).status_code == 200

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.STARTED
    assert invitation.opened_at is None


def test_a_head_request_does_not_count_as_an_open(organization: Organization) -> None:
    invitation = invite(survey_for(organization), contact_in(organization, "en"))
    assert Client().head(pixel_path(invitation)).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.QUEUED


@pytest.mark.parametrize("token", ["nonsense", "1-forgedsignature", "x" * 300])
def test_an_unknown_pixel_is_still_an_image(token: str) -> None:
    response = Client().get(f"/i/{token}/open.gif")
    assert response.status_code == 404
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")


def test_a_failing_pixel_still_answers_with_the_image(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    invitation = invite(survey_for(organization), contact_in(organization, "en"))

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr("cxloop.distribution.public_views.invitation_progress", broken)
    response = Client().get(pixel_path(invitation))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"


def test_the_expiry_passed_still_shows_the_pixel(organization: Organization) -> None:
    invitation = invite(
        survey_for(organization),
        contact_in(organization, "en"),
        now=timezone.now() - timedelta(days=40),
    )
    invitation_progress(invitation=invitation, status=InvitationStatus.SENT)
    assert Client().get(pixel_path(invitation)).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
