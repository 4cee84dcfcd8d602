"""``cxloop worker``: run the background task worker until stopped: django-tasks-db's, or
RQ's when ``CXLOOP_TASKS_BACKEND=django_tasks_rq.RQBackend``.

It runs the scheduler (delayed sends, retries, reminders, waves) in a thread beside the
worker, so ``make demo`` needs nothing else; ``--no-scheduler`` leaves that to
``cxloop scheduler``.
"""

import threading
from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend

from cxloop.common.scheduler import scheduler_loop, start_scheduler_thread

RQ_BACKEND = "django_tasks_rq.RQBackend"
RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


def database_tasks_configured() -> bool:
    """Whether tasks are queued in the database, i.e. whether this worker is the one to run."""
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend)


def rq_tasks_configured() -> bool:
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    return f"{type(backend).__module__.rpartition('.')[0]}.{type(backend).__name__}" == RQ_BACKEND


def worker_available() -> bool:
    """Whether ``cxloop worker`` can run the configured backend's tasks."""
    return database_tasks_configured() or rq_tasks_configured()


class Command(BaseCommand):
    help = "Run the background task worker (django-tasks-db's db_worker) until stopped."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help="Queues to process, comma-separated; '*' for all (default: all).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between polls when the queue is empty (default: 1).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run the tasks waiting now, then exit."
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Exit after running this many tasks."
        )
        parser.add_argument(
            "--reload",
            action=BooleanOptionalAction,
            default=False,
            help="Restart on code changes (development only; default: off).",
        )
        parser.add_argument(
            "--scheduler",
            action=BooleanOptionalAction,
            default=True,
            help="Run the scheduler in a thread beside the worker (default: on).",
        )
        parser.add_argument(
            "--scheduler-interval",
            type=float,
            default=settings.CXLOOP_SCHEDULER_INTERVAL,
            help="Seconds between two scheduler ticks (default: CXLOOP_SCHEDULER_INTERVAL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not worker_available():
            raise CommandError(
                "The task backend is not django-tasks-db nor RQ "
                f"({task_backends[DEFAULT_TASK_BACKEND_ALIAS].__class__.__name__}); "
                "run that backend's own worker instead."
            )
        if options["interval"] < 0:
            raise CommandError("--interval must be zero or more seconds.")
        if options["max_tasks"] is not None and options["max_tasks"] < 1:
            raise CommandError("--max-tasks must be at least 1.")
        db_worker_options: dict[str, Any] = {
            "queue_name": options["queue_name"],
            "interval": options["interval"],
            "batch": options["batch"],
            "reload": options["reload"],
            "verbosity": options["verbosity"],
            "stdout": self.stdout,
            "stderr": self.stderr,
        }
        if options["max_tasks"] is not None:
            db_worker_options["max_tasks"] = options["max_tasks"]
        if options["scheduler_interval"] <= 0:
            raise CommandError("--scheduler-interval must be more than zero seconds.")

        def work() -> None:
            if database_tasks_configured():
                call_command("db_worker", **db_worker_options)
            else:
                self.run_rq_worker(options)

        if not options["scheduler"]:
            work()
        elif options["batch"]:
            # One tick queues what is due now; the batch then runs it and exits.
            scheduler_loop(interval=0, stop=threading.Event(), once=True)
            work()
        else:
            stop = start_scheduler_thread(interval=options["scheduler_interval"])
            try:
                work()
            finally:
                stop.set()

    def run_rq_worker(self, options: dict[str, Any]) -> None:
        queues = [] if options["queue_name"] == "*" else options["queue_name"].split(",")
        rq_options: dict[str, Any] = {
            "burst": options["batch"],
            # RQ's own scheduler moves deferred tasks (retries with run_after) to the queue.
            "with_scheduler": True,
            "job_class": RQ_JOB_CLASS,
            "verbosity": options["verbosity"],
        }
        if options["max_tasks"] is not None:
            rq_options["max_jobs"] = options["max_tasks"]
        call_command("rqworker", *queues, **rq_options)
