from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings: Any) -> Iterator[None]:
    """Messages are asserted in English whatever translations the UI ships."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
