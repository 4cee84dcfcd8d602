"""Contact-frequency ("survey fatigue") rules: may this contact be invited now?

Pure: no Django import. Times are aware datetimes; the contact's local time decides quiet
hours. A refusal names its reason and, where waiting helps, the earliest moment to retry,
so the caller can record the skip and schedule the send.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_MIN_DAYS_BETWEEN = 90
DEFAULT_MAX_PER_YEAR = 4
YEAR = timedelta(days=365)

OPTED_OUT = "opted_out"
RECENTLY_INVITED = "recently_invited"
YEARLY_LIMIT = "yearly_limit"
QUIET_HOURS = "quiet_hours"


@dataclass(frozen=True, slots=True)
class FatigueRules:
    """At most one invitation per `min_days_between` days and `max_per_year` per rolling
    year, across all surveys and channels; nothing between `quiet_start` and `quiet_end`
    in the contact's time zone (the window may span midnight; equal times mean none)."""

    min_days_between: int = DEFAULT_MIN_DAYS_BETWEEN
    max_per_year: int = DEFAULT_MAX_PER_YEAR
    quiet_start: time | None = time(21, 0)
    quiet_end: time | None = time(9, 0)

    def __post_init__(self) -> None:
        if self.min_days_between < 0:
            raise ValueError("min_days_between must be >= 0")
        if self.max_per_year < 1:
            raise ValueError("max_per_year must be >= 1")
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both a start and an end")


@dataclass(frozen=True, slots=True)
class ContactRules:
    """The contact-frequency settings an organization (or one survey) edits: the fatigue
    rules plus how long a personal link stays valid."""

    min_days_between: int
    max_per_year: int
    quiet_start: time | None
    quiet_end: time | None
    link_valid_days: int
    reminder_after_days: int = 3
    max_reminders: int = 1  # 0: no reminders


@dataclass(frozen=True, slots=True)
class FatigueDecision:
    allowed: bool
    reason: str | None = None
    retry_at: datetime | None = None  # None with a refusal: waiting does not help


def _in_quiet_hours(local: time, rules: FatigueRules) -> bool:
    start, end = rules.quiet_start, rules.quiet_end
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # spans midnight


def _local_moment(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """`clock` on `day` in `zone`, moved past a daylight-saving gap when it does not exist."""
    candidate = datetime.combine(day, clock, zone)
    round_trip = candidate.astimezone(UTC).astimezone(zone)
    return (
        round_trip
        if round_trip.replace(tzinfo=None) != candidate.replace(tzinfo=None)
        else candidate
    )


def quiet_hours_end(moment: datetime, zone: ZoneInfo, rules: FatigueRules) -> datetime:
    """The first moment at or after `moment` outside quiet hours."""
    local = moment.astimezone(zone)
    if rules.quiet_end is None or not _in_quiet_hours(local.timetz().replace(tzinfo=None), rules):
        return moment
    end_today = _local_moment(local.date(), rules.quiet_end, zone)
    end = (
        end_today
        if end_today > local
        else _local_moment(local.date() + timedelta(days=1), rules.quiet_end, zone)
    )
    return end.astimezone(UTC)


def fatigue_decision(
    *,
    now: datetime,
    contact_time_zone: ZoneInfo,
    previous_invitations: Sequence[datetime],
    rules: FatigueRules,
    opted_out: bool = False,
) -> FatigueDecision:
    """Decide one send. `previous_invitations` are this contact's other invitations on any
    survey and channel, sent or scheduled (skipped ones excluded)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if opted_out:
        return FatigueDecision(False, OPTED_OUT)
    # Invitations already scheduled for later (deferred past quiet hours, delayed by a rule)
    # count as much as sent ones: the gap is kept on both sides of `now`.
    gap = timedelta(days=rules.min_days_between)
    too_close = sorted(t for t in previous_invitations if abs(now - t) < gap)
    if too_close:
        return FatigueDecision(False, RECENTLY_INVITED, too_close[-1] + gap)
    earlier = sorted(previous_invitations)
    in_last_year = [t for t in earlier if t > now - YEAR]
    if len(in_last_year) >= rules.max_per_year:
        # The oldest send of the window leaves it a year after it happened.
        oldest_counted = in_last_year[-rules.max_per_year]
        return FatigueDecision(False, YEARLY_LIMIT, oldest_counted + YEAR)
    later = quiet_hours_end(now, contact_time_zone, rules)
    if later != now:
        return FatigueDecision(False, QUIET_HOURS, later)
    return FatigueDecision(True)
