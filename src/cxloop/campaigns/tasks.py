"""Background work for campaigns: running the relationship waves that are due."""

from collections.abc import Mapping
from datetime import datetime

from django_tasks import task

from cxloop.campaigns.selectors import waves_due_exist
from cxloop.campaigns.services import waves_run_due


@task()
def run_due_waves() -> int:
    """Run every due wave and resume interrupted runs; returns how many runs were executed.
    Safe to run twice at once: each (wave, slot) is claimed once under the wave's lock."""
    return len(waves_run_due())


def waves_dispatch(now: datetime) -> Mapping[str, int]:
    """The scheduler's periodic job: queue a wave run when one is due, so a large segment is
    sampled and invited by a worker rather than inside the scheduler's tick."""
    if not waves_due_exist(now=now):
        return {"wave_runs_queued": 0}
    run_due_waves.enqueue()
    return {"wave_runs_queued": 1}
