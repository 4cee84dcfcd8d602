"""An admin edits an invitation e-mail and sees the preview follow the typing (htmx)."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from cxloop.distribution.models import EmailTemplate
from cxloop.organizations.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def logged_in_context(browser: Any, live_server: Any, membership: Membership) -> Any:
    client = Client()
    client.force_login(membership.user)
    context = browser.new_context(locale="en-US")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context


def test_the_preview_follows_the_typing_and_save_keeps_it(
    browser: Any, live_server: Any, membership: Membership
) -> None:
    organization = membership.organization
    context = logged_in_context(browser, live_server, membership)
    page = context.new_page()
    page.goto(
        live_server.url
        + reverse("distribution:email_template_edit", args=[organization.slug, "en", "invitation"])
    )
    preview = page.frame_locator('[data-testid="preview-html"]')
    assert "Dear Alex Chen," in preview.locator("body").inner_text()

    page.fill("#id_subject", "A word from {organization}")
    page.fill("#id_body", "Hello {contact_name}, tell us!\n\n{link}")
    page.wait_for_function(
        "document.querySelector('[data-testid=preview-subject]')"
        f"?.textContent === 'A word from {organization.name}'"
    )
    assert "Hello Alex Chen, tell us!" in preview.locator("body").inner_text()
    assert preview.locator("[data-score]").count() == 11

    page.fill("#id_body", "Hello {name}")
    page.wait_for_selector('[data-testid="preview-errors"]')
    assert "Unknown placeholder {name}" in page.inner_text('[data-testid="preview-errors"]')

    page.fill("#id_body", "Hello {contact_name}\n\n{link}")
    page.click("button[value=save]")
    page.wait_for_selector("text=E-mail template saved.")
    saved = EmailTemplate.objects.get(organization=organization)
    assert (saved.subject, saved.body) == (
        "A word from {organization}",
        "Hello {contact_name}\n\n{link}",
    )
    context.close()
