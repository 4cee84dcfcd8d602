import math
from datetime import UTC, date, datetime
from typing import Any

import pytest

from cxloop.campaigns.models import EventRule, Wave, WaveRun
from cxloop.campaigns.selectors import RateQuery, response_rates, survey_response_rates
from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation
from cxloop.organizations.models import Membership, Organization
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
# 2026-05-10 10:00 in Shanghai.
IN_RANGE = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
MAY = {"from": "2026-05-01", "to": "2026-05-31"}


def make(
    survey: Survey,
    contact: Contact,
    status: str,
    *,
    channel: str = "email",
    batch_key: str = "api:x",
    created_at: datetime = IN_RANGE,
) -> Invitation:
    invitation = Invitation.objects.create(
        organization_id=survey.organization_id,
        survey=survey,
        contact=contact,
        channel=channel,
        status=status,
        batch_key=f"{batch_key}:{Invitation.objects.count()}"
        if batch_key.startswith("api")
        else batch_key,
        short_code=f"code{Invitation.objects.count():04d}",
        scheduled_at=created_at,
        expires_at=created_at,
    )
    Invitation.objects.filter(pk=invitation.pk).update(created_at=created_at)
    return invitation


EMAIL_STATUSES = {
    "queued": 2,
    "skipped": 1,
    "failed": 1,
    "sent": 3,
    "delivered": 1,
    "opened": 1,
    "started": 1,
    "completed": 2,
}


@pytest.fixture
def funnel(survey: Survey, contact: Contact) -> None:
    for status, count in EMAIL_STATUSES.items():
        for _ in range(count):
            make(survey, contact, status)
    make(survey, contact, "sent", channel="sms")
    make(survey, contact, "completed", channel="sms")
    # The day after the period, in the organization's time zone (00:10 on 1 June).
    make(survey, contact, "completed", created_at=datetime(2026, 5, 31, 16, 10, tzinfo=UTC))
    # The period's last minutes in Shanghai: in.
    make(survey, contact, "failed", created_at=datetime(2026, 5, 31, 15, 50, tzinfo=UTC))


def agresti_coull(successes: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    adjusted_n = n + z * z
    share = (successes + z * z / 2) / adjusted_n
    half = z * math.sqrt(share * (1 - share) / adjusted_n)
    return 100 * (share - half), 100 * (share + half)


def test_rates_by_channel(
    api_client: ApiClient, funnel: None, django_assert_num_queries: Any
) -> None:
    # The API key (lookup, first-use stamp) and one GROUP BY: channel labels need no query.
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/response-rates", {"group_by": "channel", **MAY})
    assert response.status_code == 200
    data = response.json()
    email = next(g for g in data["groups"] if g["key"] == "email")
    # 12 + the failed one at the end of May; sent or later = 3 + 1 + 1 + 1 + 2.
    assert {k: email[k] for k in ("invited", "queued", "sent", "delivered", "opened")} == {
        "invited": 12,
        "queued": 2,
        "sent": 8,
        "delivered": 5,
        "opened": 4,
    }
    assert (email["started"], email["completed"], email["failed"], email["skipped"]) == (3, 2, 2, 1)
    assert email["response_rate"] == pytest.approx(25.0)
    low, high = agresti_coull(2, 8)
    assert (email["ci_low"], email["ci_high"]) == (pytest.approx(low), pytest.approx(high))
    assert email["low_sample"] is True
    sms = next(g for g in data["groups"] if g["key"] == "sms")
    assert (sms["sent"], sms["completed"], sms["response_rate"]) == (2, 1, 50.0)
    assert data["overall"]["sent"] == 10 and data["overall"]["completed"] == 3
    assert data["overall"]["response_rate"] == pytest.approx(30.0)
    assert (data["from"], data["to"], data["survey"]) == ("2026-05-01", "2026-05-31", "all")


def test_rates_by_survey_wave_and_rule(
    organization: Organization, survey: Survey, contact: Contact
) -> None:
    other = survey_for(organization, name="Other")
    quarterly = Wave.objects.create(
        organization=organization,
        name="Quarterly",
        survey=survey,
        channel="email",
        first_run_at=IN_RANGE,
    )
    runs = [
        WaveRun.objects.create(
            wave=quarterly, planned_for=moment, started_at=moment, claimed_at=moment
        )
        for moment in (IN_RANGE, datetime(2026, 5, 11, tzinfo=UTC))
    ]
    delivered = EventRule.objects.create(
        organization=organization, name="Delivered", event="d", survey=other, channel="sms"
    )
    make(survey, contact, "completed", batch_key=f"wave-run:{runs[0].pk}")
    make(survey, contact, "sent", batch_key=f"wave-run:{runs[1].pk}")
    make(other, contact, "completed", batch_key=f"event:1:rule:{delivered.pk}")
    make(other, contact, "completed", batch_key=f"event:2:rule:{delivered.pk}")
    make(other, contact, "sent", channel="sms")
    query = RateQuery(
        group_by="wave", survey_id=None, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31)
    )
    [wave_row] = response_rates(organization=organization, query=query).rows
    assert (wave_row.key, wave_row.label, wave_row.sent, wave_row.completed) == (
        str(quarterly.pk),
        "Quarterly",
        2,
        1,
    )
    [rule_row] = response_rates(
        organization=organization, query=RateQuery("rule", None, query.date_from, query.date_to)
    ).rows
    assert (rule_row.label, rule_row.sent, rule_row.completed) == ("Delivered", 2, 2)
    by_survey = response_rates(
        organization=organization, query=RateQuery("survey", None, query.date_from, query.date_to)
    )
    assert {(r.label, r.sent, r.completed) for r in by_survey.rows} == {
        ("CSAT after delivery", 2, 1),
        ("Other", 3, 2),
    }
    one = response_rates(
        organization=organization,
        query=RateQuery("channel", other.pk, query.date_from, query.date_to),
    )
    assert {(r.key, r.sent) for r in one.rows} == {("email", 2), ("sms", 1)}


def test_an_empty_selection_has_no_rate(api_client: ApiClient) -> None:
    data = api_client.get("/api/v1/response-rates", MAY).json()
    assert data["groups"] == []
    assert data["overall"]["sent"] == 0 and data["overall"]["response_rate"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "store"}, "group_by"),
        ({"survey": "abc"}, "survey"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "soon"}, "to"),
        ({"from": "2026-06-01", "to": "2026-05-01"}, "from"),
    ],
)
def test_bad_parameters_are_400_with_the_field(
    api_client: ApiClient, params: dict[str, str], field: str
) -> None:
    response = api_client.get("/api/v1/response-rates", params)
    assert response.status_code == 400
    assert [d["field"] for d in response.json()["detail"]] == [field]


def test_another_organizations_survey_is_404(
    api_client: ApiClient, other_membership: Membership
) -> None:
    foreign = survey_for(other_membership.organization)
    response = api_client.get("/api/v1/response-rates", {"survey": str(foreign.pk)})
    assert response.status_code == 404


def test_query_counts_are_pinned(
    organization: Organization,
    survey: Survey,
    contact: Contact,
    funnel: None,
    django_assert_num_queries: Any,
) -> None:
    period = (date(2026, 5, 1), date(2026, 5, 31))
    with django_assert_num_queries(1):
        response_rates(organization=organization, query=RateQuery("channel", None, *period))
    with django_assert_num_queries(2):
        response_rates(organization=organization, query=RateQuery("survey", None, *period))
    # One more to check the survey belongs to the organization.
    with django_assert_num_queries(2):
        response_rates(organization=organization, query=RateQuery("channel", survey.pk, *period))
    # The dashboard panel: its survey is already known.
    with django_assert_num_queries(1):
        panel = survey_response_rates(
            organization=organization, survey=survey, date_from=period[0], date_to=period[1]
        )
    assert panel.overall.completed == 3
