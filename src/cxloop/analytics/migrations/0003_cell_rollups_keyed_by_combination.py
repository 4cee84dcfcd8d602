"""Cell rollups split into combinations (one row per set of dimension values) and counts per
period of a combination, so combined filters read only matching rows (ADR 0005).

Existing cell rows are carried over in SQL (INSERT … SELECT), so rollups stay current and no
rebuild is needed; the reverse copies them back.
"""

import django.db.models.deletion
from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

COUNTS = (
    "n", "comments",
    *(f"nps_{score}" for score in range(0, 11)),
    *(f"csat_{score}" for score in range(1, 11)),
    *(f"ces_{score}" for score in range(1, 8)),
)  # fmt: skip
KEY = ("survey_id", "language", "has_comment", *(f"d{i}" for i in range(1, 9)))


def _tables(apps: Apps) -> tuple[str, str, str]:
    return (
        apps.get_model("analytics", "CellRollupBeforeCombinations")._meta.db_table,
        apps.get_model("analytics", "CellCombination")._meta.db_table,
        apps.get_model("analytics", "CellRollup")._meta.db_table,
    )


def _execute(schema_editor: BaseDatabaseSchemaEditor, statements: list[str]) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def split_cells(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    old, combinations, cells = (schema_editor.quote_name(t) for t in _tables(apps))
    q = schema_editor.quote_name
    key = ", ".join(q(c) for c in KEY)
    counts = ", ".join(q(c) for c in COUNTS)
    joined = " AND ".join(f"c.{q(c)} = o.{q(c)}" for c in KEY)
    # Identifiers are this migration's constants, quoted; there are no values.
    _execute(
        schema_editor,
        [
            f"INSERT INTO {combinations} ({key}) SELECT DISTINCT {key} FROM {old}",  # noqa: S608
            f"INSERT INTO {cells} ({q('combination_id')}, {q('grain')}, {q('period')}, {counts}) "  # noqa: S608
            f"SELECT c.{q('id')}, o.{q('grain')}, o.{q('period')}, "
            + ", ".join(f"o.{q(c)}" for c in COUNTS)
            + f" FROM {old} o JOIN {combinations} c ON {joined}",
        ],
    )


def join_cells(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    old, combinations, cells = (schema_editor.quote_name(t) for t in _tables(apps))
    q = schema_editor.quote_name
    columns = ", ".join(q(c) for c in (*KEY, "grain", "period", *COUNTS))
    selected = ", ".join(
        [*(f"c.{q(c)}" for c in KEY), *(f"k.{q(c)}" for c in ("grain", "period", *COUNTS))]
    )
    _execute(
        schema_editor,
        [
            f"INSERT INTO {old} ({columns}) SELECT {selected} FROM {cells} k "  # noqa: S608
            f"JOIN {combinations} c ON c.{q('id')} = k.{q('combination_id')}"
        ],
    )


def _counts() -> list[tuple[str, models.Field]]:  # type: ignore[type-arg]
    return [(name, models.IntegerField(default=0)) for name in COUNTS]


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0002_metric_targets_and_benchmarks"),
        ("surveys", "0001_surveys_and_questions"),
    ]

    operations = [
        migrations.RenameModel("CellRollup", "CellRollupBeforeCombinations"),
        migrations.CreateModel(
            name="CellCombination",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("language", models.CharField(max_length=8)),
                ("has_comment", models.BooleanField()),
                *((f"d{i}", models.CharField(default="", max_length=200)) for i in range(1, 9)),
                (
                    "survey",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="surveys.survey",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["survey", f"d{i}"], name=f"cell_combination_d{i}")
                    for i in range(1, 9)
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=(
                            "survey",
                            "language",
                            "has_comment",
                            *(f"d{i}" for i in range(1, 9)),
                        ),
                        name="cell_combination_key",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="CellRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                *_counts(),
                ("grain", models.CharField(choices=[("d", "day"), ("m", "month")], max_length=1)),
                ("period", models.DateField()),
                (
                    "combination",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        to="analytics.cellcombination",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("combination", "grain", "period"), name="cell_rollup_period_key"
                    )
                ],
            },
        ),
        migrations.RunPython(split_cells, join_cells),
        migrations.DeleteModel("CellRollupBeforeCombinations"),
    ]
