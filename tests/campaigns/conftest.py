from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import translation

from cxloop.contacts.models import Contact
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.factories import survey_for

# 12:00 in Shanghai: outside the default quiet hours (21:00-09:00).
NOON_SHANGHAI = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are asserted in English whatever translations the UI ships."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization, name="CSAT after delivery")


@pytest.fixture
def contact(organization: Organization) -> Contact:
    return Contact.objects.create(
        organization=organization,
        external_id="c-1",
        email="li@example.com",
        phone="+8613800000000",
        attributes={"tier": "gold"},
    )
