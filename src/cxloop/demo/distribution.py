"""The demo chain's customers and how they were asked: contacts, quarterly relationship
waves, transactional event rules and the invitations they produced, with outcomes.

Everything goes through the real services (contact rules, waves, event rules, the fatigue
rules in ``invitation_create``), then the invitations' delivery is played forward in time as
the send pipeline would have recorded it, and completed ones are linked to responses of the
same survey submitted soon after, so the contact pages, invitation lists and response rates
show a believable year.
"""

from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from random import Random
from zoneinfo import ZoneInfo

from django.db.models import F, Q

from cxloop.campaigns.services import (
    EventRuleInput,
    WaveInput,
    event_receive,
    event_rule_create,
    wave_create,
    waves_run_due,
)
from cxloop.contacts.models import Contact, OptOutSource
from cxloop.demo.catalog import STORES, SURVEY_PLANS, Store
from cxloop.demo.generator import DAYS
from cxloop.distribution.models import Invitation, InvitationChannel, InvitationStatus
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey

CONTACTS = 600
WAVE_SHARE = Decimal(25)  # percent of each store's customers asked per quarter
EVENT_DAYS = 30  # days of transactional events before "now"
EVENTS_PER_DAY = 6

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱")
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "杰", "婷", "涛")
ENGLISH_NAMES = ("Alex Chan", "Emily Wong", "Jason Lee", "Grace Ho", "Kevin Lau", "Mia Tsang")
TIERS = (("regular", 0.6), ("silver", 0.3), ("gold", 0.1))


@dataclass(frozen=True, slots=True)
class Outcome:
    """Shares of an invitation's fate on one channel, each of the ones before it."""

    failed: float
    delivered: float  # SMS receipts; e-mail has none
    opened: float  # e-mail opens (the pixel); SMS: clicked the short link
    completed: float  # of the opened ones


OUTCOMES: Mapping[str, Outcome] = {
    InvitationChannel.EMAIL: Outcome(failed=0.03, delivered=0.0, opened=0.55, completed=0.62),
    InvitationChannel.SMS: Outcome(failed=0.02, delivered=0.95, opened=0.42, completed=0.7),
}
FAILURES: Mapping[str, str] = {
    InvitationChannel.EMAIL: "550 5.1.1 The email account that you tried to reach does not exist",
    InvitationChannel.SMS: "isv.MOBILE_NUMBER_ILLEGAL",
}


def _weighted(rng: Random, pairs: Sequence[tuple[str, float]]) -> str:
    return rng.choices([value for value, _w in pairs], [w for _v, w in pairs])[0]


def _contact(rng: Random, number: int, store: Store, organization: Organization) -> Contact:
    language = _weighted(rng, list(store.languages.items()) or [("zh-Hans", 1.0)])
    if language == "en":
        name = rng.choice(ENGLISH_NAMES)
    else:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES) + rng.choice(("", *GIVEN_NAMES))
    has_email = rng.random() < 0.8
    has_phone = rng.random() < 0.9 or not has_email
    return Contact(
        organization=organization,
        external_id=f"m-{number:05d}",
        name=name,
        email=f"member{number:05d}@example.com" if has_email else "",
        # 138 0013 xxxx: valid mainland mobile numbers reserved for no one in particular.
        phone=f"+86138{number:08d}" if has_phone else "",
        language=language,
        attributes={
            "store": store.name,
            "city": store.city,
            "region": store.region,
            "tier": _weighted(rng, TIERS),
        },
    )


def _create_contacts(organization: Organization, rng: Random, now: datetime) -> list[Contact]:
    weights = [store.traffic for store in STORES]
    contacts = [
        _contact(rng, number, rng.choices(STORES, weights)[0], organization)
        for number in range(1, CONTACTS + 1)
    ]
    for contact in contacts:
        if contact.phone and rng.random() < 0.03:
            contact.sms_opted_out_at = now - timedelta(days=rng.randint(5, 300))
            contact.sms_opt_out_source = OptOutSource.UNSUBSCRIBE_LINK
        if contact.email and rng.random() < 0.02:
            contact.email_opted_out_at = now - timedelta(days=rng.randint(5, 300))
            contact.email_opt_out_source = OptOutSource.UNSUBSCRIBE_LINK
    return Contact.objects.bulk_create(contacts)


class _ResponsePool:
    """Anonymous responses of one survey by time, to give to invitations that were answered."""

    def __init__(self, survey: Survey) -> None:
        rows = list(
            Response.objects.filter(survey=survey, contact__isnull=True)
            .order_by("submitted_at", "pk")
            .values_list("submitted_at", "pk")
        )
        self.times = [moment for moment, _pk in rows]
        self.ids = [pk for _moment, pk in rows]
        self.taken: set[int] = set()

    def take(self, after: datetime, within: timedelta) -> tuple[int, datetime] | None:
        index = bisect_left(self.times, after)
        while index < len(self.times) and self.times[index] <= after + within:
            if self.ids[index] not in self.taken:
                self.taken.add(self.ids[index])
                return self.ids[index], self.times[index]
            index += 1
        return None


def _play_forward(
    invitations: Sequence[Invitation],
    pools: Mapping[int, _ResponsePool],
    rng: Random,
    now: datetime,
) -> None:
    """Record what happened to each sent invitation, as the send pipeline and the personal
    links would have, and link answered ones to a response."""
    changed: list[Invitation] = []
    answered: list[Response] = []
    for invitation in invitations:
        if invitation.status != InvitationStatus.QUEUED or invitation.scheduled_at > now:
            continue
        outcome = OUTCOMES[invitation.channel]
        sent_at = invitation.scheduled_at + timedelta(seconds=rng.randint(5, 120))
        invitation.sent_at = sent_at
        changed.append(invitation)
        if rng.random() < outcome.failed:
            invitation.status = InvitationStatus.FAILED
            invitation.failure = FAILURES[invitation.channel]
            continue
        invitation.status = InvitationStatus.SENT
        if rng.random() < outcome.delivered:
            invitation.status = InvitationStatus.DELIVERED
            invitation.delivered_at = sent_at + timedelta(seconds=rng.randint(2, 30))
        if rng.random() >= outcome.opened:
            continue
        invitation.status = InvitationStatus.OPENED
        invitation.opened_at = sent_at + timedelta(minutes=rng.randint(3, 60 * 30))
        if rng.random() >= outcome.completed:
            if rng.random() < 0.3:
                invitation.status = InvitationStatus.STARTED
                invitation.started_at = invitation.opened_at
            continue
        found = pools[invitation.survey_id].take(invitation.opened_at, timedelta(days=7))
        if found is None or found[1] > now:
            continue
        response_id, submitted_at = found
        invitation.status = InvitationStatus.COMPLETED
        invitation.started_at = invitation.opened_at
        invitation.completed_at = submitted_at
        invitation.response_id = response_id
        answered.append(Response(pk=response_id, contact_id=invitation.contact_id))
    Invitation.objects.bulk_update(
        changed,
        [
            "status",
            "failure",
            "sent_at",
            "delivered_at",
            "opened_at",
            "started_at",
            "completed_at",
            "response",
        ],
        batch_size=500,
    )
    Response.objects.bulk_update(answered, ["contact"], batch_size=500)


def _local(now: datetime, zone: ZoneInfo, days_ago: int, at: time) -> datetime:
    day = (now.astimezone(zone) - timedelta(days=days_ago)).date()
    return datetime.combine(day, at, tzinfo=zone)


def demo_distribution_load(
    *, organization: Organization, surveys: Mapping[str, Survey], now: datetime, rng: Random
) -> int:
    """Create the demo's contacts, waves, event rules and invitations; returns how many
    invitations were created."""
    zone = ZoneInfo(organization.time_zone)
    contacts = _create_contacts(organization, rng, now)
    pools = {survey.pk: _ResponsePool(survey) for survey in surveys.values()}

    # Quarterly relationship NPS by e-mail: a quarter of each store's customers.
    relationship = next(plan for plan in SURVEY_PLANS if plan.template == "relationship_nps")
    first_wave_day = relationship.waves[0][0] if relationship.waves else 0
    wave = wave_create(
        organization=organization,
        data=WaveInput(
            name="季度关系 NPS 调研 / Quarterly relationship NPS",
            survey_id=surveys["relationship_nps"].pk,
            channel="email",
            # On the day the generated year's first relationship wave went out.
            first_run_at=_local(now, zone, DAYS - 1 - first_wave_day, time(10, 0)).replace(
                tzinfo=None
            ),
            sample_percent=WAVE_SHARE,
            sample_by="store",
            repeat_months=3,
        ),
    )
    while wave.next_run_at is not None and wave.next_run_at <= now:
        for run in waves_run_due(now=wave.next_run_at):
            _play_forward(
                list(Invitation.objects.filter(batch_key=f"wave-run:{run.pk}")), pools, rng, now
            )
        wave.refresh_from_db()

    # Transactional moments: NPS+ by SMS two hours after a delivery, CES by e-mail when a
    # service ticket closes.
    event_rule_create(
        organization=organization,
        data=EventRuleInput(
            name="订单送达后 2 小时 NPS+ 短信 / NPS+ by SMS 2 h after delivery",
            event="order_delivered",
            survey_id=surveys["transactional_nps_plus"].pk,
            channel="sms",
            delay_minutes=120,
            dedupe_days=30,
        ),
    )
    event_rule_create(
        organization=organization,
        data=EventRuleInput(
            name="工单关闭即发 CES 邮件 / CES by e-mail when a ticket closes",
            event="ticket_closed",
            survey_id=surveys["ces_service"].pk,
            channel="email",
        ),
    )
    # Up to two days ago: every send, even one deferred past quiet hours, is in the past.
    for days_ago in range(EVENT_DAYS, 1, -1):
        for _ in range(EVENTS_PER_DAY):
            contact = rng.choice(contacts)
            moment = _local(now, zone, days_ago, time(rng.randint(10, 19), rng.randint(0, 59)))
            event = "order_delivered" if rng.random() < 0.7 else "ticket_closed"
            event_receive(
                organization=organization,
                event=event,
                contact={"external_id": contact.external_id},
                attributes={
                    "store": contact.attributes["store"],
                    "order_id": f"o-{rng.randint(1, 10**6)}",
                },
                occurred_at=moment,
                now=moment,
            )
    transactional = Invitation.objects.filter(organization=organization).filter(
        Q(batch_key__startswith="event:")
    )
    _play_forward(list(transactional), pools, rng, now)
    # Like the responses, the invitations happened when they were scheduled, not at load time:
    # response-rate reports count invitations by when they were created.
    invitations = Invitation.objects.filter(organization=organization)
    invitations.update(created_at=F("scheduled_at"))
    return invitations.count()
