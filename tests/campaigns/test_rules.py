"""The pure rules: conditions, stratified sampling and wave schedules."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cxloop.campaigns.rules import (
    WaveSchedule,
    add_months,
    conditions_match,
    stratified_sample,
    stratum_sample_size,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_conditions_need_every_attribute_to_hold() -> None:
    conditions = {"store": ["A", "B"], "tier": ["gold"]}
    assert conditions_match(conditions, {"store": "B", "tier": "gold", "x": "1"})
    assert not conditions_match(conditions, {"store": "C", "tier": "gold"})
    assert not conditions_match(conditions, {"store": "A"})
    assert conditions_match({}, {})


@pytest.mark.parametrize(
    ("population", "percent", "size"),
    [(0, 10, 0), (3, 10, 1), (14, 10, 1), (15, 10, 2), (100, 10, 10), (7, 100, 7), (1, 0.5, 1)],
)
def test_stratum_sizes_round_half_up_with_at_least_one(
    population: int, percent: float, size: int
) -> None:
    assert stratum_sample_size(population, percent) == size


def test_bad_percentages_are_refused() -> None:
    for percent in (0, -1, 100.5):
        with pytest.raises(ValueError, match="percent"):
            stratum_sample_size(10, percent)


def test_sampling_is_per_stratum_and_reproducible() -> None:
    strata = {"A": list(range(1, 101)), "B": list(range(101, 131)), "C": [131]}
    picked = stratified_sample(strata, percent=10, seed="wave-run:7")
    assert len([p for p in picked if p <= 100]) == 10
    assert len([p for p in picked if 101 <= p <= 130]) == 3
    assert 131 in picked
    assert picked == stratified_sample(strata, percent=10, seed="wave-run:7")
    assert picked != stratified_sample(strata, percent=10, seed="wave-run:8")
    # Another stratum growing leaves this one's draw alone.
    grown = {**strata, "B": list(range(101, 141))}
    assert [p for p in picked if p <= 100] == [
        p for p in stratified_sample(grown, percent=10, seed="wave-run:7") if p <= 100
    ]


def test_add_months_keeps_local_time_and_clamps_the_day() -> None:
    start = datetime(2026, 1, 31, 9, 0, tzinfo=SHANGHAI)
    assert add_months(start, 1, SHANGHAI) == datetime(2026, 2, 28, 9, 0, tzinfo=SHANGHAI)
    assert add_months(start, 3, SHANGHAI) == datetime(2026, 4, 30, 9, 0, tzinfo=SHANGHAI)
    assert add_months(start, 11, SHANGHAI) == datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI)
    assert add_months(start, 12, SHANGHAI) == datetime(2027, 1, 31, 9, 0, tzinfo=SHANGHAI)


def test_quarterly_schedule_counts_from_the_first_run_and_skips_missed_slots() -> None:
    first = datetime(2026, 1, 31, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    quarterly = WaveSchedule(first_run_at=first, repeat_months=3, zone=SHANGHAI)
    april = datetime(2026, 4, 30, 9, 0, tzinfo=SHANGHAI)
    assert quarterly.next_after(first, now=first) == april
    # Down from January to mid-May: the overdue run happens once, then July.
    may = datetime(2026, 5, 15, tzinfo=UTC)
    assert quarterly.next_after(first, now=may) == datetime(2026, 7, 31, 9, 0, tzinfo=SHANGHAI)
    assert (
        WaveSchedule(first_run_at=first, repeat_months=0, zone=SHANGHAI).next_after(
            first, now=first
        )
        is None
    )
