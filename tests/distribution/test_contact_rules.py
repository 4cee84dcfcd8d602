"""Contact-frequency rules: the organization's, a survey's override, on the web and the API."""

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cxloop.common.errors import InputError
from cxloop.contacts.models import Contact
from cxloop.distribution.fatigue import ContactRules
from cxloop.distribution.models import ContactPolicy, InvitationStatus
from cxloop.distribution.sending import ReminderPolicy, reminder_policy
from cxloop.distribution.services import (
    contact_policy_remove_override,
    contact_policy_rules,
    contact_policy_set,
    invitation_create,
)
from cxloop.organizations.models import Membership, Organization, Role
from tests.conftest import ApiClient
from tests.factories import MembershipFactory, survey_for

pytestmark = pytest.mark.django_db
NOON_SHANGHAI = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)
RELAXED = ContactRules(
    min_days_between=0, max_per_year=12, quiet_start=None, quiet_end=None, link_valid_days=7
)


def rules(**changes: Any) -> ContactRules:
    values = {
        "min_days_between": 30,
        "max_per_year": 6,
        "quiet_start": time(22, 0),
        "quiet_end": time(8, 0),
        "link_valid_days": 14,
    }
    return ContactRules(**{**values, **changes})


def error_fields(error: InputError) -> list[str]:
    return [e.field for e in error.errors]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"min_days_between": -1}, ["min_days_between"]),
        ({"min_days_between": 3651}, ["min_days_between"]),
        ({"max_per_year": 0}, ["max_per_year"]),
        ({"link_valid_days": 0, "max_per_year": 400}, ["max_per_year", "link_valid_days"]),
        ({"quiet_end": None}, ["quiet_end"]),
        ({"quiet_start": None}, ["quiet_start"]),
        ({"quiet_start": time(8, 0)}, ["quiet_end"]),
        ({"max_reminders": 4}, ["max_reminders"]),
        ({"reminder_after_days": 0}, ["reminder_after_days"]),
        # A reminder after the link has expired would lead nowhere.
        ({"reminder_after_days": 14, "link_valid_days": 14}, ["reminder_after_days"]),
    ],
)
def test_rules_out_of_range_are_refused_with_the_field(
    organization: Organization, changes: dict[str, Any], fields: list[str]
) -> None:
    with pytest.raises(InputError) as refused:
        contact_policy_set(organization=organization, rules=rules(**changes))
    assert error_fields(refused.value) == fields
    assert not ContactPolicy.objects.exists()


def test_a_survey_override_beats_the_organization_rules_until_removed(
    organization: Organization,
) -> None:
    survey = survey_for(organization)
    other = survey_for(organization, name="Other")
    contact_policy_set(organization=organization, rules=rules())
    contact_policy_set(organization=organization, rules=RELAXED, survey=survey)
    own, link_days = contact_policy_rules(organization=organization, survey=survey)
    assert (own.min_days_between, own.quiet_start, link_days) == (0, None, 7)
    inherited, link_days = contact_policy_rules(organization=organization, survey=other)
    assert (inherited.min_days_between, inherited.quiet_start, link_days) == (30, time(22), 14)
    # Saving again updates the same rows.
    contact_policy_set(organization=organization, rules=rules(max_per_year=2))
    assert ContactPolicy.objects.filter(organization=organization).count() == 2
    assert contact_policy_remove_override(organization=organization, survey=survey)
    assert not contact_policy_remove_override(organization=organization, survey=survey)
    back, _days = contact_policy_rules(organization=organization, survey=survey)
    assert back.max_per_year == 2


def test_reminders_follow_the_survey_override_then_the_organization(
    organization: Organization,
) -> None:
    survey = survey_for(organization)
    assert reminder_policy(organization_id=organization.pk, survey_id=survey.pk) == (
        ReminderPolicy(after_days=3, max_reminders=1)
    )
    contact_policy_set(organization=organization, rules=rules(reminder_after_days=5))
    contact_policy_set(organization=organization, rules=rules(max_reminders=0), survey=survey)
    assert reminder_policy(organization_id=organization.pk, survey_id=survey.pk) == (
        ReminderPolicy(after_days=3, max_reminders=0)
    )
    contact_policy_remove_override(organization=organization, survey=survey)
    assert reminder_policy(organization_id=organization.pk, survey_id=survey.pk) == (
        ReminderPolicy(after_days=5, max_reminders=1)
    )


def test_new_invitations_follow_the_saved_rules(organization: Organization) -> None:
    survey = survey_for(organization)
    contact = Contact.objects.create(organization=organization, email="a@example.com")
    first, _new = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="1", now=NOON_SHANGHAI
    )
    refused, _new = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="2", now=NOON_SHANGHAI
    )
    assert (first.status, refused.reason) == (InvitationStatus.QUEUED, "recently_invited")
    contact_policy_set(organization=organization, rules=RELAXED, survey=survey)
    allowed, _new = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="3", now=NOON_SHANGHAI
    )
    assert allowed.status == InvitationStatus.QUEUED
    assert (allowed.expires_at - allowed.scheduled_at).days == 7


def test_a_survey_of_another_organization_cannot_get_rules(
    organization: Organization, other_membership: Membership
) -> None:
    foreign = survey_for(other_membership.organization)
    with pytest.raises(InputError):
        contact_policy_set(organization=organization, rules=RELAXED, survey=foreign)
    assert not ContactPolicy.objects.exists()


# --- Web pages ---------------------------------------------------------------------------


def page_url(organization: Organization, name: str = "contact_rules", *args: Any) -> str:
    return reverse(f"distribution:{name}", args=[organization.slug, *args])


FORM = {
    "min_days_between": "60",
    "max_per_year": "3",
    "quiet_start": "20:30",
    "quiet_end": "08:30",
    "link_valid_days": "10",
    "reminder_after_days": "4",
    "max_reminders": "2",
}


def test_the_page_shows_the_defaults_then_saves_the_organization_rules(
    member_client: Client, organization: Organization
) -> None:
    page = member_client.get(page_url(organization))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="90"' in html and 'value="21:00"' in html  # cxloop's defaults
    saved = member_client.post(page_url(organization), FORM)
    assert saved.status_code == 302
    policy = ContactPolicy.objects.get(organization=organization, survey=None)
    assert (policy.min_days_between, policy.quiet_start, policy.link_valid_days) == (
        60,
        time(20, 30),
        10,
    )
    assert (policy.reminder_after_days, policy.max_reminders) == (4, 2)


def test_a_bad_value_gets_a_message_next_to_the_field_in_the_users_language(
    member_client: Client, organization: Organization, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    page = member_client.post(page_url(organization), {**FORM, "quiet_end": ""})
    assert page.status_code == 400
    assert page.context["form"].errors["quiet_end"] == [
        "Give both the start and the end of quiet hours."
    ]
    chinese = member_client.post(
        page_url(organization),
        {**FORM, "max_per_year": "0"},
        headers={"Accept-Language": "zh-Hant"},
    )
    assert chinese.context["form"].errors["max_per_year"] == ["請輸入 1 到 365 之間的整數。"]
    assert not ContactPolicy.objects.exists()


def test_a_survey_gets_its_own_rules_and_can_give_them_up(
    member_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization, name="Delivery CSAT")
    chooser = member_client.get(page_url(organization), {"survey": survey.pk})
    survey_page = page_url(organization, "survey_contact_rules", survey.pk)
    assert chooser["Location"] == survey_page
    assert member_client.post(survey_page, {**FORM, "min_days_between": "7"}).status_code == 302
    listing = member_client.get(page_url(organization)).content.decode()
    assert listing.count('data-testid="override-row"') == 1 and "Delivery CSAT" in listing
    remove = page_url(organization, "survey_contact_rules_remove", survey.pk)
    assert member_client.post(remove).status_code == 302
    assert not ContactPolicy.objects.filter(survey=survey).exists()


def test_only_admins_edit_the_rules_and_other_organizations_see_nothing(
    organization: Organization, other_membership: Membership
) -> None:
    survey = survey_for(organization)
    analyst = Client()
    analyst.force_login(MembershipFactory(organization=organization, role=Role.ANALYST).user)
    assert analyst.get(page_url(organization)).status_code == 403
    assert analyst.post(page_url(organization), FORM).status_code == 403
    stranger = Client()
    stranger.force_login(other_membership.user)
    assert stranger.post(page_url(organization), FORM).status_code == 404
    own_org_page = page_url(other_membership.organization, "survey_contact_rules", survey.pk)
    assert stranger.post(own_org_page, FORM).status_code == 404
    assert not ContactPolicy.objects.exists()


# --- API -----------------------------------------------------------------------------------

BODY = {
    "min_days_between": 45,
    "max_per_year": 5,
    "quiet_start": "21:30",
    "quiet_end": "09:00",
    "link_valid_days": 20,
}


def test_the_api_reads_and_sets_the_organization_rules(
    api_client: ApiClient, organization: Organization
) -> None:
    before = api_client.get("/api/v1/distribution/contact-policy").json()
    assert before["organization_is_default"] is True
    assert before["organization"]["min_days_between"] == 90
    assert before["organization"]["quiet_start"] == "21:00:00"
    saved = api_client.put("/api/v1/distribution/contact-policy", BODY)
    assert saved.status_code == 200
    after = api_client.get("/api/v1/distribution/contact-policy").json()
    assert after["organization_is_default"] is False
    assert after["organization"]["max_per_year"] == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "max_per_year": 0}, "max_per_year"),
        ({**BODY, "quiet_end": None}, "quiet_end"),
        ({**BODY, "quiet_start": "25:00"}, "quiet_start"),
        ({k: v for k, v in BODY.items() if k != "link_valid_days"}, "link_valid_days"),
    ],
)
def test_the_api_names_the_field_of_a_bad_rule(
    api_client: ApiClient, body: dict[str, Any], field: str
) -> None:
    response = api_client.put("/api/v1/distribution/contact-policy", body)
    assert response.status_code == 422
    assert field in [problem["field"] for problem in response.json()["detail"]]
    assert not ContactPolicy.objects.exists()


def test_the_api_sets_and_removes_a_survey_override(
    api_client: ApiClient, organization: Organization
) -> None:
    survey = survey_for(organization)
    path = f"/api/v1/surveys/{survey.pk}/contact-policy"
    assert api_client.get(path).json()["min_days_between"] == 90  # inherited
    assert api_client.put(path, {**BODY, "min_days_between": 3}).status_code == 200
    assert api_client.get(path).json()["min_days_between"] == 3
    listed = api_client.get("/api/v1/distribution/contact-policy").json()["surveys"]
    assert [(s["survey_id"], s["min_days_between"]) for s in listed] == [(survey.pk, 3)]
    assert api_client.delete(path).status_code == 204
    assert api_client.get(path).json()["min_days_between"] == 90


def test_another_organizations_rules_are_out_of_reach(
    api_client: ApiClient, other_membership: Membership
) -> None:
    foreign = survey_for(other_membership.organization)
    contact_policy_set(organization=other_membership.organization, rules=RELAXED, survey=foreign)
    path = f"/api/v1/surveys/{foreign.pk}/contact-policy"
    assert api_client.get(path).status_code == 404
    assert api_client.put(path, BODY).status_code == 404
    assert api_client.delete(path).status_code == 404
    assert api_client.get("/api/v1/distribution/contact-policy").json()["surveys"] == []
    stored = ContactPolicy.objects.get(survey=foreign)
    assert (stored.min_days_between, stored.link_valid_days) == (0, 7)
