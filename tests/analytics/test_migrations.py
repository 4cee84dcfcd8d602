"""Migrations of the cell rollups keep every existing count."""

from datetime import date
from importlib import import_module
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_create

BEFORE = [("analytics", "0002_metric_targets_and_benchmarks")]
AFTER = [("analytics", "0003_cell_rollups_keyed_by_combination")]
DEFINITION: dict[str, Any] = {
    "name": "Cells",
    "languages": ["en"],
    "questions": [{"key": "nps", "type": "nps", "text": {"en": "Recommend?"}}],
}
# (grain, period, language, has_comment, d1, d2, n, nps_9, nps_3)
OLD_ROWS = [
    ("d", date(2026, 3, 1), "en", True, "上海店", "咖啡", 2, 1, 1),
    ("m", date(2026, 3, 1), "en", True, "上海店", "咖啡", 5, 4, 1),
    ("m", date(2026, 3, 1), "zh-Hans", False, "上海店", "咖啡", 1, 0, 1),
    ("m", date(2026, 2, 1), "en", True, "北京店", "", 3, 3, 0),
]


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_cell_rows_are_carried_over_and_back(organization: Organization) -> None:
    survey: Survey = survey_create(organization=organization, definition=DEFINITION)
    apps = _migrate(BEFORE)
    try:
        old = apps.get_model("analytics", "CellRollup")
        for grain, period, language, comment, d1, d2, n, nps_9, nps_3 in OLD_ROWS:
            old.objects.create(
                survey_id=survey.pk, grain=grain, period=period, language=language,
                has_comment=comment, d1=d1, d2=d2, n=n, nps_9=nps_9, nps_3=nps_3,
            )  # fmt: skip

        apps = _migrate(AFTER)
        combinations = apps.get_model("analytics", "CellCombination")
        cells = apps.get_model("analytics", "CellRollup")
        assert combinations.objects.filter(survey_id=survey.pk).count() == 3
        carried = sorted(
            cells.objects.values_list(
                "grain", "period", "combination__language", "combination__has_comment",
                "combination__d1", "combination__d2", "n", "nps_9", "nps_3",
            )
        )  # fmt: skip
        assert carried == sorted(OLD_ROWS)

        apps = _migrate(BEFORE)
        back = apps.get_model("analytics", "CellRollup")
        restored = sorted(
            back.objects.values_list(
                "grain", "period", "language", "has_comment", "d1", "d2", "n", "nps_9", "nps_3"
            )
        )
        assert restored == sorted(OLD_ROWS)
    finally:
        _migrate(None)  # leave the test database fully migrated


BEFORE_ANY_LANGUAGE = [("analytics", "0004_cell_rollup_scores_index")]
WITH_ANY_LANGUAGE = [("analytics", "0005_cell_rollups_for_any_language")]


def _any_language_rows(apps: Any, survey_id: int) -> list[tuple[Any, ...]]:
    cells = apps.get_model("analytics", "CellRollup")
    return sorted(
        cells.objects.filter(
            combination__survey_id=survey_id, combination__language="*"
        ).values_list(
            "grain", "period", "combination__d1", "combination__d2", "n", "nps_9", "nps_3"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_any_language_cells_sum_the_existing_rows_and_rerun_to_the_same(
    organization: Organization,
) -> None:
    survey: Survey = survey_create(organization=organization, definition=DEFINITION)
    apps = _migrate(BEFORE_ANY_LANGUAGE)
    try:
        combinations = apps.get_model("analytics", "CellCombination")
        cells = apps.get_model("analytics", "CellRollup")
        for grain, period, language, comment, d1, d2, n, nps_9, nps_3 in OLD_ROWS:
            combination, _created = combinations.objects.get_or_create(
                survey_id=survey.pk, language=language, has_comment=comment, d1=d1, d2=d2
            )
            cells.objects.create(
                combination=combination, grain=grain, period=period, n=n, nps_9=nps_9, nps_3=nps_3
            )

        apps = _migrate(WITH_ANY_LANGUAGE)
        # The two March month rows of 上海店/咖啡 (English with comment, Chinese without) add up.
        expected = sorted(
            [
                ("d", date(2026, 3, 1), "上海店", "咖啡", 2, 1, 1),
                ("m", date(2026, 3, 1), "上海店", "咖啡", 6, 4, 2),
                ("m", date(2026, 2, 1), "北京店", "", 3, 3, 0),
            ]
        )
        assert _any_language_rows(apps, survey.pk) == expected
        migration = import_module("cxloop.analytics.migrations.0005_cell_rollups_for_any_language")
        with connection.schema_editor() as editor:
            migration.add_any_language_cells(apps, editor)  # a second run recomputes, not adds
        assert _any_language_rows(apps, survey.pk) == expected
        assert apps.get_model("analytics", "CellRollup").objects.count() == len(OLD_ROWS) + 3

        apps = _migrate(BEFORE_ANY_LANGUAGE)
        assert _any_language_rows(apps, survey.pk) == []
        assert apps.get_model("analytics", "CellCombination").objects.count() == 3
    finally:
        _migrate(None)  # leave the test database fully migrated
