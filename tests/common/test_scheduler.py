from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cxloop.common import scheduler
from cxloop.common.scheduler import register_periodic, registered_periodic, run_periodic

NOW = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)


@pytest.fixture
def jobs() -> Iterator[list[datetime]]:
    before = dict(scheduler._jobs)
    seen: list[datetime] = []
    yield seen
    scheduler._jobs.clear()
    scheduler._jobs.update(before)


def test_every_registered_job_runs_and_one_failure_does_not_stop_the_others(
    jobs: list[datetime],
) -> None:
    def broken(now: datetime) -> Mapping[str, int]:
        raise RuntimeError("boom")

    def counting(now: datetime) -> Mapping[str, int]:
        jobs.append(now)
        return {"done": 1}

    register_periodic("a-broken", broken)
    register_periodic("b-counting", counting)

    results = run_periodic(NOW)

    assert results["a-broken"] == {"error": 1}
    assert results["b-counting"] == {"done": 1}
    assert jobs == [NOW]


def test_the_distribution_app_registers_its_sends() -> None:
    assert "distribution" in registered_periodic()


@pytest.mark.django_db
def test_scheduler_once_runs_one_tick(jobs: list[datetime]) -> None:
    register_periodic("counting", lambda now: jobs.append(now) or {"done": 1})
    out = StringIO()

    call_command("scheduler", "--once", stdout=out)

    assert len(jobs) == 1
    assert "counting" in out.getvalue() and "distribution" in out.getvalue()


def test_scheduler_refuses_a_bad_interval() -> None:
    with pytest.raises(CommandError, match="interval"):
        call_command("scheduler", "--once", "--interval", "0", stdout=StringIO())
