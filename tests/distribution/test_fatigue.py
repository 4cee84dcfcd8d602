from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxloop.distribution.fatigue import (
    OPTED_OUT,
    QUIET_HOURS,
    RECENTLY_INVITED,
    YEARLY_LIMIT,
    FatigueRules,
    fatigue_decision,
    quiet_hours_end,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")
NOON_SHANGHAI = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
RULES = FatigueRules()


def decide(
    now: datetime,
    history: list[datetime],
    rules: FatigueRules = RULES,
    zone: ZoneInfo = SHANGHAI,
    **kw: bool,
):  # type: ignore[no-untyped-def]
    return fatigue_decision(
        now=now, contact_time_zone=zone, previous_invitations=history, rules=rules, **kw
    )


def test_a_contact_never_invited_may_be_invited_at_noon() -> None:
    assert decide(NOON_SHANGHAI, []).allowed


def test_opt_out_wins_and_waiting_does_not_help() -> None:
    decision = decide(NOON_SHANGHAI, [], opted_out=True)
    assert (decision.allowed, decision.reason, decision.retry_at) == (False, OPTED_OUT, None)


def test_one_invitation_per_ninety_days_across_surveys() -> None:
    last = NOON_SHANGHAI - timedelta(days=89, hours=23)
    decision = decide(NOON_SHANGHAI, [last])
    assert (decision.allowed, decision.reason) == (False, RECENTLY_INVITED)
    assert decision.retry_at == last + timedelta(days=90)
    assert decide(last + timedelta(days=90), [last]).allowed


def test_an_invitation_scheduled_for_later_also_keeps_the_gap() -> None:
    tomorrow_morning = NOON_SHANGHAI + timedelta(hours=21)
    decision = decide(NOON_SHANGHAI, [tomorrow_morning])
    assert (decision.allowed, decision.reason) == (False, RECENTLY_INVITED)
    assert decision.retry_at == tomorrow_morning + timedelta(days=90)


def test_survey_override_allows_a_shorter_gap() -> None:
    weekly = FatigueRules(min_days_between=7, max_per_year=52)
    last = NOON_SHANGHAI - timedelta(days=8)
    assert decide(NOON_SHANGHAI, [last], weekly).allowed


def test_yearly_limit_counts_a_rolling_year_and_says_when_it_frees_up() -> None:
    rules = FatigueRules(min_days_between=0, max_per_year=3)
    history = [NOON_SHANGHAI - timedelta(days=d) for d in (400, 300, 200, 100)]
    decision = decide(NOON_SHANGHAI, history, rules)
    assert (decision.allowed, decision.reason) == (False, YEARLY_LIMIT)
    assert decision.retry_at == history[1] + timedelta(days=365)  # the send 300 days ago
    assert decide(decision.retry_at + timedelta(seconds=1), history, rules).allowed


@pytest.mark.parametrize(
    ("local_clock", "allowed"),
    [
        (time(8, 59), False),
        (time(9, 0), True),
        (time(20, 59), True),
        (time(21, 0), False),
        (time(23, 30), False),
        (time(0, 10), False),
    ],
)
def test_quiet_hours_in_the_contacts_time_zone(local_clock: time, allowed: bool) -> None:
    now = datetime.combine(datetime(2026, 5, 6).date(), local_clock, SHANGHAI).astimezone(UTC)
    decision = decide(now, [])
    assert decision.allowed is allowed
    if not allowed:
        assert decision.reason == QUIET_HOURS
        assert decision.retry_at is not None
        assert decision.retry_at.astimezone(SHANGHAI).time() == time(9, 0)
        assert decision.retry_at > now


def test_the_same_moment_is_quiet_in_one_zone_and_not_in_another() -> None:
    moment = datetime(2026, 5, 6, 14, 0, tzinfo=UTC)  # 22:00 Shanghai, 15:00 London
    assert decide(moment, [], zone=SHANGHAI).reason == QUIET_HOURS
    assert decide(moment, [], zone=LONDON).allowed


def test_quiet_hours_end_across_a_daylight_saving_change() -> None:
    # London springs forward on 2026-03-29 at 01:00 → 02:00; a quiet window ending at 01:30
    # ends at the first real moment after the gap.
    rules = FatigueRules(quiet_start=time(22, 0), quiet_end=time(1, 30))
    evening = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 23:00 London (GMT)
    end = quiet_hours_end(evening, LONDON, rules)
    assert end.astimezone(LONDON).hour == 2
    assert end > evening


def test_no_quiet_hours_when_disabled() -> None:
    rules = FatigueRules(quiet_start=None, quiet_end=None)
    assert decide(datetime(2026, 5, 6, 18, 0, tzinfo=UTC), [], rules).allowed


def test_invalid_rules_and_naive_now_are_refused() -> None:
    with pytest.raises(ValueError, match="max_per_year"):
        FatigueRules(max_per_year=0)
    with pytest.raises(ValueError, match="quiet hours"):
        FatigueRules(quiet_start=time(22, 0), quiet_end=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        fatigue_decision(
            now=datetime(2026, 5, 6),
            contact_time_zone=SHANGHAI,
            previous_invitations=[],
            rules=RULES,
        )


@given(
    minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
    gaps=st.lists(st.integers(min_value=1, max_value=200), max_size=8),
)
def test_an_allowed_send_never_breaks_a_rule(minutes: int, gaps: list[int]) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
    history, moment = [], now
    for gap in gaps:
        moment -= timedelta(days=gap)
        history.append(moment)
    decision = decide(now, history)
    if decision.allowed:
        assert all(now - t >= timedelta(days=RULES.min_days_between) for t in history)
        assert sum(now - t < timedelta(days=365) for t in history) < RULES.max_per_year
        local = now.astimezone(SHANGHAI).time()
        assert time(9, 0) <= local < time(21, 0)
    else:
        assert decision.retry_at is None or decision.retry_at > now
