from typing import Any

import pytest
from django.test import Client

from cxloop.distribution.email_defaults import DEFAULT_EMAIL_TEXTS
from cxloop.distribution.models import EmailTemplate
from cxloop.organizations.models import Organization
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/email-templates"


def delete(client: ApiClient, path: str) -> Any:
    return client.client.delete(path, headers=client.headers)


def test_get_gives_the_built_in_text_until_one_is_saved(api_client: ApiClient) -> None:
    response = api_client.get(f"{URL}/zh-Hans/reminder")
    assert response.status_code == 200
    default = DEFAULT_EMAIL_TEXTS[("zh-Hans", "reminder")]
    assert response.json() == {
        "language": "zh-Hans",
        "kind": "reminder",
        "survey": None,
        "subject": default.subject,
        "body": default.body,
        "source": "built_in",
        "updated_at": None,
    }


def test_put_saves_and_get_reads_it_back(api_client: ApiClient, organization: Organization) -> None:
    saved = api_client.put(
        f"{URL}/en/invitation", {"subject": "Hi {contact_name}", "body": "Go: {link}"}
    )
    assert saved.status_code == 200
    assert saved.json()["source"] == "organization"
    again = api_client.get(f"{URL}/en/invitation").json()
    assert (again["subject"], again["body"], again["source"]) == (
        "Hi {contact_name}",
        "Go: {link}",
        "organization",
    )
    assert again["updated_at"] is not None
    assert EmailTemplate.objects.get().organization == organization


def test_a_survey_override_and_its_reset(api_client: ApiClient, organization: Organization) -> None:
    survey = survey_for(organization)
    api_client.put(f"{URL}/en/invitation", {"subject": "Org", "body": "{link}"})
    path = f"{URL}/en/invitation?survey={survey.pk}"

    saved = api_client.put(path, {"subject": "Survey", "body": "{link}"})

    assert saved.status_code == 200
    assert (saved.json()["survey"], saved.json()["source"]) == (survey.pk, "survey")
    assert delete(api_client, path).status_code == 204
    after = api_client.get(path).json()
    assert (after["subject"], after["source"]) == ("Org", "organization")
    assert delete(api_client, path).status_code == 204  # idempotent


def test_invalid_placeholders_are_422_with_the_field(api_client: ApiClient) -> None:
    response = api_client.put(f"{URL}/en/invitation", {"subject": "Hi {name}", "body": "{link} }"})
    assert response.status_code == 422
    fields = {item["field"] for item in response.json()["detail"]}
    assert fields == {"subject", "body"}
    assert "{name}" in response.json()["detail"][0]["msg"]
    assert not EmailTemplate.objects.exists()


def test_a_missing_body_field_is_422(api_client: ApiClient) -> None:
    response = api_client.put(f"{URL}/en/invitation", {"subject": "Hi"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body"


@pytest.mark.parametrize(
    "path", ["/fr/invitation", "/en/newsletter", "/en/invitation?survey=999999"]
)
def test_unknown_language_kind_or_survey_is_404(api_client: ApiClient, path: str) -> None:
    assert api_client.get(URL + path).status_code == 404
    assert api_client.put(URL + path, {"subject": "S", "body": "B"}).status_code == 404


def test_a_language_the_survey_does_not_offer_is_404(
    api_client: ApiClient, organization: Organization
) -> None:
    survey = survey_for(organization)  # zh-Hans and en
    assert api_client.get(f"{URL}/zh-Hant/invitation?survey={survey.pk}").status_code == 404


def test_without_a_key_it_is_401() -> None:
    assert Client().get(f"{URL}/en/invitation").status_code == 401
