from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from cxloop.campaigns.models import Wave, WaveRun
from cxloop.campaigns.services import WaveInput, wave_create, waves_run_due
from cxloop.common.errors import InputError
from cxloop.common.scheduler import run_periodic
from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation, InvitationStatus
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.campaigns.conftest import NOON_SHANGHAI
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Gold customers per store; "" = no store attribute at all.
STORES = {"上海南京西路店": 40, "北京三里屯店": 15, "广州天河店": 3, "": 5}


@pytest.fixture
def population(organization: Organization) -> list[Contact]:
    contacts = []
    n = 0
    for store, count in STORES.items():
        for _ in range(count):
            n += 1
            attributes = {"tier": "gold", **({"store": store} if store else {})}
            contacts.append(
                Contact(
                    organization=organization,
                    external_id=f"c-{n}",
                    email=f"c{n}@example.com",
                    attributes=attributes,
                )
            )
    # Not in the segment.
    contacts.append(
        Contact(
            organization=organization,
            external_id="silver",
            email="s@example.com",
            attributes={"tier": "silver", "store": "广州天河店"},
        )
    )
    return Contact.objects.bulk_create(contacts)


def wave(organization: Organization, survey: Survey, **overrides: Any) -> Wave:
    values: dict[str, Any] = {
        "name": "Quarterly relationship NPS",
        "survey_id": survey.pk,
        "channel": "email",
        "segment": {"tier": ["gold"]},
        "sample_percent": 10,
        "sample_by": "store",
        "first_run_at": NOON_SHANGHAI,
        "repeat_months": 3,
    }
    values.update(overrides)
    return wave_create(organization=organization, data=WaveInput(**values))


def invited_by_store() -> Counter[str]:
    return Counter(
        invitation.contact.attributes.get("store", "")
        for invitation in Invitation.objects.select_related("contact")
    )


def test_ten_percent_of_each_stores_customers(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    quarterly = wave(organization, survey)
    [run] = waves_run_due(now=NOON_SHANGHAI)
    # 40 → 4, 15 → 1.5 → 2 (half up), 3 → 0.3 → 1 and 5 → 0.5 → 1 (at least one each).
    assert invited_by_store() == Counter(
        {"上海南京西路店": 4, "北京三里屯店": 2, "广州天河店": 1, "": 1}
    )
    assert (run.selected, run.queued, run.skipped) == (8, 8, 0)
    assert run.planned_for == NOON_SHANGHAI and run.finished_at == NOON_SHANGHAI
    assert set(Invitation.objects.values_list("batch_key", flat=True)) == {f"wave-run:{run.pk}"}
    assert all(i.status == InvitationStatus.QUEUED for i in Invitation.objects.all())
    assert not Invitation.objects.filter(contact__external_id="silver").exists()
    quarterly.refresh_from_db()
    assert quarterly.next_run_at == datetime(2026, 8, 6, 12, 0, tzinfo=SHANGHAI)


def test_running_twice_runs_the_slot_once(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    wave(organization, survey)
    assert len(waves_run_due(now=NOON_SHANGHAI)) == 1
    assert waves_run_due(now=NOON_SHANGHAI + timedelta(minutes=1)) == []
    assert WaveRun.objects.count() == 1
    assert Invitation.objects.count() == 8


def test_a_slot_has_one_run_whatever_the_schedulers_do(
    organization: Organization, survey: Survey
) -> None:
    quarterly = wave(organization, survey)
    WaveRun.objects.create(
        wave=quarterly,
        planned_for=NOON_SHANGHAI,
        started_at=NOON_SHANGHAI,
        claimed_at=NOON_SHANGHAI,
    )
    with pytest.raises(IntegrityError):
        WaveRun.objects.create(
            wave=quarterly,
            planned_for=NOON_SHANGHAI,
            started_at=NOON_SHANGHAI,
            claimed_at=NOON_SHANGHAI,
        )


def test_an_interrupted_run_resumes_with_the_same_sample(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    wave(organization, survey, repeat_months=0)
    [run] = waves_run_due(now=NOON_SHANGHAI)
    picked = sorted(Invitation.objects.values_list("contact_id", flat=True))
    # As if the worker died after inviting half of the sample.
    Invitation.objects.filter(contact_id__in=picked[4:]).delete()
    WaveRun.objects.filter(pk=run.pk).update(finished_at=None, queued=0, selected=0)
    # Not stale yet: a scheduler tick leaves the run to whoever holds it.
    assert waves_run_due(now=NOON_SHANGHAI + timedelta(minutes=10)) == []
    [resumed] = waves_run_due(now=NOON_SHANGHAI + timedelta(minutes=31))
    assert resumed.pk == run.pk
    assert sorted(Invitation.objects.values_list("contact_id", flat=True)) == picked
    assert (resumed.selected, resumed.queued) == (8, 8)


def test_skips_are_counted_by_reason(organization: Organization, survey: Survey) -> None:
    Contact.objects.create(organization=organization, external_id="a", email="a@example.com")
    Contact.objects.create(organization=organization, external_id="b", phone="+8613800000001")
    Contact.objects.create(
        organization=organization,
        external_id="c",
        email="c@example.com",
        email_opted_out_at=NOON_SHANGHAI,
    )
    recent = Contact.objects.create(organization=organization, external_id="d", email="d@x.com")
    other = survey_for(organization, name="Other")
    Invitation.objects.create(
        organization=organization,
        survey=other,
        contact=recent,
        channel="email",
        batch_key="earlier",
        short_code="earlier1",
        scheduled_at=NOON_SHANGHAI - timedelta(days=3),
        expires_at=NOON_SHANGHAI + timedelta(days=20),
    )
    wave(organization, survey, segment={}, sample_percent=100, sample_by="")
    [run] = waves_run_due(now=NOON_SHANGHAI)
    assert (run.selected, run.queued, run.skipped) == (4, 1, 3)
    assert run.skipped_by_reason == {"no_email": 1, "opted_out": 1, "recently_invited": 1}


def test_a_paused_survey_queues_nothing(organization: Organization) -> None:
    from cxloop.surveys.services import survey_pause

    Contact.objects.create(organization=organization, external_id="a", email="a@example.com")
    paused = survey_pause(survey=survey_for(organization))
    wave(organization, paused, segment={}, sample_percent=100, sample_by="")
    [run] = waves_run_due(now=NOON_SHANGHAI)
    assert run.skipped_by_reason == {"survey_inactive": 1}
    assert not Invitation.objects.exists()


def test_future_and_inactive_waves_do_not_run(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    wave(organization, survey, first_run_at=NOON_SHANGHAI + timedelta(days=1))
    stopped = wave(organization, survey)
    Wave.objects.filter(pk=stopped.pk).update(active=False)
    assert waves_run_due(now=NOON_SHANGHAI) == []


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"sample_percent": 0}, ["sample_percent"]),
        ({"sample_percent": "100.5"}, ["sample_percent"]),
        ({"sample_by": "has space"}, ["sample_by"]),
        ({"repeat_months": 99}, ["repeat_months"]),
        ({"channel": "fax", "name": " "}, ["name", "channel"]),
        ({"segment": {"store": []}}, ["segment.store"]),
        ({"survey_id": None, "first_run_at": None}, ["survey", "first_run_at"]),
    ],
)
def test_bad_waves_are_refused_with_the_field(
    organization: Organization, survey: Survey, overrides: dict[str, Any], fields: list[str]
) -> None:
    with pytest.raises(InputError) as refused:
        wave(organization, survey, **overrides)
    assert [e.field for e in refused.value.errors] == fields
    assert not Wave.objects.exists()


def test_run_waves_command(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    wave(organization, survey)
    out = StringIO()
    call_command("run-waves", "--now", "2026-05-06T12:00:00+08:00", stdout=out)
    assert "selected 8, queued 8, skipped 0" in out.getvalue()
    assert Invitation.objects.count() == 8


# --- API -------------------------------------------------------------------------------------


def test_waves_api(
    api_client: ApiClient, organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    body = {
        "name": "Quarterly NPS",
        "survey": survey.pk,
        "channel": "email",
        "segment": {"tier": ["gold"]},
        "sample_percent": 10,
        "sample_by": "store",
        "first_run_at": "2026-05-06T12:00:00",
        "repeat_months": 3,
    }
    created = api_client.post("/api/v1/waves", body)
    assert created.status_code == 201, created.content
    wave_id = created.json()["id"]
    # A naive time is the organization's (Asia/Shanghai).
    assert datetime.fromisoformat(created.json()["next_run_at"]) == NOON_SHANGHAI
    assert created.json()["runs"] == []
    waves_run_due(now=NOON_SHANGHAI)
    detail = api_client.get(f"/api/v1/waves/{wave_id}").json()
    [run] = detail["runs"]
    assert (run["selected"], run["queued"], run["skipped"]) == (8, 8, 0)
    assert detail["survey"] == survey.pk and detail["sample_percent"] == 10
    listed = api_client.get("/api/v1/waves").json()
    assert [w["id"] for w in listed["items"]] == [wave_id]


def test_waves_api_bad_body_is_422_with_fields(api_client: ApiClient, survey: Survey) -> None:
    response = api_client.post(
        "/api/v1/waves",
        {
            "name": "x",
            "survey": survey.pk,
            "channel": "email",
            "sample_percent": 0,
            "first_run_at": "2026-05-06T12:00:00",
        },
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["sample_percent"]


def test_the_scheduler_tick_runs_due_waves_once(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    from cxloop.campaigns.services import waves_scheduler_tick

    wave(organization, survey)
    assert waves_scheduler_tick(NOON_SHANGHAI) == 1
    assert waves_scheduler_tick(NOON_SHANGHAI) == 0
    assert Invitation.objects.count() == 8


def test_wave_list_and_detail_query_counts_are_pinned(
    api_client: ApiClient,
    organization: Organization,
    survey: Survey,
    population: list[Contact],
    django_assert_num_queries: Any,
) -> None:
    quarterly = wave(organization, survey, repeat_months=1)
    wave(organization, survey, name="Another")
    for month in range(3):
        waves_run_due(now=NOON_SHANGHAI + timedelta(days=31 * month))
    assert WaveRun.objects.filter(wave=quarterly).count() == 3
    api_client.get("/api/v1/waves")  # the key's first-use stamp
    # The API key, the count and the page.
    with django_assert_num_queries(3):
        assert len(api_client.get("/api/v1/waves").json()["items"]) == 2
    # The API key, the wave and its runs.
    with django_assert_num_queries(3):
        detail = api_client.get(f"/api/v1/waves/{quarterly.pk}").json()
    assert [run["planned_for"][:10] for run in detail["runs"]] == [
        "2026-07-06",
        "2026-06-06",
        "2026-05-06",
    ]


def test_the_scheduler_queues_a_wave_run_only_when_one_is_due(
    organization: Organization, survey: Survey, population: list[Contact]
) -> None:
    # The autouse immediate task backend runs the queued task at once.
    wave(organization, survey)
    before = run_periodic(NOON_SHANGHAI - timedelta(minutes=1))["campaigns.waves"]
    assert before == {"wave_runs_queued": 0}
    assert not WaveRun.objects.exists()
    due = run_periodic(NOON_SHANGHAI)["campaigns.waves"]
    assert due == {"wave_runs_queued": 1}
    assert WaveRun.objects.count() == 1
    assert Invitation.objects.count() == 8
