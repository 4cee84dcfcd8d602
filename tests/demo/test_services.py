import json
import stat
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cxloop.analytics.engine import metric_histograms
from cxloop.analytics.queries import MetricQuery
from cxloop.campaigns.models import EventRule, Wave, WaveRun
from cxloop.campaigns.selectors import RateQuery, response_rates
from cxloop.contacts.models import Contact
from cxloop.demo import services
from cxloop.demo.catalog import (
    BUSINESS_UNITS,
    CHANNELS,
    COMMENT_BANK,
    DEMO_LANGUAGES,
    GENERAL,
    PRODUCTS,
    RETAIL,
    STORES,
    TONES,
    possible_comments,
)
from cxloop.demo.generator import score_tone
from cxloop.demo.services import (
    DEMO_EMAIL,
    DEMO_ORGANIZATION_SLUG,
    DemoLoadResult,
    demo_load,
    demo_login_ensure,
)
from cxloop.distribution.models import Invitation
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.answers import clean_answers, headline_scores
from cxloop.responses.filters import ResponseFilters
from cxloop.responses.models import Response
from cxloop.surveys.definitions import QuestionDefinition
from cxloop.surveys.models import Survey, SurveyStatus
from cxloop.surveys.selectors import survey_definition
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES
from tests.conftest import FAST_PASSWORD_HASHERS

ATTRIBUTE_KEYS = {"store", "city", "region", "product", "channel", "business_unit"}


def _nps(scores: list[int]) -> float:
    promoters = sum(score >= 9 for score in scores)
    detractors = sum(score <= 6 for score in scores)
    return 100 * (promoters - detractors) / len(scores)


def _questions_by_survey(organization: Organization) -> dict[int, tuple[QuestionDefinition, ...]]:
    return {
        survey.pk: survey_definition(survey).questions
        for survey in Survey.objects.filter(organization=organization)
    }


def _demo_user() -> User:
    return get_user_model().objects.create_user(username="demo", email=DEMO_EMAIL)


def _headline_question(questions: tuple[QuestionDefinition, ...]) -> QuestionDefinition:
    return next(q for q in questions if q.type in ("nps", "nps_plus", "csat", "ces"))


@pytest.fixture(scope="class")
def loaded(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoLoadResult]:
    """One load shared by a test class and rolled back after it: a load takes seconds."""
    var_dir = tmp_path_factory.mktemp("var")
    with (
        override_settings(VAR_DIR=var_dir, PASSWORD_HASHERS=FAST_PASSWORD_HASHERS),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield demo_load()
        transaction.set_rollback(True)


class TestTheLoadedDemo:
    @pytest.fixture
    def responses(self, loaded: DemoLoadResult, db: None) -> list[Response]:
        return list(Response.objects.filter(organization=loaded.organization))

    def test_it_creates_the_demo_organization_in_shanghai_time(
        self, loaded: DemoLoadResult, db: None
    ) -> None:
        organization = Organization.objects.get(slug=DEMO_ORGANIZATION_SLUG)
        assert loaded.created is True
        assert loaded.organization == organization
        assert organization.time_zone == "Asia/Shanghai"

    def test_the_demo_user_owns_it_and_an_analyst_is_a_member(
        self, loaded: DemoLoadResult, db: None
    ) -> None:
        roles = {
            m.user.email: m.role
            for m in Membership.objects.filter(organization=loaded.organization).select_related(
                "user"
            )
        }
        assert roles[DEMO_EMAIL] == Role.OWNER
        assert sorted(roles.values()) == sorted([Role.OWNER, Role.ANALYST])

    def test_the_four_template_surveys_are_published_with_their_questions(
        self, loaded: DemoLoadResult, db: None
    ) -> None:
        surveys = list(Survey.objects.filter(organization=loaded.organization))
        assert loaded.survey_count == len(surveys) == 4
        expected = {
            template.definition(languages=DEMO_LANGUAGES)["name"]: [
                question["key"]
                for question in template.definition(languages=DEMO_LANGUAGES)["questions"]
            ]
            for key, template in SURVEY_TEMPLATES.items()
            if key in {"relationship_nps", "transactional_nps_plus", "csat_support", "ces_service"}
        }
        assert {s.name: [q.key for q in s.questions.all()] for s in surveys} == expected
        assert {s.status for s in surveys} == {SurveyStatus.ACTIVE}
        assert all(set(s.languages) == set(DEMO_LANGUAGES) for s in surveys)

    def test_there_are_over_5000_responses_over_the_last_twelve_months_in_every_survey(
        self, loaded: DemoLoadResult, responses: list[Response]
    ) -> None:
        now = timezone.now()
        assert loaded.response_count == len(responses) >= 5000
        assert all(now - timedelta(days=366) < r.submitted_at <= now for r in responses)
        per_survey = Counter(r.survey_id for r in responses)
        assert len(per_survey) == 4
        assert min(per_survey.values()) >= 500
        months = {r.submitted_at.strftime("%Y-%m") for r in responses}
        assert len(months) >= 12

    def test_every_response_has_store_product_channel_and_business_unit(
        self, responses: list[Response]
    ) -> None:
        assert all(set(r.attributes) >= ATTRIBUTE_KEYS for r in responses)
        assert {r.attributes["channel"] for r in responses} == set(CHANNELS)
        assert {r.attributes["business_unit"] for r in responses} == set(BUSINESS_UNITS)
        assert {r.attributes["product"] for r in responses} <= set(PRODUCTS)
        assert {r.source for r in responses} == {"web", "api"}

    def test_twenty_plus_stores_in_several_cities_and_regions(
        self, responses: list[Response]
    ) -> None:
        stores = {r.attributes["store"] for r in responses}
        assert len(stores) >= 20
        assert len({r.attributes["city"] for r in responses}) >= 8
        assert len({r.attributes["region"] for r in responses}) >= 4
        # A store always sits in the same city and region.
        placement = {
            (r.attributes["store"], r.attributes["city"], r.attributes["region"]) for r in responses
        }
        assert len(placement) == len(stores)

    def test_mostly_simplified_chinese_traditional_in_hong_kong_and_taipei_some_english(
        self, responses: list[Response]
    ) -> None:
        languages = Counter(r.language for r in responses)
        assert languages.most_common(1)[0][0] == "zh-Hans"
        assert 0.05 <= languages["en"] / len(responses) <= 0.15
        by_city: dict[str, Counter[str]] = defaultdict(Counter)
        for r in responses:
            by_city[r.attributes["city"]][r.language] += 1
        for city in ("香港", "台北"):
            assert by_city[city].most_common(1)[0][0] == "zh-Hant"
        assert by_city["上海"]["zh-Hant"] == 0

    def test_weekends_are_busier_for_store_visits(
        self, loaded: DemoLoadResult, responses: list[Response]
    ) -> None:
        store_survey = Survey.objects.get(
            organization=loaded.organization, questions__type="nps_plus"
        )
        shanghai = ZoneInfo(loaded.organization.time_zone)
        weekdays = Counter(
            r.submitted_at.astimezone(shanghai).weekday()
            for r in responses
            if r.survey_id == store_survey.pk
        )
        assert min(weekdays[5], weekdays[6]) > max(weekdays[day] for day in range(5))

    def test_a_third_of_responses_have_a_comment_whose_tone_matches_the_score(
        self, loaded: DemoLoadResult, responses: list[Response]
    ) -> None:
        questions = _questions_by_survey(loaded.organization)
        banks = {
            (tone, language): possible_comments(tone, language)
            for tone in TONES
            for language in DEMO_LANGUAGES
        }
        commented = [r for r in responses if r.comment]
        assert 0.28 <= len(commented) / len(responses) <= 0.42
        tones_seen: Counter[str] = Counter()
        for response in commented:
            question = _headline_question(questions[response.survey_id])
            score = next(
                s
                for s in (response.nps_score, response.csat_score, response.ces_score)
                if s is not None
            )
            tone = score_tone(question, score)
            tones_seen[tone] += 1
            assert response.comment in banks[(tone, response.language)], response.comment
            for other in TONES:
                if other != tone:
                    assert response.comment not in banks[(other, response.language)]
        assert set(tones_seen) == set(TONES)

    def test_nps_plus_comments_talk_about_a_ticked_reason_or_in_general(
        self, loaded: DemoLoadResult, responses: list[Response]
    ) -> None:
        theme_of: dict[str, str] = {}
        for tone in TONES:
            for template in COMMENT_BANK[RETAIL][tone]:
                for language in DEMO_LANGUAGES:
                    for store in STORES:
                        for product in PRODUCTS.values():
                            text = template.texts[language].format(
                                store=store.names[language], product=product.names[language]
                            )
                            theme_of[text] = template.theme
        checked: Counter[str] = Counter()
        for response in responses:
            answer = next(iter(response.answers.values()))
            if not (isinstance(answer, dict) and answer["comment"] and answer["reasons"]):
                continue
            theme = theme_of[answer["comment"]]
            assert theme == GENERAL or theme in answer["reasons"]
            checked[theme] += 1
        assert checked["wait_time"] > 0
        assert sum(checked.values()) >= 300
        assert checked[GENERAL] < sum(checked.values()) / 2

    def test_detractors_tick_other_reasons_than_promoters(self, responses: list[Response]) -> None:
        ticked: dict[str, Counter[str]] = {"promoter": Counter(), "detractor": Counter()}
        for response in responses:
            answer = next(iter(response.answers.values()))
            if not isinstance(answer, dict) or 7 <= answer["score"] <= 8:
                continue
            ticked["promoter" if answer["score"] >= 9 else "detractor"].update(answer["reasons"])
        assert ticked["detractor"].most_common(1)[0][0] != ticked["promoter"].most_common(1)[0][0]
        share = {group: counts["wait_time"] / counts.total() for group, counts in ticked.items()}
        assert share["detractor"] > 1.5 * share["promoter"]

    def test_some_stores_are_clearly_better_than_others(self, responses: list[Response]) -> None:
        scores_by_store: dict[str, list[int]] = defaultdict(list)
        for response in responses:
            if response.nps_score is not None:
                scores_by_store[response.attributes["store"]].append(response.nps_score)
        nps_by_store = {
            store: _nps(scores) for store, scores in scores_by_store.items() if len(scores) >= 100
        }
        assert len(nps_by_store) >= 20
        assert max(nps_by_store.values()) - min(nps_by_store.values()) >= 30

    def test_the_store_visit_nps_rises_over_the_year(
        self, loaded: DemoLoadResult, responses: list[Response]
    ) -> None:
        store_survey = Survey.objects.get(
            organization=loaded.organization, questions__type="nps_plus"
        )
        visits = sorted(
            (r for r in responses if r.survey_id == store_survey.pk), key=lambda r: r.submitted_at
        )
        start = visits[0].submitted_at
        first = [r.nps_score for r in visits if r.submitted_at < start + timedelta(days=91)]
        last = [
            r.nps_score
            for r in visits
            if r.submitted_at >= visits[-1].submitted_at - timedelta(days=91)
        ]
        assert all(score is not None for score in first + last)
        assert _nps(last) - _nps(first) >= 10  # type: ignore[arg-type]

    def test_stored_answers_and_headline_columns_are_what_a_real_submission_stores(
        self, loaded: DemoLoadResult, responses: list[Response]
    ) -> None:
        questions = _questions_by_survey(loaded.organization)
        for response in responses:
            survey_questions = questions[response.survey_id]
            assert clean_answers(survey_questions, response.answers) == response.answers
            scores = headline_scores(survey_questions, response.answers)
            assert (response.nps_score, response.csat_score, response.ces_score) == (
                scores.nps,
                scores.csat,
                scores.ces,
            )
            assert response.comment == scores.comment
            assert response.received_at == response.submitted_at

    def test_dashboards_read_rollups_that_match_the_raw_responses(
        self, loaded: DemoLoadResult
    ) -> None:
        organization = loaded.organization
        today = timezone.now().astimezone(ZoneInfo(organization.time_zone)).date()
        for survey in Survey.objects.filter(organization=organization):
            for metric in ("nps", "csat", "ces"):
                query = MetricQuery(
                    metric=metric,
                    survey_ids=(survey.pk,),
                    date_from=today - timedelta(days=364),
                    date_to=today,
                    filters=ResponseFilters(),
                    interval="month",
                    group_by="store",
                    compare=True,
                )
                from_rollups, source = metric_histograms(query, organization=organization)
                from_scan, _ = metric_histograms(
                    query, organization=organization, allow_rollups=False
                )
                assert source == "rollup"
                assert from_rollups == from_scan

    def test_customers_were_asked_by_waves_and_events_within_the_contact_rules(
        self, loaded: DemoLoadResult, db: None
    ) -> None:
        organization = loaded.organization
        contacts = Contact.objects.filter(organization=organization)
        assert contacts.count() >= 500
        assert {c.attributes["store"] for c in contacts} <= {store.name for store in STORES}
        invitations = Invitation.objects.filter(organization=organization)
        statuses = Counter(invitations.values_list("status", flat=True))
        # Every stage of the funnel is there, and skips carry their reason.
        assert set(statuses) >= {"sent", "opened", "completed", "failed", "skipped"}
        assert not invitations.filter(status="skipped", reason="").exists()
        assert not invitations.filter(status="queued").exists()  # nothing left to send
        # Quarterly relationship waves: four past runs, the next one still to come.
        runs = WaveRun.objects.filter(wave__organization=organization).order_by("planned_for")
        assert runs.count() == 4
        assert Wave.objects.get(organization=organization).next_run_at > timezone.now()
        assert EventRule.objects.filter(organization=organization).count() == 2
        # No contact was asked twice within the default 90 days.
        by_contact = defaultdict(list)
        for contact_id, moment in invitations.exclude(status="skipped").values_list(
            "contact_id", "scheduled_at"
        ):
            by_contact[contact_id].append(moment)
        for moments in by_contact.values():
            moments.sort()
            assert all(b - a >= timedelta(days=90) for a, b in pairwise(moments))

    def test_answered_invitations_are_linked_to_a_response_of_the_contact(
        self, loaded: DemoLoadResult, db: None
    ) -> None:
        completed = Invitation.objects.filter(
            organization=loaded.organization, status="completed"
        ).select_related("response")
        assert completed.count() >= 100
        for invitation in completed:
            assert invitation.response is not None
            assert invitation.response.survey_id == invitation.survey_id
            assert invitation.response.contact_id == invitation.contact_id
            assert invitation.sent_at <= invitation.response.submitted_at
        rates = response_rates(
            organization=loaded.organization,
            query=RateQuery(
                group_by="channel",
                survey_id=None,
                date_from=(timezone.now() - timedelta(days=400)).date(),
                date_to=timezone.now().date(),
            ),
        )
        email = next(row for row in rates.rows if row.key == "email")
        assert email.rate.value is not None
        assert 15 < email.rate.value < 60

    def test_loading_again_creates_nothing(self, loaded: DemoLoadResult, db: None) -> None:
        users = get_user_model().objects.count()
        surveys = Survey.objects.count()
        responses = Response.objects.count()

        again = demo_load()

        assert again.created is False
        assert again.organization == loaded.organization
        assert (again.survey_count, again.response_count) == (
            loaded.survey_count,
            loaded.response_count,
        )
        assert get_user_model().objects.count() == users
        assert (Survey.objects.count(), Response.objects.count()) == (surveys, responses)
        assert again.login.password == loaded.login.password


def test_an_interrupted_load_leaves_nothing_and_the_next_run_loads_it_all(
    db: None, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path
    real_responses = services.ResponseGenerator.responses

    def responses_then_power_cut(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for count, response in enumerate(real_responses(self, *args, **kwargs)):
            if count == 50:
                raise RuntimeError("power cut")
            yield response

    monkeypatch.setattr(services, "BATCH_SIZE", 20)  # some batches are written before the cut
    monkeypatch.setattr(services.ResponseGenerator, "responses", responses_then_power_cut)
    with pytest.raises(RuntimeError, match="power cut"):
        demo_load()

    assert not Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).exists()
    assert not Survey.objects.exists()
    assert not Response.objects.exists()
    assert not get_user_model().objects.filter(email=DEMO_EMAIL).exists()
    assert not (tmp_path / services.DEMO_LOGIN_FILE).exists()

    monkeypatch.undo()
    result = demo_load()

    assert result.created is True
    assert result.response_count >= 5000


def test_the_login_file_is_private_and_its_password_logs_in(
    db: None, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    user = _demo_user()

    login = demo_login_ensure(user=user)

    assert login.path == tmp_path / "var" / "demo-login.json"
    assert stat.S_IMODE(login.path.stat().st_mode) == 0o600
    assert json.loads(login.path.read_text()) == {"email": DEMO_EMAIL, "password": login.password}
    assert authenticate(username=DEMO_EMAIL, password=login.password) == user


def test_the_kept_password_is_reused_and_restored_if_changed(
    db: None, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path
    user = _demo_user()
    first = demo_login_ensure(user=user)
    user.set_password("changed-in-the-ui")
    user.save()

    second = demo_login_ensure(user=user)

    assert second.password == first.password
    assert authenticate(username=DEMO_EMAIL, password=first.password) == user


def test_a_lost_login_file_gets_a_new_password(db: None, settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    user = _demo_user()
    first = demo_login_ensure(user=user)
    first.path.unlink()

    second = demo_login_ensure(user=user)

    assert second.password != first.password
    assert json.loads(second.path.read_text())["password"] == second.password
    assert authenticate(username=DEMO_EMAIL, password=second.password) == user
    assert authenticate(username=DEMO_EMAIL, password=first.password) is None


@pytest.mark.parametrize(
    "content", ["not json", '{"email": "someone@else.example", "password": "x"}']
)
def test_an_unreadable_or_foreign_login_file_is_replaced(
    db: None, settings: Any, tmp_path: Path, content: str
) -> None:
    settings.VAR_DIR = tmp_path
    (tmp_path / "demo-login.json").write_text(content)
    user = _demo_user()

    login = demo_login_ensure(user=user)

    assert json.loads(login.path.read_text()) == {"email": DEMO_EMAIL, "password": login.password}
    assert authenticate(username=DEMO_EMAIL, password=login.password) == user
