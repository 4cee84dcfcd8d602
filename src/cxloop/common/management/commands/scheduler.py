"""``cxloop scheduler``: fire delayed sends, retries, reminders and waves on time.

``cxloop worker`` runs the same loop in a thread, so a separate scheduler is only needed when
workers run with ``--no-scheduler`` (or under RQ). Several may run at once.
"""

import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cxloop.common.scheduler import registered_periodic, scheduler_loop


class Command(BaseCommand):
    help = "Run the periodic jobs (delayed sends, retries, reminders, waves) until stopped."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.CXLOOP_SCHEDULER_INTERVAL,
            help="Seconds between two ticks (default: CXLOOP_SCHEDULER_INTERVAL, else 10).",
        )
        parser.add_argument("--once", action="store_true", help="Run one tick, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interval"] <= 0:
            raise CommandError("--interval must be more than zero seconds.")
        if options["verbosity"]:
            jobs = ", ".join(registered_periodic()) or "none"
            self.stdout.write(f"Scheduler: every {options['interval']:g} s; jobs: {jobs}")
        try:
            scheduler_loop(
                interval=options["interval"], stop=threading.Event(), once=options["once"]
            )
        except KeyboardInterrupt:
            return
