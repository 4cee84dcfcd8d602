"""Pure rules of automated distribution: event-rule conditions, stratified sampling and
wave schedules. No Django import: everything here is tested without a database."""

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# A wave run not finished this long after it was claimed was interrupted: resume it.
RUN_LEASE = timedelta(minutes=30)

# --- Event-rule conditions -----------------------------------------------------------------


def conditions_match(
    conditions: Mapping[str, Sequence[str]], attributes: Mapping[str, str]
) -> bool:
    """Whether every condition (attribute → allowed values) holds; no condition always
    holds. A missing attribute matches no value."""
    return all(
        name in attributes and attributes[name] in allowed for name, allowed in conditions.items()
    )


# --- Stratified sampling -------------------------------------------------------------------


def stratum_sample_size(population: int, percent: float) -> int:
    """How many of a stratum of ``population`` to pick for ``percent`` (0 < p <= 100).

    The share is rounded half up, and a non-empty stratum always gives at least one
    contact: 10 % of a store with 3 customers asks 1 of them rather than none, so every
    stratum is heard from.
    """
    if population <= 0:
        return 0
    if not 0 < percent <= 100:
        raise ValueError("percent must be in (0, 100]")
    wanted = math.floor(population * percent / 100 + 0.5)
    return min(population, max(1, wanted))


def stratified_sample(
    strata: Mapping[str, Sequence[int]], *, percent: float, seed: str
) -> list[int]:
    """Pick ``stratum_sample_size`` members of each stratum at random; ascending ids.

    Deterministic for a given ``seed`` and population: each stratum is shuffled by its own
    generator seeded with (seed, stratum), so a re-run after a crash picks the same
    contacts, and adding a store does not change who is picked in another.
    """
    chosen: list[int] = []
    for name in sorted(strata):
        members = sorted(set(strata[name]))
        size = stratum_sample_size(len(members), percent)
        if size == len(members):
            chosen.extend(members)
            continue
        # Not for security: a reproducible draw is the point.
        generator = random.Random(f"{seed}\x1f{name}")  # noqa: S311
        chosen.extend(generator.sample(members, size))
    return sorted(chosen)


# --- Wave schedules ------------------------------------------------------------------------


def add_months(moment: datetime, months: int, zone: ZoneInfo) -> datetime:
    """The same local wall-clock time ``months`` later in ``zone``; the day is clamped to
    the month's end (31 January + 1 month = 28/29 February)."""
    local = moment.astimezone(zone)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    next_month_first = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=zone)
    last_day = (next_month_first - timedelta(days=1)).day
    return local.replace(year=year, month=month, day=min(local.day, last_day))


@dataclass(frozen=True, slots=True)
class WaveSchedule:
    first_run_at: datetime
    repeat_months: int  # 0: runs once
    zone: ZoneInfo

    def next_after(self, planned_for: datetime, now: datetime) -> datetime | None:
        """The run planned after ``planned_for``, skipping slots already past at ``now``.

        Slots are counted from the first run (first + k × months) so they never drift
        with month lengths. A scheduler that was down for several periods runs the overdue
        slot once, then continues with the next future one: contacts are never asked for
        the missed quarters all at once.
        """
        if self.repeat_months <= 0:
            return None
        step = 1
        while True:
            candidate = add_months(self.first_run_at, step * self.repeat_months, self.zone)
            if candidate > planned_for and candidate > now:
                return candidate
            step += 1
