from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import translation

from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from cxloop.widget.models import WidgetConfig
from cxloop.widget.services import widget_config_save
from tests.factories import survey_for

SHOP = "https://shop.example.com"


@pytest.fixture(autouse=True)
def _english_and_fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


@pytest.fixture
def widget(organization: Organization, survey: Survey) -> WidgetConfig:
    return widget_config_save(
        organization=organization,
        survey=survey,
        values={"allowed_origins": [SHOP], "event_name": "order-confirmed"},
    )


def settings_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "enabled": True,
        "allowed_origins": SHOP,
        "display": "popup",
        "position": "bottom_right",
        "url_match": "glob",
        "url_patterns": "",
        "delay_seconds": "",
        "scroll_percent": "",
        "event_name": "",
        "anonymous_frequency_days": "30",
    }
    values.update(overrides)
    return values
