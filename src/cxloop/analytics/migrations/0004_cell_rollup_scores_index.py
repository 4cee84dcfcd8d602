"""An index holding each combination's score counts per period, in key order, so combined
filters read a page or two per combination instead of one table page per row (ADR 0005).

Adding it builds it over the existing rows; nothing else changes.
"""

from django.db import migrations, models

SCORE_BINS = (
    *(f"nps_{score}" for score in range(0, 11)),
    *(f"csat_{score}" for score in range(1, 11)),
    *(f"ces_{score}" for score in range(1, 8)),
)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0003_cell_rollups_keyed_by_combination"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="cellrollup",
            index=models.Index(
                fields=["combination", "grain", "period", *SCORE_BINS],
                name="cell_rollup_scores",
            ),
        ),
    ]
