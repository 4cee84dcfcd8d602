from unittest import mock

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cxloop.accounts import services
from cxloop.accounts.services import user_sign_up
from cxloop.common.errors import InputError
from cxloop.organizations.models import Membership, Organization, Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "Quiet-meadow-2718"


def sign_up(**overrides: str) -> User:
    data = {
        "email": "wang.fang@example.com",
        "password": GOOD_PASSWORD,
        "name": "王芳",
        "organization_name": "Jade Tea Co.",
        **overrides,
    }
    return user_sign_up(**data)


def test_sign_up_creates_the_user_and_their_organization_as_owner() -> None:
    user = sign_up(email="  Wang.Fang@EXAMPLE.com ")

    stored = get_user_model().objects.get(pk=user.pk)
    assert stored.email == "Wang.Fang@example.com"  # the domain part is lower-cased
    assert stored.first_name == "王芳"
    assert stored.check_password(GOOD_PASSWORD)
    membership = Membership.objects.select_related("organization").get(user=stored)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "Jade Tea Co."
    assert membership.organization.time_zone == "Asia/Shanghai"
    assert authenticate(username="wang.fang@example.com", password=GOOD_PASSWORD) == stored


def test_each_account_gets_its_own_internal_username() -> None:
    first = sign_up(email="a@example.com")
    second = sign_up(email="b@example.com")

    assert first.username != second.username


@pytest.mark.parametrize("email", ["taken@example.com", "TAKEN@Example.COM", " taken@example.com"])
def test_sign_up_refuses_an_email_already_used_ignoring_case(email: str) -> None:
    UserFactory(email="Taken@example.com")
    users_before = get_user_model().objects.count()

    with pytest.raises(InputError) as error:
        sign_up(email=email)

    assert set(error.value.by_field()) == {"email"}
    assert get_user_model().objects.count() == users_before
    assert not Organization.objects.filter(name="Jade Tea Co.").exists()


@pytest.mark.parametrize(
    "password",
    ["short1", "12345678901", "password123", "wang.fang@example.com"],
    ids=["too-short", "numeric", "common", "like-the-email"],
)
def test_sign_up_applies_the_password_validators(password: str) -> None:
    with pytest.raises(InputError) as error:
        sign_up(password=password)

    assert set(error.value.by_field()) == {"password"}
    assert not get_user_model().objects.filter(email="wang.fang@example.com").exists()


@pytest.mark.parametrize(
    ("overrides", "bad_fields"),
    [
        ({"email": "not-an-email"}, {"email"}),
        ({"name": "   "}, {"name"}),
        ({"name": "n" * 151}, {"name"}),
        ({"organization_name": ""}, {"organization_name"}),
        ({"organization_name": "o" * 201}, {"organization_name"}),
        (
            {"email": "", "name": "", "organization_name": ""},
            {"email", "name", "organization_name"},
        ),
    ],
)
def test_sign_up_names_every_bad_field_and_writes_nothing(
    overrides: dict[str, str], bad_fields: set[str]
) -> None:
    with pytest.raises(InputError) as error:
        sign_up(**overrides)

    assert set(error.value.by_field()) == bad_fields
    assert get_user_model().objects.count() == 0
    assert Organization.objects.count() == 0


def test_the_database_refuses_a_second_account_for_one_address_in_any_case(db: None) -> None:
    User.objects.create(username="a", email="Li.Wei@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="b", email="li.wei@EXAMPLE.com")
    User.objects.create(username="c", email="")
    User.objects.create(username="d", email="")  # accounts without an address are not blocked


def test_a_sign_up_that_loses_the_race_gets_the_form_message(db: None) -> None:
    user_sign_up(
        email="race@example.com", password="a-Long-pass-phrase-9", name="A", organization_name="A"
    )
    # The second request checked before the first one saved: only the index can tell.
    with (
        mock.patch.object(services, "user_with_email", return_value=None),
        pytest.raises(InputError) as caught,
    ):
        user_sign_up(
            email="RACE@example.com",
            password="a-Long-pass-phrase-9",
            name="B",
            organization_name="B",
        )
    assert [e.field for e in caught.value.errors] == ["email"]
