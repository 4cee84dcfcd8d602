"""GET /api/v1/metrics and /api/v1/metrics/reasons as an integrator uses them."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cxloop.analytics.metrics import nps_from_weighted_totals
from cxloop.organizations.models import Membership, Organization
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_create, survey_publish
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
PLUS: dict[str, Any] = {
    "name": "Checkout",
    "languages": ["en"],
    "questions": [
        {"key": "nps", "type": "nps_plus", "text": "Recommend?",
         "reasons": [{"key": "price", "text": "Price"}, {"key": "staff", "text": "Staff"}]},
    ],
}  # fmt: skip


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def submit(survey: Survey, score: int, when: datetime, **attributes: str) -> None:
    response_submit(survey=survey, answers={"nps": score}, submitted_at=when, attributes=attributes)


def nps(scores: list[int]) -> float:
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return 100 * (promoters - detractors) / len(scores)


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


def test_overall_previous_period_and_significance(survey: Survey, api_client: ApiClient) -> None:
    earlier = [3, 4, 5, 6, 7, 8, 9, 2, 1, 10] * 4  # Jan 1–15
    later = [9, 10, 10, 9, 8, 9, 10, 7, 9, 10] * 4  # Jan 16–30
    for i, score in enumerate(earlier):
        submit(survey, score, at(f"2026-01-{1 + i % 15:02d}"))
    for i, score in enumerate(later):
        submit(survey, score, at(f"2026-01-{16 + i % 15:02d}"))
    body = api_client.get(
        "/api/v1/metrics",
        {"survey": survey.pk, "from": "2026-01-16", "to": "2026-01-30", "compare": "previous"},
    ).json()
    overall = body["overall"]
    assert overall["n"] == 40
    assert overall["value"] == pytest.approx(nps(later))
    assert overall["ci_low"] < overall["value"] < overall["ci_high"]
    assert body["previous"]["value"] == pytest.approx(nps(earlier))
    assert overall["difference"] == pytest.approx(nps(later) - nps(earlier))
    assert overall["p_value"] < 0.05
    assert overall["significant"] is True
    assert body["source"] == "rollup"


def test_weeks_are_iso_weeks_in_the_organizations_time_zone(
    survey: Survey, api_client: ApiClient
) -> None:
    submit(survey, 10, at("2026-03-01", "23:50"))  # Sunday night in Shanghai
    submit(survey, 0, at("2026-03-02", "00:05"))  # Monday morning: the next ISO week
    body = api_client.get(
        "/api/v1/metrics",
        {"survey": survey.pk, "from": "2026-02-23", "to": "2026-03-08", "interval": "week"},
    ).json()
    assert [(p["start"], p["n"], p["value"]) for p in body["series"]] == [
        ("2026-02-23", 1, 100.0),
        ("2026-03-02", 1, -100.0),
    ]


def test_breakdown_rows_carry_ci_and_low_sample_flags(
    survey: Survey, api_client: ApiClient
) -> None:
    for _ in range(30):
        submit(survey, 10, at("2026-05-05"), store="A", product="x")
    for score in (0, 9, 5):
        submit(survey, score, at("2026-05-05"), store="B", product="y")
    body = api_client.get(
        "/api/v1/metrics",
        {"survey": survey.pk, "from": "2026-05-01", "to": "2026-05-31", "group_by": "store"},
    ).json()
    rows = {row["group"]: row for row in body["groups"]}
    assert [row["group"] for row in body["groups"]] == ["A", "B"]  # best first
    assert (rows["A"]["n"], rows["A"]["low_sample"]) == (30, False)
    assert (rows["B"]["n"], rows["B"]["low_sample"]) == (3, True)
    assert rows["B"]["value"] == pytest.approx(nps([0, 9, 5]))
    assert rows["B"]["ci_low"] is not None
    filtered = api_client.get(
        "/api/v1/metrics",
        {"survey": survey.pk, "from": "2026-05-01", "to": "2026-05-31", "group_by": "store",
         "attr.product": "y", "attr.store": ["A", "B"]},
    ).json()  # fmt: skip
    assert [(row["group"], row["n"]) for row in filtered["groups"]] == [("B", 3)]
    assert filtered["source"] == "rollup"


def test_empty_selection_has_no_value_and_no_error(survey: Survey, api_client: ApiClient) -> None:
    body = api_client.get(
        "/api/v1/metrics",
        {"survey": survey.pk, "from": "2020-01-01", "to": "2020-01-31", "compare": "previous"},
    )
    assert body.status_code == 200
    overall = body.json()["overall"]
    assert (overall["n"], overall["value"], overall["ci_low"], overall["difference"]) == (
        0,
        None,
        None,
        None,
    )
    assert overall["significant"] is False


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "nonexistent"}, "group_by"),
        ({"attr.nonexistent": "x"}, "attr.nonexistent"),
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"interval": "fortnight"}, "interval"),
        ({"metric": "nss"}, "metric"),
        ({"statistic": "median"}, "statistic"),
        ({"survey": "x"}, "survey"),
    ],
)
def test_bad_parameters_get_400_with_the_field(
    survey: Survey, api_client: ApiClient, params: dict[str, str], field: str
) -> None:
    response = api_client.get("/api/v1/metrics", {"survey": survey.pk, **params})
    assert response.status_code == 400
    assert field in {item["field"] for item in response.json()["detail"]}


def test_surveys_with_different_scales_cannot_be_combined(
    organization: Organization, api_client: ApiClient
) -> None:
    for scale in (5, 7):
        survey_publish(
            survey=survey_create(
                organization=organization,
                definition={"name": f"CSAT {scale}", "languages": ["en"],
                            "questions": [{"key": "c", "type": "csat", "scale": scale, "text": "?"}]},
            )
        )  # fmt: skip
    response = api_client.get("/api/v1/metrics", {"metric": "csat", "survey": "all"})
    assert response.status_code == 400
    assert response.json()["detail"][0]["field"] == "survey"


def test_all_surveys_combine_only_this_organizations_answers(
    organization: Organization,
    other_membership: Membership,
    make_api_client: Callable[[Organization], ApiClient],
) -> None:
    mine_a, mine_b = survey_for(organization), survey_for(organization)
    theirs = survey_for(other_membership.organization)
    submit(mine_a, 10, at("2026-06-01"))
    submit(mine_b, 0, at("2026-06-02"))
    submit(theirs, 10, at("2026-06-02"))
    client = make_api_client(organization)
    body = client.get(
        "/api/v1/metrics", {"survey": "all", "from": "2026-06-01", "to": "2026-06-30"}
    ).json()
    assert (body["overall"]["n"], body["overall"]["value"]) == (2, 0.0)
    assert sorted(body["surveys"]) == sorted([mine_a.pk, mine_b.pk])
    assert client.get("/api/v1/metrics", {"survey": theirs.pk}).status_code == 404
    assert client.get("/api/v1/metrics/reasons", {"survey": theirs.pk}).status_code == 404


def test_reason_shares_by_category_and_their_change(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_publish(survey=survey_create(organization=organization, definition=PLUS))
    answers = [
        (at("2026-07-02"), 2, ["price"]),
        (at("2026-07-03"), 3, ["price", "staff"]),
        (at("2026-07-04"), 10, ["staff"]),
        (at("2026-07-05"), 9, []),
        (at("2026-06-20"), 1, ["staff"]),  # previous period (Jun 17–Jul 1)
    ]
    for when, score, reasons in answers:
        response_submit(
            survey=survey, answers={"nps": {"score": score, "reasons": reasons}}, submitted_at=when
        )
    body = api_client.get(
        "/api/v1/metrics/reasons",
        {"survey": survey.pk, "from": "2026-07-02", "to": "2026-07-16", "compare": "previous"},
    ).json()
    assert body["source"] == "rollup"
    by_category = {c["category"]: c for c in body["categories"]}
    detractors = {r["key"]: r for r in by_category["detractor"]["reasons"]}
    assert by_category["detractor"]["answers"] == 2
    assert detractors["price"]["share"] == pytest.approx(100.0)
    assert detractors["staff"]["share"] == pytest.approx(50.0)
    assert detractors["staff"]["previous_share"] == pytest.approx(100.0)
    assert detractors["staff"]["difference"] == pytest.approx(-50.0)
    promoters = {r["key"]: r for r in by_category["promoter"]["reasons"]}
    assert by_category["promoter"]["answers"] == 2
    assert promoters["staff"]["share"] == pytest.approx(50.0)
    assert by_category["passive"]["answers"] == 0


def test_query_count_does_not_grow_with_responses(
    survey: Survey, api_client: ApiClient, django_assert_max_num_queries: Any
) -> None:
    params = {"survey": survey.pk, "from": "2026-01-01", "to": "2026-12-31", "compare": "previous",
              "interval": "month", "group_by": "store"}  # fmt: skip
    for day in range(1, 29):
        submit(survey, day % 11, at(f"2026-02-{day:02d}"), store=f"S{day % 4}")
    with django_assert_max_num_queries(9):
        first = api_client.get("/api/v1/metrics", params).json()
    for day in range(1, 29):
        submit(survey, day % 11, at(f"2026-03-{day:02d}") + timedelta(hours=1), store=f"S{day % 7}")
    with django_assert_max_num_queries(9):
        second = api_client.get("/api/v1/metrics", params).json()
    assert second["overall"]["n"] == 2 * first["overall"]["n"]


def test_weights_from_an_attribute_use_kish_effective_sample_size(
    survey: Survey, api_client: ApiClient
) -> None:
    for score, weight in [(10, "2"), (0, "1"), (8, "1"), (9, "bad")]:
        submit(survey, score, at("2026-08-03"), w=weight)
    params = {"survey": survey.pk, "from": "2026-08-01", "to": "2026-08-31", "weight": "w"}
    body = api_client.get("/api/v1/metrics", params).json()
    overall = body["overall"]
    # Weights 2, 1, 1 and 1 (an unusable weight counts as 1): Σw = 5, Σw² = 7.
    assert overall["value"] == pytest.approx(100 * (2 + 1 - 1) / 5)
    assert overall["n"] == 4
    assert body["source"] == "scan"
    unweighted = api_client.get("/api/v1/metrics", {**params, "weight": ""}).json()["overall"]
    assert unweighted["value"] == pytest.approx(nps([10, 0, 8, 9]))
    # Kish: n_eff = (Σw)² / Σw² = 25 / 7 ≈ 3.57 drives the interval, not the raw n of 4.
    expected = nps_from_weighted_totals(
        promoters_w=3, passives_w=1, detractors_w=1, sum_w=5, sum_w2=7, n=4
    )
    assert expected.effective_n == pytest.approx(25 / 7)
    assert (overall["ci_low"], overall["ci_high"]) == (
        pytest.approx(expected.ci_low),
        pytest.approx(expected.ci_high),
    )
    unweighted_same_shares = nps_from_weighted_totals(
        promoters_w=3, passives_w=1, detractors_w=1, sum_w=5, sum_w2=5, n=5
    )
    assert overall["ci_high"] - overall["ci_low"] > (
        unweighted_same_shares.ci_high - unweighted_same_shares.ci_low
    )


def test_equal_weights_give_the_unweighted_figures(survey: Survey, api_client: ApiClient) -> None:
    for score in (10, 9, 3, 7, 8, 0):
        submit(survey, score, at("2026-08-03"), w="1")
    params = {"survey": survey.pk, "from": "2026-08-01", "to": "2026-08-31", "group_by": "w"}
    weighted = api_client.get("/api/v1/metrics", {**params, "weight": "w"}).json()
    plain = api_client.get("/api/v1/metrics", params).json()
    for key in ("value", "n", "ci_low", "ci_high"):
        assert weighted["overall"][key] == pytest.approx(plain["overall"][key])
        assert weighted["groups"][0][key] == pytest.approx(plain["groups"][0][key])
