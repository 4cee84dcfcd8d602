"""The benchmark's fast bulk load must store exactly what the application would.

A tiny load on the test database: the stored columns equal what `response_build` makes of
the same answers, and the bulk-built rollups equal a `rollups_rebuild` from the raw responses.
No timing assertions: only that the run produces its report.
"""

import json
from typing import Any

import pytest
from django.db.models import Model

from cxloop.analytics.models import (
    COUNT_COLUMNS,
    CellCombination,
    CellRollup,
    MarginalRollup,
    ReasonRollup,
    RollupState,
)
from cxloop.analytics.rollups import rollups_rebuild
from cxloop.bench.generate import MAIN_SURVEY, SURVEYS, load
from cxloop.bench.run import main, percentile
from cxloop.responses.models import Response
from cxloop.responses.services import response_build
from cxloop.surveys.selectors import survey_definition

RESPONSES = 3000
STORED_FIELDS = (
    "answers",
    "attributes",
    "language",
    "nps_score",
    "csat_score",
    "ces_score",
    "comment",
    "organization_id",
    "survey_id",
)


def _rows(model: type[Model], survey_ids: list[int]) -> list[tuple[Any, ...]]:
    if model is CellRollup:
        # Combination ids differ between loads: compare what the combination stands for.
        combination = [
            f"combination__{f.attname}"
            for f in CellCombination._meta.concrete_fields
            if f.name != "id"
        ]
        return sorted(
            CellRollup.objects.filter(combination__survey_id__in=survey_ids).values_list(
                *combination, "grain", "period", *COUNT_COLUMNS
            )
        )
    columns = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
    return sorted(model.objects.filter(survey_id__in=survey_ids).values_list(*columns))


@pytest.mark.django_db
def test_generated_responses_are_what_response_build_would_store() -> None:
    loaded = load(responses=RESPONSES, workers=0)

    assert Response.objects.filter(organization=loaded.organization).count() == RESPONSES
    for survey in loaded.surveys:
        definition = survey_definition(survey)
        sample = list(Response.objects.filter(survey=survey).order_by("?")[:60])
        assert sample, f"survey {survey.name} got no responses"
        for stored in sample:
            rebuilt = response_build(
                survey=survey,
                definition=definition,
                answers=stored.answers,
                attributes=stored.attributes,
                language=stored.language,
                submitted_at=stored.submitted_at,
                source=stored.source,
            )
            for field in STORED_FIELDS:
                assert getattr(stored, field) == getattr(rebuilt, field), (field, stored.pk)


@pytest.mark.django_db
def test_the_load_looks_like_the_spec() -> None:
    loaded = load(responses=RESPONSES, workers=0)
    responses = Response.objects.filter(organization=loaded.organization)

    stores = {a["store"] for a in responses.values_list("attributes", flat=True)}
    regions_by_store: dict[str, set[str]] = {}
    for attributes in responses.values_list("attributes", flat=True):
        regions_by_store.setdefault(attributes["store"], set()).add(attributes["region"])
        assert {"store", "region", "city", "product", "channel", "business_unit"} <= set(attributes)
    assert len(stores) > 150  # 200 stores, most of them answered in 3,000 responses
    assert all(len(regions) == 1 for regions in regions_by_store.values())
    commented = responses.exclude(comment="").count() / RESPONSES
    assert 0.25 < commented < 0.35
    assert len(loaded.surveys) == len(SURVEYS)
    state = RollupState.objects.get(survey=loaded.surveys[MAIN_SURVEY])
    assert {"store", "region", "product", "channel", "business_unit"} <= set(state.dimensions)


@pytest.mark.django_db
def test_bulk_built_rollups_equal_a_rebuild_from_the_raw_responses() -> None:
    loaded = load(responses=RESPONSES, workers=0)
    survey_ids = [survey.pk for survey in loaded.surveys]
    tables = (MarginalRollup, CellRollup, ReasonRollup)
    bulk = {model.__name__: _rows(model, survey_ids) for model in tables}
    assert all(bulk.values())

    for survey in loaded.surveys:
        rollups_rebuild(survey=survey)

    rebuilt = {model.__name__: _rows(model, survey_ids) for model in tables}
    for name in bulk:
        assert bulk[name] == rebuilt[name], name


@pytest.mark.django_db
def test_a_complete_load_is_reused_and_an_incomplete_one_replaced() -> None:
    first = load(responses=RESPONSES, workers=0)

    again = load(responses=RESPONSES, workers=0)
    assert again.reused
    assert again.organization.pk == first.organization.pk

    RollupState.objects.filter(survey=first.surveys[0]).delete()  # as if the load was cut short
    replaced = load(responses=RESPONSES, workers=0)
    assert not replaced.reused
    assert replaced.organization.pk != first.organization.pk
    assert Response.objects.filter(organization=replaced.organization).count() == RESPONSES
    assert not Response.objects.filter(organization_id=first.organization.pk).exists()


@pytest.mark.django_db
def test_the_run_ends_with_one_json_line_with_every_figure(
    capsys: pytest.CaptureFixture[str],
) -> None:
    main(["--responses", str(RESPONSES), "--runs", "2", "--submits", "3", "--workers", "0",
          "--no-migrate"])  # fmt: skip

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last_line)
    assert {"backend", "responses", "machine", "queries", "submit"} <= set(result)
    assert result["responses"] == RESPONSES
    assert result["backend"] in ("sqlite", "postgresql")
    assert set(result["queries"]) == {
        "headline",
        "trend_52w",
        "by_store",
        "by_store_filtered",
        "nps_plus_reasons",
    }
    for name, figures in result["queries"].items():
        assert {"p50_ms", "p95_ms", "scan_p50_ms", "scan_p95_ms"} <= set(figures), name
        assert figures["source"] == "rollup", name
        assert figures["matches_scan"], name
    assert {"p50_ms", "p95_ms", "freshness_ms"} <= set(result["submit"])
    assert result["submit"]["fresh"]
    # The timed submits are erased again, so the load stays complete and reusable.
    assert Response.objects.count() == RESPONSES


def test_percentile_is_the_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 21)]
    assert percentile(samples, 0.95) == 19.0
    assert percentile(samples, 0.5) == 10.0
    assert percentile([3.0], 0.95) == 3.0
