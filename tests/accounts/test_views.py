import re

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.mail import EmailMessage
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cxloop.organizations.models import Membership, Role
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Copper-kettle-5091"


def sign_up_data(**overrides: str) -> dict[str, str]:
    return {
        "email": "zhang.wei@example.com",
        "name": "张伟",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        "organization_name": "Golden Noodle",
        **overrides,
    }


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


# --- sign up --------------------------------------------------------------------------------


def test_sign_up_logs_in_and_lands_on_the_new_organization_surveys() -> None:
    client = Client()

    response = client.post(reverse("accounts:signup"), sign_up_data(), follow=True)

    user = get_user_model().objects.get(email="zhang.wei@example.com")
    membership = Membership.objects.select_related("organization").get(user=user)
    assert membership.role == Role.OWNER
    assert membership.organization.name == "Golden Noodle"
    assert logged_in_user_id(client) == str(user.pk)
    assert response.redirect_chain[-1][0] == reverse(
        "surveys:list", kwargs={"org_slug": membership.organization.slug}
    )


def test_sign_up_with_a_used_email_gets_a_form_message() -> None:
    UserFactory(email="zhang.wei@example.com")
    client = Client()

    response = client.post(reverse("accounts:signup"), sign_up_data(email="Zhang.Wei@Example.com"))

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert get_user_model().objects.filter(email__iexact="zhang.wei@example.com").count() == 1
    assert logged_in_user_id(client) is None


def test_sign_up_with_different_passwords_gets_a_form_message() -> None:
    response = Client().post(
        reverse("accounts:signup"), sign_up_data(password_confirm="Something-else-1")
    )

    assert response.status_code == 400
    assert response.context["form"].errors["password_confirm"]
    assert not get_user_model().objects.exists()


def test_sign_up_messages_follow_the_ui_language() -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})

    response = client.post(
        reverse("accounts:signup"), sign_up_data(password="12", password_confirm="12")
    )

    with translation.override("zh-hant"):
        expected = translation.gettext("This password is entirely numeric.")
    with translation.override("en"):
        english = translation.gettext("This password is entirely numeric.")
    assert expected != english
    assert expected in response.context["form"].errors["password"]


def test_a_logged_in_user_is_not_offered_sign_up(membership: Membership) -> None:
    client = Client()
    client.force_login(membership.user)

    response = client.get(reverse("accounts:signup"))

    assert response["Location"] == reverse("home")


# --- log in / log out -----------------------------------------------------------------------


def test_login_form_asks_for_the_email() -> None:
    client = Client()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})

    html = client.get(reverse("accounts:login")).content.decode()

    assert re.search(r'<label for="id_username">Email:?</label>', html)
    assert 'type="email" name="username"' in html


@pytest.mark.parametrize("typed", ["mei@example.com", "MEI@EXAMPLE.COM", "Mei@Example.com"])
def test_log_in_by_email_ignoring_case(typed: str) -> None:
    user = UserFactory(email="Mei@example.com")
    client = Client()

    response = client.post(
        reverse("accounts:login"), {"username": typed, "password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user_id(client) == str(user.pk)


def test_log_in_goes_to_next() -> None:
    user = UserFactory()
    target = "/o/somewhere/settings/"

    response = Client().post(
        reverse("accounts:login"),
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": target},
    )

    assert response["Location"] == target


def test_log_in_does_not_follow_next_off_site() -> None:
    user = UserFactory()

    response = Client().post(
        reverse("accounts:login"),
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("home")


def test_wrong_password_gets_a_message() -> None:
    user = UserFactory()
    client = Client()

    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": "not-the-password"}
    )

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors
    assert str(errors[0]) in response.content.decode()
    assert logged_in_user_id(client) is None


def test_log_out_needs_a_post(membership: Membership) -> None:
    client = Client()
    client.force_login(membership.user)

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in_user_id(client) == str(membership.user_id)

    response = client.post(reverse("accounts:logout"))

    assert response["Location"] == reverse("accounts:login")
    assert logged_in_user_id(client) is None


# --- password reset -------------------------------------------------------------------------


def reset_link(email: EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/\S+)", email.body)
    assert match is not None, email.body
    return match.group(1)


def test_password_reset_email_lets_the_user_set_a_new_password(
    mailoutbox: list[EmailMessage],
) -> None:
    user = UserFactory(email="lin@example.com")
    client = Client()

    sent = client.post(reverse("accounts:password_reset"), {"email": "LIN@example.com"})

    assert sent["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["lin@example.com"]
    form_page = client.get(reset_link(mailoutbox[0]), follow=True)
    assert form_page.context["validlink"] is True
    saved = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert saved["Location"] == reverse("accounts:password_reset_complete")

    fresh = Client()
    old = fresh.post(
        reverse("accounts:login"), {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert old.status_code == 200  # the old password no longer works
    new = fresh.post(reverse("accounts:login"), {"username": user.email, "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert logged_in_user_id(fresh) == str(user.pk)


def test_a_reset_link_works_only_once(mailoutbox: list[EmailMessage]) -> None:
    UserFactory(email="once@example.com")
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": "once@example.com"})
    link = reset_link(mailoutbox[0])
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    again = Client().get(link, follow=True)

    assert again.context["validlink"] is False


def test_password_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(
    mailoutbox: list[EmailMessage],
) -> None:
    UserFactory(email="known@example.com")

    response = Client().post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})

    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mailoutbox == []


def test_an_invited_member_who_lost_the_link_can_ask_for_a_new_one(
    mailoutbox: list[EmailMessage],
) -> None:
    invited = UserFactory(email="invited@example.com")
    invited.set_unusable_password()
    invited.save()

    Client().post(reverse("accounts:password_reset"), {"email": "invited@example.com"})

    assert [message.to for message in mailoutbox] == [["invited@example.com"]]


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant", "en"])
def test_the_language_switch_changes_the_ui_language(language: str) -> None:
    client = Client()

    switched = client.post(
        reverse("set_language"), {"language": language, "next": reverse("accounts:login")}
    )
    page = client.get(switched["Location"])

    html = page.content.decode()
    assert f'<html lang="{language}">' in html
    with translation.override(language):
        password_label = translation.gettext("Password")
    assert f">{password_label}" in html  # Django's own translation of the form label


def test_the_default_language_is_simplified_chinese() -> None:
    response = Client().get(reverse("accounts:login"))

    assert '<html lang="zh-hans">' in response.content.decode()
