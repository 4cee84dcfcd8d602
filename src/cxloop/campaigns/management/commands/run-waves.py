"""``cxloop run-waves``: run the relationship waves that are due (for ops and cron)."""

from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cxloop.campaigns.services import waves_run_due


class Command(BaseCommand):
    help = (
        "Run every relationship wave whose next run is due, and resume interrupted runs. "
        "Safe to run while the scheduler runs: a slot is never run twice."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--now",
            default=None,
            help="Act as if it were this ISO time (e.g. 2026-07-01T09:00+08:00); default now.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options["now"]:
            try:
                now = datetime.fromisoformat(options["now"])
            except ValueError as error:
                raise CommandError(f"--now: not an ISO date-time: {options['now']!r}") from error
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        runs = waves_run_due(now=now)
        for run in runs:
            self.stdout.write(
                f"wave {run.wave_id} run {run.pk} ({run.planned_for.isoformat()}): "
                f"selected {run.selected}, queued {run.queued}, skipped {run.skipped}"
                + (f" {run.skipped_by_reason}" if run.skipped_by_reason else "")
            )
        self.stdout.write(f"{len(runs)} run(s).")
