"""Load the demo organization: a coffee chain with a year of survey responses.

Surveys are made with the real survey services from the templates library, and every answer
goes through the same cleaning and headline extraction as a real submission, so the demo
shows exactly what cxloop would have stored. Loading is all-or-nothing and happens once: a
demo organization that already has surveys is left as it is.
"""

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from random import Random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from cxloop.analytics.rollups import rollups_rebuild
from cxloop.demo.catalog import DEMO_LANGUAGES, SURVEY_PLANS
from cxloop.demo.distribution import demo_distribution_load
from cxloop.demo.generator import DAYS, ResponseGenerator
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.organizations.services import (
    membership_set,
    organization_create,
    organization_time_zone,
)
from cxloop.responses.models import Response
from cxloop.responses.services import response_build
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition
from cxloop.surveys.services import survey_create, survey_publish
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

DEMO_ORGANIZATION_SLUG = "demo"
DEMO_ORGANIZATION_NAME = "Demo 咖啡连锁 / Demo Coffee"
DEMO_TIME_ZONE = "Asia/Shanghai"
DEMO_EMAIL = "demo@cxloop.local"
DEMO_ANALYST_EMAIL = "analyst@cxloop.local"
DEMO_LOGIN_FILE = "demo-login.json"
DEMO_SEED = 20250101
BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class DemoLogin:
    email: str
    password: str
    path: Path  # where the password is kept


@dataclass(frozen=True, slots=True)
class DemoLoadResult:
    created: bool  # False when the demo was already there and nothing was written
    organization: Organization
    survey_count: int
    response_count: int
    login: DemoLogin


def demo_login_path() -> Path:
    return Path(settings.VAR_DIR) / DEMO_LOGIN_FILE


def _read_password(path: Path, email: str) -> str | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("email") != email:
        return None
    password = data.get("password")
    return password if isinstance(password, str) and password else None


def _write_login_file(path: Path, login: dict[str, str]) -> None:
    """Write next to the target and rename, so a crash never leaves half a file; owner-only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(login, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    temporary.chmod(0o600)  # os.open's mode does not apply when the file already existed
    os.replace(temporary, path)


def demo_login_ensure(*, user: User) -> DemoLogin:
    """Make the demo user's password the one kept in the var directory, creating it if needed.

    The file outlives the database (a reset database gets the same password back); if the
    file is missing or unreadable, a new random password is set and written.
    """
    path = demo_login_path()
    password = _read_password(path, user.email)
    if password is None:
        password = secrets.token_urlsafe(12)
        _write_login_file(path, {"email": user.email, "password": password})
    if not user.check_password(password):
        # Also after someone changed it in the UI: the printed demo login must work.
        user.set_password(password)
        user.save(update_fields=["password"])
    return DemoLogin(email=user.email, password=password, path=path)


def _user(email: str, *, first_name: str, last_name: str) -> User:
    user_model = get_user_model()
    user = user_model._default_manager.filter(email__iexact=email).first()
    if user is None:
        user = user_model(username=email, email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()  # demo_login_ensure gives the owner a real one
        user.save()
    return user


def _create_surveys(organization: Organization, owner: User) -> dict[str, Survey]:
    surveys: dict[str, Survey] = {}
    for plan in SURVEY_PLANS:
        definition = SURVEY_TEMPLATES[plan.template].definition(languages=DEMO_LANGUAGES)
        survey = survey_create(organization=organization, definition=definition, by=owner)
        surveys[plan.template] = survey_publish(survey=survey, by=owner)
    return surveys


def _create_responses(
    organization: Organization, surveys: dict[str, Survey], *, now: datetime, seed: int
) -> int:
    generator = ResponseGenerator(
        rng=Random(seed), now=now, time_zone=organization_time_zone(organization)
    )
    batch: list[Response] = []
    total = 0
    for plan in SURVEY_PLANS:
        survey = surveys[plan.template]
        definition = survey_definition(survey)
        for raw in generator.responses(
            plan,
            definition.questions,
            languages=survey.languages,
            default_language=survey.default_language,
        ):
            # The same validation and headline columns as every submitted response.
            batch.append(
                response_build(
                    survey=survey,
                    definition=definition,
                    answers=raw.answers,
                    attributes=raw.attributes,
                    language=raw.language,
                    submitted_at=raw.submitted_at,
                    source=raw.source,
                    now=now,
                )
            )
            if len(batch) >= BATCH_SIZE:
                Response.objects.bulk_create(batch)
                total += len(batch)
                batch = []
    Response.objects.bulk_create(batch)
    total += len(batch)
    # History arrived when it was submitted, not when the demo was loaded.
    Response.objects.filter(organization=organization).update(received_at=F("submitted_at"))
    return total


def demo_load(*, now: datetime | None = None, seed: int = DEMO_SEED) -> DemoLoadResult:
    """Create the demo organization, its users, surveys and a year of responses, once."""
    now = now or timezone.now()
    created = False
    with transaction.atomic():
        owner = _user(DEMO_EMAIL, first_name="Demo", last_name="Owner")
        organization = Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).first()
        if organization is None:
            organization = organization_create(
                name=DEMO_ORGANIZATION_NAME,
                owner=owner,
                slug=DEMO_ORGANIZATION_SLUG,
                time_zone=DEMO_TIME_ZONE,
            )
        elif not Membership.objects.filter(
            organization=organization, user=owner, role=Role.OWNER
        ).exists():
            membership_set(organization=organization, user=owner, role=Role.OWNER)
        if not organization.surveys.exists():
            analyst = _user(DEMO_ANALYST_EMAIL, first_name="Na", last_name="Li")
            membership_set(organization=organization, user=analyst, role=Role.ANALYST)
            surveys = _create_surveys(organization, owner)
            # The surveys have been running for the year the responses cover.
            started = now - timedelta(days=DAYS)
            Survey.objects.filter(organization=organization).update(
                created_at=started, published_at=started
            )
            _create_responses(organization, surveys, now=now, seed=seed)
            # Bulk inserts bypass the submit path that keeps rollups current.
            for survey in surveys.values():
                rollups_rebuild(survey=survey)
            demo_distribution_load(
                organization=organization, surveys=surveys, now=now, rng=Random(seed + 1)
            )
            created = True
    login = demo_login_ensure(user=owner)
    return DemoLoadResult(
        created=created,
        organization=organization,
        survey_count=organization.surveys.count(),
        response_count=Response.objects.filter(organization=organization).count(),
        login=login,
    )
