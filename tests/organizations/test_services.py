import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.test import Client

from cxloop.common.errors import InputError
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.organizations.services import (
    member_add,
    member_remove,
    member_role_change,
    organization_update,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def fields_of(error: pytest.ExceptionInfo[InputError]) -> set[str]:
    return set(error.value.by_field())


# --- organization_update -------------------------------------------------------------------


def test_update_saves_name_and_time_zone(organization: Organization) -> None:
    organization_update(organization=organization, name="  Acme 中国 ", time_zone="Europe/London")

    organization.refresh_from_db()
    assert organization.name == "Acme 中国"
    assert organization.time_zone == "Europe/London"


@pytest.mark.parametrize(
    ("name", "time_zone", "bad_fields"),
    [
        ("Acme", "Mars/Olympus_Mons", {"time_zone"}),
        ("   ", "Asia/Shanghai", {"name"}),
        ("x" * 201, "Asia/Shanghai", {"name"}),
        ("", "nowhere", {"name", "time_zone"}),
    ],
)
def test_update_refuses_bad_input_and_changes_nothing(
    organization: Organization, name: str, time_zone: str, bad_fields: set[str]
) -> None:
    before = (organization.name, organization.time_zone)

    with pytest.raises(InputError) as error:
        organization_update(organization=organization, name=name, time_zone=time_zone)

    assert fields_of(error) == bad_fields
    organization.refresh_from_db()
    assert (organization.name, organization.time_zone) == before


# --- member_add ----------------------------------------------------------------------------


def test_add_existing_user_by_email_ignoring_case(
    membership: Membership, mailoutbox: list[EmailMessage]
) -> None:
    colleague = UserFactory(email="Li.Wei@Example.com")

    added = member_add(
        organization=membership.organization,
        email="li.wei@EXAMPLE.com",
        role=Role.ANALYST,
        by=membership,
    )

    assert added.invited is False
    assert added.membership.user == colleague
    assert added.membership.role == Role.ANALYST
    assert get_user_model().objects.filter(email__iexact="li.wei@example.com").count() == 1
    assert mailoutbox == []


def test_add_unknown_email_creates_account_and_emails_a_set_password_link(
    membership: Membership, mailoutbox: list[EmailMessage]
) -> None:
    added = member_add(
        organization=membership.organization,
        email=" new.person@example.com ",
        role=Role.VIEWER,
        by=membership,
    )

    user = added.membership.user
    assert added.invited is True
    assert user.email == "new.person@example.com"
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["new.person@example.com"]
    assert membership.organization.name in mailoutbox[0].subject
    link = re.search(r"https?://\S+/accounts/reset/\S+/", mailoutbox[0].body)
    assert link is not None

    # The link is Django's password-reset link: it lets the new member choose a password.
    client = Client()
    path = link.group(0).split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    assert form_page.context["validlink"] is True
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Plum-harbour-42", "new_password2": "Plum-harbour-42"},
    )
    user.refresh_from_db()
    assert user.check_password("Plum-harbour-42")


def test_add_refuses_someone_already_member(membership: Membership) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    with pytest.raises(InputError) as error:
        member_add(
            organization=membership.organization,
            email=colleague.user.email.upper(),
            role=Role.ADMIN,
            by=membership,
        )

    assert fields_of(error) == {"email"}
    colleague.refresh_from_db()
    assert colleague.role == Role.VIEWER


@pytest.mark.parametrize(
    ("email", "role", "bad_field"),
    [("not-an-address", Role.VIEWER, "email"), ("ok@example.com", "superuser", "role")],
)
def test_add_refuses_bad_input(
    membership: Membership, mailoutbox: list[EmailMessage], email: str, role: str, bad_field: str
) -> None:
    users_before = get_user_model().objects.count()

    with pytest.raises(InputError) as error:
        member_add(organization=membership.organization, email=email, role=role, by=membership)

    assert fields_of(error) == {bad_field}
    assert get_user_model().objects.count() == users_before
    assert mailoutbox == []


def test_only_an_owner_can_add_an_owner(membership: Membership) -> None:
    admin = MembershipFactory(organization=membership.organization, role=Role.ADMIN)

    with pytest.raises(InputError):
        member_add(
            organization=admin.organization, email="boss@example.com", role=Role.OWNER, by=admin
        )
    assert not Membership.objects.filter(user__email="boss@example.com").exists()

    added = member_add(
        organization=membership.organization,
        email="boss@example.com",
        role=Role.OWNER,
        by=membership,
    )
    assert added.membership.role == Role.OWNER


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_members_without_management_rights_cannot_add(membership: Membership, role: str) -> None:
    member = MembershipFactory(organization=membership.organization, role=role)

    with pytest.raises(PermissionDenied):
        member_add(
            organization=member.organization, email="x@example.com", role=Role.VIEWER, by=member
        )
    assert not get_user_model().objects.filter(email="x@example.com").exists()


def test_a_member_of_another_organization_cannot_add(
    membership: Membership, other_membership: Membership
) -> None:
    with pytest.raises(PermissionDenied):
        member_add(
            organization=membership.organization,
            email="intruder@example.com",
            role=Role.OWNER,
            by=other_membership,
        )
    assert membership.organization.memberships.count() == 1


# --- member_role_change / member_remove -----------------------------------------------------


def test_the_last_owner_cannot_be_demoted(membership: Membership) -> None:
    with pytest.raises(InputError) as error:
        member_role_change(membership=membership, role=Role.ADMIN, by=membership)

    assert fields_of(error) == {"role"}
    membership.refresh_from_db()
    assert membership.role == Role.OWNER


def test_the_last_owner_cannot_be_removed(membership: Membership) -> None:
    MembershipFactory(organization=membership.organization, role=Role.ADMIN)

    with pytest.raises(InputError):
        member_remove(membership=membership, by=membership)

    assert Membership.objects.filter(pk=membership.pk).exists()


def test_an_owner_can_step_down_when_another_owner_remains(membership: Membership) -> None:
    second_owner = MembershipFactory(organization=membership.organization, role=Role.OWNER)

    member_role_change(membership=membership, role=Role.VIEWER, by=membership)

    membership.refresh_from_db()
    assert membership.role == Role.VIEWER
    # Now the second owner is the last one.
    with pytest.raises(InputError):
        member_remove(membership=second_owner, by=second_owner)


def test_owner_changes_roles_and_removes_members(membership: Membership) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    member_role_change(membership=colleague, role=Role.ADMIN, by=membership)
    colleague.refresh_from_db()
    assert colleague.role == Role.ADMIN

    member_remove(membership=colleague, by=membership)
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    assert get_user_model().objects.filter(pk=colleague.user_id).exists()  # the account stays


def test_an_admin_cannot_demote_or_remove_an_owner(membership: Membership) -> None:
    MembershipFactory(organization=membership.organization, role=Role.OWNER)
    admin = MembershipFactory(organization=membership.organization, role=Role.ADMIN)

    with pytest.raises(InputError):
        member_role_change(membership=membership, role=Role.VIEWER, by=admin)
    with pytest.raises(InputError):
        member_role_change(membership=admin, role=Role.OWNER, by=admin)
    with pytest.raises(InputError):
        member_remove(membership=membership, by=admin)

    membership.refresh_from_db()
    admin.refresh_from_db()
    assert (membership.role, admin.role) == (Role.OWNER, Role.ADMIN)


def test_an_admin_manages_analysts_and_viewers(membership: Membership) -> None:
    admin = MembershipFactory(organization=membership.organization, role=Role.ADMIN)
    viewer = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    member_role_change(membership=viewer, role=Role.ANALYST, by=admin)
    viewer.refresh_from_db()
    assert viewer.role == Role.ANALYST
    member_remove(membership=viewer, by=admin)
    assert not Membership.objects.filter(pk=viewer.pk).exists()


def test_role_change_refuses_unknown_role(membership: Membership) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    with pytest.raises(InputError):
        member_role_change(membership=colleague, role="root", by=membership)
    colleague.refresh_from_db()
    assert colleague.role == Role.VIEWER


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_members_without_management_rights_cannot_change_or_remove(
    membership: Membership, role: str
) -> None:
    member = MembershipFactory(organization=membership.organization, role=role)
    other = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    with pytest.raises(PermissionDenied):
        member_role_change(membership=other, role=Role.ADMIN, by=member)
    with pytest.raises(PermissionDenied):
        member_remove(membership=other, by=member)
    other.refresh_from_db()
    assert other.role == Role.VIEWER


def test_a_member_of_another_organization_cannot_change_or_remove(
    membership: Membership, other_membership: Membership
) -> None:
    colleague = MembershipFactory(organization=membership.organization, role=Role.VIEWER)

    with pytest.raises(PermissionDenied):
        member_role_change(membership=colleague, role=Role.ADMIN, by=other_membership)
    with pytest.raises(PermissionDenied):
        member_remove(membership=colleague, by=other_membership)
    colleague.refresh_from_db()
    assert colleague.role == Role.VIEWER
