import io
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxloop.organizations.models import ApiKey, Membership, Organization, Role
from cxloop.organizations.services import api_key_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_interface(settings: Any) -> None:
    # Messages are asserted in English; the product's default interface language is zh-Hans.
    settings.LANGUAGE_CODE = "en"


# --- helpers --------------------------------------------------------------------------------


def logged_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def org_url(name: str, membership: Membership, **kwargs: Any) -> str:
    return reverse(
        f"organizations:{name}", kwargs={"org_slug": membership.organization.slug, **kwargs}
    )


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def select_options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    return re.findall(r'<option value="([^"]*)"', select.group(1))


# --- organization settings ------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owner_and_admin_change_name_and_time_zone(membership: Membership, role: str) -> None:
    editor = MembershipFactory(organization=membership.organization, role=role)

    response = logged_in(editor).post(
        org_url("settings", editor), {"name": "Acme Retail", "time_zone": "Europe/London"}
    )

    assert response.status_code == 302
    organization = Organization.objects.get(pk=membership.organization_id)
    assert (organization.name, organization.time_zone) == ("Acme Retail", "Europe/London")


def test_dashboard_attributes_are_edited_in_settings(membership: Membership) -> None:
    page = logged_in(membership).get(org_url("settings", membership)).content.decode()
    assert "store, region, city, product, channel, business_unit, touchpoint" in page
    response = logged_in(membership).post(
        org_url("settings", membership),
        {
            "name": "Acme",
            "time_zone": "Asia/Shanghai",
            "analysis_dimensions": "store， tier , channel",
        },
    )
    assert response.status_code == 302
    organization = Organization.objects.get(pk=membership.organization_id)
    assert organization.analysis_dimensions == ["store", "tier", "channel"]
    refused = logged_in(membership).post(
        org_url("settings", membership),
        {"name": "Acme", "time_zone": "Asia/Shanghai", "analysis_dimensions": "a b"},
    )
    assert refused.status_code == 400
    assert "a b" in refused.content.decode()
    organization.refresh_from_db()
    assert organization.analysis_dimensions == ["store", "tier", "channel"]


def test_time_zone_select_offers_shanghai_first(
    member_client: Client, membership: Membership
) -> None:
    response = member_client.get(org_url("settings", membership))

    options = select_options(response.content.decode(), "id_time_zone")
    assert options[0] == "Asia/Shanghai"
    assert "Europe/London" in options


def test_a_zone_outside_the_common_list_stays_selected(membership: Membership) -> None:
    Organization.objects.filter(pk=membership.organization_id).update(time_zone="America/Denver")

    html = logged_in(membership).get(org_url("settings", membership)).content.decode()

    assert "America/Denver" in select_options(html, "id_time_zone")
    assert re.search(r'<option value="America/Denver"[^>]*selected', html)


def test_unknown_time_zone_gets_a_form_message(
    member_client: Client, membership: Membership
) -> None:
    response = member_client.post(
        org_url("settings", membership), {"name": "Renamed", "time_zone": "Mars/Base_Alpha"}
    )

    assert response.status_code == 400
    assert "Mars/Base_Alpha" in str(response.context["form"].errors["time_zone"])
    membership.organization.refresh_from_db()
    assert membership.organization.name != "Renamed"


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_settings_are_read_only_below_admin(membership: Membership, role: str) -> None:
    reader = MembershipFactory(organization=membership.organization, role=role)
    client = logged_in(reader)

    page = client.get(org_url("settings", reader))
    attempt = client.post(
        org_url("settings", reader), {"name": "Taken over", "time_zone": "Europe/London"}
    )

    assert page.status_code == 200
    assert membership.organization.name in page.content.decode()
    assert 'name="time_zone"' not in page.content.decode()
    assert attempt.status_code == 403
    membership.organization.refresh_from_db()
    assert membership.organization.name != "Taken over"


# --- creating an organization ---------------------------------------------------------------


def test_user_without_organization_is_sent_to_create_one() -> None:
    client = Client()
    client.force_login(UserFactory())

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse("organization_create")


def test_creating_an_organization_makes_the_user_its_owner() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.post(
        reverse("organization_create"), {"name": "Tea House", "time_zone": "Asia/Taipei"}
    )

    membership = Membership.objects.select_related("organization").get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "Tea House"
    assert membership.organization.time_zone == "Asia/Taipei"
    assert response["Location"] == reverse(
        "surveys:list", kwargs={"org_slug": membership.organization.slug}
    )


def test_creating_an_organization_without_a_name_gets_a_form_message() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.post(reverse("organization_create"), {"name": " ", "time_zone": "UTC"})

    assert response.status_code == 400
    assert response.context["form"].errors["name"]
    assert not Membership.objects.filter(user=user).exists()


def test_creating_an_organization_needs_a_login() -> None:
    response = Client().get(reverse("organization_create"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- members --------------------------------------------------------------------------------


def test_members_page_lists_every_member_with_role(membership: Membership) -> None:
    analyst = MembershipFactory(organization=membership.organization, role=Role.ANALYST)
    viewer = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    html = logged_in(viewer).get(org_url("members", viewer)).content.decode()

    for member in (membership, analyst, viewer):
        assert member.user.email in html
    assert str(Role.ANALYST.label) in html
    assert 'name="email"' not in html  # a viewer gets no add form


def test_members_page_query_count_does_not_grow_with_members(
    membership: Membership, django_assert_num_queries: Any
) -> None:
    client = logged_in(membership)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(org_url("members", membership)).status_code == 200
        return len(queries)

    MembershipFactory(organization=membership.organization, role=Role.VIEWER)
    with_two = count_queries()
    MembershipFactory.create_batch(10, organization=membership.organization, role=Role.ANALYST)
    with_twelve = count_queries()

    assert with_twelve == with_two
    # session, user, membership (with its organization), members with their users
    with django_assert_num_queries(4):
        client.get(org_url("members", membership))


def test_adding_an_existing_user(membership: Membership, mailoutbox: list[EmailMessage]) -> None:
    colleague = UserFactory(email="Chen@Example.com")

    response = logged_in(membership).post(
        org_url("members", membership), {"email": "chen@example.com", "role": Role.ANALYST}
    )

    assert response.status_code == 302
    assert Membership.objects.get(organization=membership.organization, user=colleague).role == (
        Role.ANALYST
    )
    assert mailoutbox == []


def test_invited_person_sets_a_password_and_logs_in(
    membership: Membership, mailoutbox: list[EmailMessage]
) -> None:
    response = logged_in(membership).post(
        org_url("members", membership),
        {"email": "new@example.com", "role": Role.VIEWER},
        follow=True,
    )

    assert any("new@example.com" in message for message in messages_of(response))
    assert len(mailoutbox) == 1
    link = re.search(r"https?://[^/\s]+(/\S+)", mailoutbox[0].body)
    assert link is not None
    invitee = Client()
    form_page = invitee.get(link.group(1), follow=True)
    assert form_page.context["validlink"] is True
    done = invitee.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Lantern-river-81", "new_password2": "Lantern-river-81"},
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")

    login = invitee.post(
        reverse("accounts:login"), {"username": "NEW@example.com", "password": "Lantern-river-81"}
    )
    assert login.status_code == 302
    assert invitee.get(org_url("members", membership)).status_code == 200


@pytest.mark.parametrize(
    ("email", "field"), [("not an email", "email"), ("", "email")], ids=["invalid", "blank"]
)
def test_adding_with_a_bad_email_gets_a_form_message(
    member_client: Client, membership: Membership, email: str, field: str
) -> None:
    response = member_client.post(
        org_url("members", membership), {"email": email, "role": "viewer"}
    )

    assert response.status_code == 400
    assert response.context["add_form"].errors[field]
    assert membership.organization.memberships.count() == 1


def test_adding_someone_already_member_gets_a_form_message(membership: Membership) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    response = logged_in(membership).post(
        org_url("members", membership), {"email": colleague.user.email, "role": Role.ADMIN}
    )

    assert response.status_code == 400
    assert colleague.user.email in str(response.context["add_form"].errors["email"])
    colleague.refresh_from_db()
    assert colleague.role == Role.VIEWER


def test_changing_a_role(membership: Membership) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    logged_in(membership).post(
        org_url("member_role", membership, membership_id=colleague.pk), {"role": Role.ADMIN}
    )

    colleague.refresh_from_db()
    assert colleague.role == Role.ADMIN


def test_the_last_owner_cannot_demote_themselves(membership: Membership) -> None:
    response = logged_in(membership).post(
        org_url("member_role", membership, membership_id=membership.pk),
        {"role": Role.VIEWER},
        follow=True,
    )

    assert response.status_code == 200
    assert any("owner" in message for message in messages_of(response))
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_the_last_owner_cannot_remove_themselves(membership: Membership) -> None:
    response = logged_in(membership).post(
        org_url("member_remove", membership, membership_id=membership.pk), follow=True
    )

    assert messages_of(response)
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_a_member(membership: Membership) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.ANALYST)

    response = logged_in(membership).post(
        org_url("member_remove", membership, membership_id=colleague.pk)
    )

    assert response["Location"] == org_url("members", membership)
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    assert logged_in(colleague).get(org_url("settings", membership)).status_code == 404


def test_an_admin_who_leaves_is_sent_home(membership: Membership) -> None:
    admin = MembershipFactory(organization=membership.organization, role=Role.ADMIN)

    response = logged_in(admin).post(org_url("member_remove", admin, membership_id=admin.pk))

    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(pk=admin.pk).exists()


def test_a_membership_of_another_organization_is_not_found(
    membership: Membership, other_membership: Membership
) -> None:
    client = logged_in(membership)
    url_kwargs = {"membership_id": other_membership.pk}

    role = client.post(org_url("member_role", membership, **url_kwargs), {"role": Role.VIEWER})
    remove = client.post(org_url("member_remove", membership, **url_kwargs))

    assert (role.status_code, remove.status_code) == (404, 404)
    other_membership.refresh_from_db()
    assert other_membership.role == Role.OWNER


# --- API keys -------------------------------------------------------------------------------


def test_a_new_key_is_shown_once(membership: Membership) -> None:
    client = logged_in(membership)

    created = client.post(org_url("api_keys", membership), {"name": "CRM sync"})

    match = re.search(r'value="(cxl_[^"]+)"', created.content.decode())
    assert match is not None
    raw_key = match.group(1)
    assert created["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(organization=membership.organization)
    assert key.name == "CRM sync"
    assert key.created_by == membership.user
    later = client.get(org_url("api_keys", membership)).content.decode()
    assert key.prefix in later
    assert raw_key not in later
    api = Client().get("/api/v1/surveys", headers={"Authorization": f"Bearer {raw_key}"})
    assert api.status_code == 200


def test_revoking_a_key(membership: Membership) -> None:
    key, raw_key = api_key_create(organization=membership.organization, name="old")

    response = logged_in(membership).post(
        org_url("api_key_revoke", membership, api_key_id=key.pk), follow=True
    )

    key.refresh_from_db()
    assert key.revoked_at is not None
    assert any(key.prefix in message for message in messages_of(response))
    api = Client().get("/api/v1/surveys", headers={"Authorization": f"Bearer {raw_key}"})
    assert api.status_code == 401


@pytest.mark.parametrize(
    ("time_zone", "other"), [("Asia/Shanghai", "Europe/London"), ("Europe/London", "Asia/Shanghai")]
)
def test_key_times_show_in_the_organization_time_zone(
    membership: Membership, time_zone: str, other: str
) -> None:
    Organization.objects.filter(pk=membership.organization_id).update(time_zone=time_zone)
    key, _raw = api_key_create(organization=membership.organization, name="timed")
    created = datetime(2025, 3, 14, 20, 30, tzinfo=UTC)
    ApiKey.objects.filter(pk=key.pk).update(created_at=created)

    html = logged_in(membership).get(org_url("api_keys", membership)).content.decode()

    def shown(zone: str) -> str:
        return created.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")

    assert shown(time_zone) != shown(other)
    assert shown(time_zone) in html
    assert shown(other) not in html


def test_cli_key_authenticates_the_api_until_revoked_in_the_web_ui(
    membership: Membership,
) -> None:
    out = io.StringIO()
    call_command(
        "apikey",
        "create",
        "--organization",
        membership.organization.slug,
        stdout=out,
        stderr=io.StringIO(),
    )
    raw_key = out.getvalue().strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {raw_key}"}

    assert Client().get("/api/v1/surveys", headers=headers).status_code == 200

    key = ApiKey.objects.get(organization=membership.organization)
    logged_in(membership).post(org_url("api_key_revoke", membership, api_key_id=key.pk))
    assert Client().get("/api/v1/surveys", headers=headers).status_code == 401


# --- who may do what ------------------------------------------------------------------------


def admin_actions(
    membership: Membership, target: Membership, key: ApiKey
) -> list[tuple[str, str, dict[str, str]]]:
    """(method, url, data) for every owner/admin action, aimed at the given membership and key."""
    return [
        ("post", org_url("settings", membership), {"name": "Hijacked", "time_zone": "UTC"}),
        ("post", org_url("members", membership), {"email": "spy@example.com", "role": "owner"}),
        ("post", org_url("member_role", membership, membership_id=target.pk), {"role": "viewer"}),
        ("post", org_url("member_remove", membership, membership_id=target.pk), {}),
        ("get", org_url("api_keys", membership), {}),
        ("post", org_url("api_keys", membership), {"name": "stolen"}),
        ("post", org_url("api_key_revoke", membership, api_key_id=key.pk), {}),
    ]


def snapshot(organization: Organization) -> tuple[Any, ...]:
    organization.refresh_from_db()
    return (
        organization.name,
        organization.time_zone,
        sorted(organization.memberships.values_list("user_id", "role")),
        sorted(organization.api_keys.values_list("prefix", "revoked_at")),
        get_user_model().objects.count(),
    )


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_analysts_and_viewers_get_403_on_admin_actions(membership: Membership, role: str) -> None:
    member = MembershipFactory(organization=membership.organization, role=role)
    key, _raw = api_key_create(organization=membership.organization, name="k")
    client = logged_in(member)
    before = snapshot(membership.organization)

    for method, url, data in admin_actions(member, membership, key):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, (method, url)

    assert snapshot(membership.organization) == before


def test_another_organization_gets_404_everywhere_and_changes_nothing(
    membership: Membership, other_membership: Membership
) -> None:
    key, _raw = api_key_create(organization=membership.organization, name="k")
    outsider = logged_in(other_membership)  # an owner, but of another organization
    before = snapshot(membership.organization)

    pages = [
        org_url("settings", membership),
        org_url("members", membership),
        org_url("api_keys", membership),
    ]
    for url in pages:
        assert outsider.get(url).status_code == 404, url
    for method, url, data in admin_actions(membership, membership, key):
        response = getattr(outsider, method)(url, data)
        assert response.status_code == 404, (method, url)

    assert snapshot(membership.organization) == before


def test_pages_need_a_login(membership: Membership) -> None:
    response = Client().get(org_url("members", membership))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
