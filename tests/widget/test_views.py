from typing import Any

import pytest
from django.test import Client

from cxloop.organizations.models import Membership, Role
from cxloop.surveys.models import Survey
from cxloop.widget.models import WidgetConfig
from tests.factories import MembershipFactory
from tests.widget.conftest import SHOP, settings_values

pytestmark = pytest.mark.django_db


def page(membership: Membership, survey: Survey) -> str:
    return f"/o/{membership.organization.slug}/surveys/{survey.pk}/widget/"


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_an_owner_saves_the_settings_and_gets_the_snippet(
    membership: Membership, survey: Survey, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://cx.example.com"
    client = client_for(membership)
    before = client.get(page(membership, survey))
    assert before.status_code == 200
    assert b'data-testid="widget-snippet"' not in before.content
    response = client.post(
        page(membership, survey),
        settings_values(url_patterns="/checkout/*", delay_seconds="5", exit_intent="on"),
    )
    assert response.status_code == 302
    widget = WidgetConfig.objects.get(survey=survey)
    assert widget.allowed_origins == [SHOP]
    assert widget.url_patterns == ["/checkout/*"]
    assert widget.delay_seconds == 5 and widget.exit_intent
    assert widget.display == "popup"
    shown = client.get(page(membership, survey))
    snippet = f"&lt;script src=&quot;https://cx.example.com/w/{widget.public_key}.js&quot; async&gt;&lt;/script&gt;"
    assert snippet in shown.content.decode()


def test_bad_settings_are_shown_next_to_their_fields(
    membership: Membership, survey: Survey
) -> None:
    response = client_for(membership).post(
        page(membership, survey),
        settings_values(
            allowed_origins="https://shop.example.com/checkout",
            url_match="regex",
            url_patterns="([",
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"allowed_origins", "url_patterns"}
    assert not WidgetConfig.objects.exists()


def test_an_analyst_may_not_change_the_widget(membership: Membership, survey: Survey) -> None:
    analyst = MembershipFactory(organization=membership.organization, role=Role.ANALYST)
    client = client_for(analyst)
    assert client.get(page(membership, survey)).status_code == 403
    assert client.post(page(membership, survey), settings_values()).status_code == 403
    assert not WidgetConfig.objects.exists()


def test_another_organization_sees_and_changes_nothing(
    membership: Membership, other_membership: Membership, survey: Survey, widget: WidgetConfig
) -> None:
    outsider = client_for(other_membership)
    # Through its own organization's URL, the survey id of another organization is unknown…
    assert outsider.get(page(other_membership, survey)).status_code == 404
    assert outsider.post(page(other_membership, survey), settings_values()).status_code == 404
    # …and the owning organization's URL is not theirs.
    assert outsider.get(page(membership, survey)).status_code == 404
    assert (
        outsider.post(
            page(membership, survey), settings_values(allowed_origins="https://evil.example.net")
        ).status_code
        == 404
    )
    widget.refresh_from_db()
    assert widget.allowed_origins == [SHOP]
    assert WidgetConfig.objects.count() == 1


def test_the_survey_page_links_to_the_widget_for_admins_only(
    membership: Membership, survey: Survey
) -> None:
    survey_page = f"/o/{membership.organization.slug}/surveys/{survey.pk}/"
    assert page(membership, survey) in client_for(membership).get(survey_page).content.decode()
    analyst = MembershipFactory(organization=membership.organization, role=Role.ANALYST)
    assert page(membership, survey) not in client_for(analyst).get(survey_page).content.decode()
