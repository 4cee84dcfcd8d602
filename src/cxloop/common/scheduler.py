"""Periodic jobs: each app registers what must happen every few seconds, one loop runs them.

A job takes the current time and returns counts for the log (e.g. {"sends_due": 3}). Jobs
only *dispatch* (queue background tasks); the tasks do the work, so a tick stays short.
Jobs must be safe to run from several schedulers at once (cxloop scheduler, and the one
inside each cxloop worker): the distribution app's claims make its sends so.
"""

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

PeriodicJob = Callable[[datetime], Mapping[str, int]]

_jobs: dict[str, PeriodicJob] = {}


def register_periodic(name: str, job: PeriodicJob) -> None:
    """Run `job(now)` on every scheduler tick; registering a name again replaces the job."""
    _jobs[name] = job


def registered_periodic() -> tuple[str, ...]:
    return tuple(sorted(_jobs))


def run_periodic(now: datetime) -> dict[str, Mapping[str, int]]:
    """Run every job once; one failing job is logged and does not stop the others."""
    results: dict[str, Mapping[str, int]] = {}
    for name in sorted(_jobs):
        try:
            results[name] = _jobs[name](now)
        except Exception:
            logger.exception("Periodic job %s failed", name)
            results[name] = {"error": 1}
    return results


def scheduler_loop(*, interval: float, stop: threading.Event, once: bool = False) -> None:
    """Tick every `interval` seconds until `stop` is set (or once)."""
    while True:
        close_old_connections()
        results = run_periodic(timezone.now())
        busy = {name: counts for name, counts in results.items() if any(counts.values())}
        if busy:
            logger.info("Scheduler tick: %s", busy)
        close_old_connections()
        if once or stop.wait(interval):
            return


def start_scheduler_thread(*, interval: float) -> threading.Event:
    """Run the scheduler beside something else in this process; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=scheduler_loop,
        kwargs={"interval": interval, "stop": stop},
        name="cxloop-scheduler",
        daemon=True,
    )
    thread.start()
    return stop
