"""Combinations that count every language and comment state together (language "*"), so a
combined attribute filter that does not ask about language or comments reads one
combination per set of attribute values instead of one per language and comment state.

Their counts are the sums of the existing cell rows, survey by survey. Safe to re-run: a
survey's "*" rows are recomputed from its other rows; the reverse removes them.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ANY_LANGUAGE = "*"
COUNTS = (
    "n", "comments",
    *(f"nps_{score}" for score in range(0, 11)),
    *(f"csat_{score}" for score in range(1, 11)),
    *(f"ces_{score}" for score in range(1, 8)),
)  # fmt: skip
DIMENSIONS = tuple(f"d{i}" for i in range(1, 9))


def add_any_language_cells(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    combination_model = apps.get_model("analytics", "CellCombination")
    q = schema_editor.quote_name
    combinations = q(combination_model._meta.db_table)
    cells = q(apps.get_model("analytics", "CellRollup")._meta.db_table)
    key = ", ".join(q(c) for c in ("survey_id", "language", "has_comment", *DIMENSIONS))
    dimensions = ", ".join(q(c) for c in DIMENSIONS)
    same_values = " AND ".join(f"a.{q(c)} = c.{q(c)}" for c in DIMENSIONS)
    counts = ", ".join(q(c) for c in COUNTS)
    sums = ", ".join(f"SUM(k.{q(c)})" for c in COUNTS)
    survey_ids = (
        combination_model.objects.exclude(language=ANY_LANGUAGE)
        .values_list("survey_id", flat=True)
        .distinct()
        .order_by("survey_id")
    )
    # Identifiers are this migration's constants and models' tables, quoted; values are
    # parameters. One survey per round keeps each statement's working set small.
    with schema_editor.connection.cursor() as cursor:
        for survey_id in list(survey_ids):
            cursor.execute(
                f"INSERT INTO {combinations} ({key}) "  # noqa: S608
                f"SELECT DISTINCT {q('survey_id')}, %s, %s, {dimensions} FROM {combinations} "
                f"WHERE {q('survey_id')} = %s AND {q('language')} <> %s "
                f"ON CONFLICT ({key}) DO NOTHING",
                [ANY_LANGUAGE, False, survey_id, ANY_LANGUAGE],
            )
            cursor.execute(
                f"DELETE FROM {cells} WHERE {q('combination_id')} IN "  # noqa: S608
                f"(SELECT {q('id')} FROM {combinations} "
                f"WHERE {q('survey_id')} = %s AND {q('language')} = %s)",
                [survey_id, ANY_LANGUAGE],
            )
            cursor.execute(
                f"INSERT INTO {cells} ({q('combination_id')}, {q('grain')}, {q('period')}, "  # noqa: S608
                f"{counts}) SELECT a.{q('id')}, k.{q('grain')}, k.{q('period')}, {sums} "
                f"FROM {cells} k JOIN {combinations} c ON c.{q('id')} = k.{q('combination_id')} "
                f"JOIN {combinations} a ON a.{q('survey_id')} = c.{q('survey_id')} "
                f"AND a.{q('language')} = %s AND {same_values} "
                f"WHERE c.{q('survey_id')} = %s AND c.{q('language')} <> %s "
                f"GROUP BY a.{q('id')}, k.{q('grain')}, k.{q('period')}",
                [ANY_LANGUAGE, survey_id, ANY_LANGUAGE],
            )


def remove_any_language_cells(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    combination_model = apps.get_model("analytics", "CellCombination")
    apps.get_model("analytics", "CellRollup").objects.filter(
        combination__language=ANY_LANGUAGE
    ).delete()
    combination_model.objects.filter(language=ANY_LANGUAGE).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_cell_rollup_scores_index"),
    ]

    operations = [
        migrations.RunPython(add_any_language_cells, remove_any_language_cells),
    ]
