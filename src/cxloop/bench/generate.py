"""Synthetic but realistic responses, loaded straight into the database in bulk.

A retail chain: 200 stores in 20 regions, 30 products in 5 business units, 6 channels, three
years of answers to 5 surveys. Responses are drawn per survey and month as plain tuples (no
model instances) in the exact stored form `responses.services.response_build` produces, and
each one is fed to `analytics.rollups.accumulate` so the rollups are built on the way; both are
written with `executemany` (SQLite) or COPY (PostgreSQL) one survey-month per transaction,
which keeps memory bounded. Drawing runs in worker processes while the main process writes.

A load is reused when the organization `bench-<N>` already holds a complete load of N
responses (every survey has its RollupState, written last); anything else under that slug is
deleted first and loaded again.
"""

import json
import math
import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import connection, connections, transaction

from cxloop.analytics.models import (
    COUNT_COLUMNS,
    MAX_DIMENSIONS,
    CellCombination,
    CellRollup,
    MarginalRollup,
    ReasonRollup,
    RollupState,
)
from cxloop.analytics.rollups import (
    CELL_COUNTS_KEY,
    CELL_KEY,
    COMBINATION_KEY,
    MARGINAL_KEY,
    REASON_KEY,
    RollupFacts,
    Tables,
    accumulate,
    empty_tables,
)
from cxloop.organizations.models import Organization
from cxloop.organizations.services import organization_create
from cxloop.responses.answers import headline_scores
from cxloop.responses.models import Response, ResponseSource
from cxloop.surveys.definitions import QuestionDefinition
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition
from cxloop.surveys.services import survey_create, survey_publish
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

YEARS = 3
TIME_ZONE = "Asia/Shanghai"
COMMENT_SHARE = 0.30
SEED = 20240601

# (region, its cities); each region has 10 stores spread over its cities.
REGIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("上海大区", ("上海",)),
    ("浙江大区", ("杭州", "宁波", "温州")),
    ("江苏大区", ("南京", "苏州", "无锡")),
    ("北京大区", ("北京",)),
    ("津冀大区", ("天津", "石家庄")),
    ("山东大区", ("济南", "青岛")),
    ("广州大区", ("广州", "佛山")),
    ("深圳大区", ("深圳", "东莞")),
    ("福建大区", ("福州", "厦门")),
    ("四川大区", ("成都", "绵阳")),
    ("重庆大区", ("重庆",)),
    ("湖北大区", ("武汉", "宜昌")),
    ("湖南大区", ("长沙", "株洲")),
    ("河南大区", ("郑州", "洛阳")),
    ("陕西大区", ("西安", "咸阳")),
    ("辽宁大区", ("沈阳", "大连")),
    ("云贵大区", ("昆明", "贵阳")),
    ("安徽大区", ("合肥", "芜湖")),
    ("香港大区", ("香港",)),
    ("台湾大区", ("台北", "台中")),
)
LANDMARKS: tuple[str, ...] = (
    "万达广场",
    "万象城",
    "大悦城",
    "来福士",
    "火车站",
    "国际机场",
    "步行街",
    "高新区",
    "大学城",
    "中心广场",
)
BUSINESS_UNITS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("手机事业部", ("星辰 X1", "星辰 X1 Pro", "星辰 Lite", "星辰 Fold", "星辰 S2", "星辰 S2 Mini")),
    (
        "电脑事业部",
        (
            "云帆笔记本 14",
            "云帆笔记本 16",
            "云帆平板 11",
            "云帆平板 Pro",
            "云帆一体机",
            "云帆台式机",
        ),
    ),
    (
        "家电事业部",
        ("净界空气净化器", "净界扫地机器人", "净界洗碗机", "净界电饭煲", "净界冰箱", "净界洗衣机"),
    ),
    (
        "穿戴事业部",
        ("律动手表 3", "律动手环 8", "律动耳机 Pro", "律动耳机 SE", "律动智能眼镜", "律动儿童手表"),
    ),
    ("服务事业部", ("以旧换新", "延保服务", "上门安装", "快修服务", "会员年卡", "数据迁移")),
)
# channel → (share of responses, effect on satisfaction in score points)
CHANNELS: Mapping[str, tuple[float, float]] = {
    "门店": (0.40, 0.3),
    "官方商城": (0.15, 0.0),
    "App": (0.15, 0.1),
    "微信小程序": (0.12, -0.1),
    "天猫旗舰店": (0.10, -0.3),
    "京东旗舰店": (0.08, -0.2),
}
# The surveys: (template, name or None for the template's, share of all responses).
SURVEYS: tuple[tuple[str, str | None, float], ...] = (
    ("transactional_nps_plus", None, 0.45),
    ("relationship_nps", None, 0.10),
    ("csat_support", None, 0.18),
    ("ces_service", None, 0.12),
    ("transactional_nps_plus", "线上订单 NPS+ 调研", 0.15),
)
MAIN_SURVEY = 0  # the big transactional NPS+ survey the queries are timed on
# Hour of day (local) → relative number of answers: shops open 9–22, evenings busiest.
HOURS: Mapping[int, float] = {
    **dict.fromkeys(range(0, 9), 0.2),
    **dict.fromkeys(range(9, 17), 1.0),
    **dict.fromkeys(range(17, 22), 1.6),
    22: 0.8,
    23: 0.4,
}
COMMENTS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "positive": {
        "zh-Hans": ("店员很专业，讲解很耐心。", "体验很好，下次还会再来。", "发货快，包装也很好。"),
        "zh-Hant": ("店員很專業，講解很有耐心。", "體驗很好，下次還會再來。"),
        "en": ("Great service, the staff really knew the products.", "Smooth and quick."),
    },
    "mixed": {
        "zh-Hans": ("整体还行，就是排队时间有点长。", "价格偏高，希望多些优惠。"),
        "zh-Hant": ("整體還可以，只是排隊有點久。", "價格偏高，希望多一些優惠。"),
        "en": ("Okay overall, but the queue was long.", "A bit pricey."),
    },
    "negative": {
        "zh-Hans": ("等了很久都没人理，非常失望。", "缺货严重，白跑一趟。", "售后处理太慢了。"),
        "zh-Hant": ("等了很久都沒人理，非常失望。", "缺貨嚴重，白跑一趟。"),
        "en": ("Nobody helped me for 20 minutes.", "Out of stock again, wasted trip."),
    },
}
# Which NPS+ reasons each category ticks, relative weights by reason key.
REASON_WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "promoter": {"staff_service": 5, "product_quality": 4, "store_environment": 3, "checkout": 2},
    "passive": {"price": 4, "wait_time": 3, "product_availability": 2, "staff_service": 1},
    "detractor": {"wait_time": 5, "price": 3, "product_availability": 3, "after_sales": 3},
}
REASON_COUNTS: tuple[tuple[int, float], ...] = ((1, 0.55), (2, 0.30), (3, 0.15))
REASONS_TICKED = 0.88


@dataclass(frozen=True, slots=True)
class Store:
    name: str
    region: str
    city: str
    quality: float  # score points above the chain's average
    trend: float  # score points gained over the three years
    traffic: float
    traditional: bool  # customers mostly answer in traditional Chinese


@dataclass(frozen=True, slots=True)
class Product:
    name: str
    business_unit: str
    effect: float


def build_stores() -> tuple[Store, ...]:
    rng = Random(SEED)  # noqa: S311 - seeded, reproducible data
    stores = []
    for region, cities in REGIONS:
        for index, landmark in enumerate(LANDMARKS):
            city = cities[index % len(cities)]
            stores.append(
                Store(
                    name=f"{city}{landmark}店",
                    region=region,
                    city=city,
                    quality=rng.gauss(0, 0.8),
                    trend=rng.gauss(0.3, 0.5),
                    traffic=math.exp(rng.gauss(0, 0.4)),
                    traditional=region in ("香港大区", "台湾大区"),
                )
            )
    return tuple(stores)


def build_products() -> tuple[Product, ...]:
    rng = Random(SEED + 1)  # noqa: S311 - seeded, reproducible data
    return tuple(
        Product(name, unit, rng.gauss(0, 0.4)) for unit, names in BUSINESS_UNITS for name in names
    )


STORES = build_stores()
PRODUCTS = build_products()


@dataclass(frozen=True, slots=True)
class Chunk:
    """One survey's responses in one month: what a worker draws and the writer stores."""

    organization_id: int
    survey_id: int
    questions: tuple[QuestionDefinition, ...]
    start: int  # epoch seconds, inclusive
    end: int  # epoch seconds, exclusive
    count: int
    progress: float  # 0 at the start of the three years, 1 at the end (for trends)
    seed: int
    dimensions: tuple[str, ...]
    time_zone: str
    backend: str  # "sqlite" or "postgresql": how timestamps and dates are passed


@dataclass(slots=True)
class ChunkRows:
    responses: list[tuple[Any, ...]]
    marginal: list[tuple[Any, ...]]
    cells: list[tuple[Any, ...]]
    reasons: list[tuple[Any, ...]]


RESPONSE_COLUMNS: tuple[str, ...] = (
    "organization_id",
    "survey_id",
    "submitted_at",
    "received_at",
    "language",
    "source",
    "answers",
    "attributes",
    "nps_score",
    "csat_score",
    "ces_score",
    "comment",
    "idempotency_key",
)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, int(value + 0.5) if value >= 0 else int(value - 0.5)))


def _language(rng: Random, store: Store) -> str:
    roll = rng.random()
    if store.traditional:
        return "zh-Hant" if roll < 0.85 else "en"
    return "zh-Hans" if roll < 0.93 else ("en" if roll < 0.98 else "zh-Hant")


def _reasons(rng: Random, question: QuestionDefinition, category: str) -> list[str]:
    if rng.random() >= REASONS_TICKED:
        return []
    allowed = question.choice_keys()
    weights = REASON_WEIGHTS[category]
    pool = {key: weights.get(key, 0.5) for key in allowed}
    wanted = rng.choices([n for n, _ in REASON_COUNTS], [w for _, w in REASON_COUNTS])[0]
    chosen: set[str] = set()
    while len(chosen) < wanted and len(chosen) < len(pool):
        keys = [key for key in pool if key not in chosen]
        chosen.add(rng.choices(keys, [pool[key] for key in keys])[0])
    return [key for key in allowed if key in chosen]  # survey order, as the cleaning stores it


def _tone(question: QuestionDefinition, score: int) -> str:
    if question.type in ("nps", "nps_plus"):
        return "positive" if score >= 9 else "mixed" if score >= 7 else "negative"
    low, high = question.score_range or (1, 5)
    position = (score - low) / (high - low)
    return "positive" if position >= 0.74 else "negative" if position <= 0.34 else "mixed"


def draw_answers(
    rng: Random, questions: Sequence[QuestionDefinition], satisfaction: float, language: str
) -> dict[str, Any]:
    """One respondent's answers in their cleaned, stored form.

    `satisfaction` is in NPS points around the chain average; every score question reads it
    on its own scale, and about 30 % of respondents leave a comment.
    """
    answers: dict[str, Any] = {}
    wants_comment = rng.random() < COMMENT_SHARE
    tone = "mixed"
    for question in questions:
        if question.type in ("nps", "nps_plus"):
            score = _clamp(rng.gauss(8.0 + satisfaction, 2.1), 0, 10)
            tone = _tone(question, score)
            if question.type == "nps":
                answers[question.key] = score
                continue
            category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
            comment = ""
            if wants_comment:
                comment = rng.choice(COMMENTS[tone][language])
                wants_comment = False  # the NPS+ open question holds the comment
            answers[question.key] = {
                "score": score,
                "reasons": _reasons(rng, question, category),
                "comment": comment,
            }
        elif question.type in ("csat", "ces"):
            low, high = question.score_range or (1, 5)
            base = 0.72 if question.type == "csat" else 0.68
            position = rng.gauss(base + satisfaction * 0.06, 0.22)
            score = _clamp(low + position * (high - low), low, high)
            answers[question.key] = score
            tone = _tone(question, score)
        elif question.type == "text":
            if wants_comment:
                answers[question.key] = rng.choice(COMMENTS[tone][language])
                wants_comment = False
        elif question.type == "single_choice":
            if rng.random() < 0.7:
                answers[question.key] = rng.choice(question.choice_keys())
        elif question.type == "multiple_choice" and rng.random() < 0.5:
            keys = question.choice_keys()
            picked = set(rng.sample(keys, rng.randint(1, min(2, len(keys)))))
            answers[question.key] = [key for key in keys if key in picked]
    return answers


def _store_weights() -> list[float]:
    total = 0.0
    cumulative = []
    for store in STORES:
        total += store.traffic
        cumulative.append(total)
    return cumulative


STORE_CUMULATIVE = _store_weights()
CHANNEL_NAMES = tuple(CHANNELS)
CHANNEL_CUMULATIVE = tuple(
    sum(share for share, _effect in list(CHANNELS.values())[: i + 1]) for i in range(len(CHANNELS))
)
HOUR_CUMULATIVE = tuple(sum(HOURS[h] for h in range(i + 1)) for i in range(24))


def _moments(rng: Random, chunk: Chunk) -> list[int]:
    """`count` epoch seconds in [start, end), busier in the evening, in time order."""
    zone = ZoneInfo(chunk.time_zone)
    first_day = datetime.fromtimestamp(chunk.start, zone).date()
    last_day = datetime.fromtimestamp(chunk.end - 1, zone).date()
    midnights = []
    day = first_day
    while day <= last_day:
        midnights.append(int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()))
        day += timedelta(days=1)
    hours = rng.choices(range(24), cum_weights=HOUR_CUMULATIVE, k=chunk.count)
    moments = []
    for hour in hours:
        while True:
            moment = rng.choice(midnights) + hour * 3600 + rng.randrange(3600)
            if chunk.start <= moment < chunk.end:
                break
            hour = rng.randrange(24)  # the clipped first or last day: draw again
        moments.append(moment)
    moments.sort()
    return moments


def _timestamp(moment: int, backend: str) -> Any:
    value = datetime.fromtimestamp(moment, UTC)
    # Django stores SQLite datetimes as naive UTC text; psycopg takes aware datetimes.
    return str(value.replace(tzinfo=None)) if backend == "sqlite" else value


def _period(day: date, backend: str) -> Any:
    return day.isoformat() if backend == "sqlite" else day


def draw_chunk(chunk: Chunk) -> ChunkRows:
    """Draw a survey-month of responses and the rollup rows counting them (no database)."""
    rng = Random(chunk.seed)  # noqa: S311 - seeded, reproducible data
    zone = ZoneInfo(chunk.time_zone)
    nps_plus_keys = [q.key for q in chunk.questions if q.type == "nps_plus"]
    tables = empty_tables()
    rows: list[tuple[Any, ...]] = []
    stores = rng.choices(STORES, cum_weights=STORE_CUMULATIVE, k=chunk.count)
    channels = rng.choices(CHANNEL_NAMES, cum_weights=CHANNEL_CUMULATIVE, k=chunk.count)
    products = rng.choices(PRODUCTS, k=chunk.count)
    chain_trend = 0.4 * chunk.progress
    for moment, store, channel, product in zip(
        _moments(rng, chunk), stores, channels, products, strict=True
    ):
        language = _language(rng, store)
        satisfaction = (
            store.quality
            + store.trend * chunk.progress
            + chain_trend
            + product.effect
            + CHANNELS[channel][1]
        )
        answers = draw_answers(rng, chunk.questions, satisfaction, language)
        attributes = {
            "store": store.name,
            "region": store.region,
            "city": store.city,
            "product": product.name,
            "channel": channel,
            "business_unit": product.business_unit,
        }
        scores = headline_scores(chunk.questions, answers)
        submitted_at = datetime.fromtimestamp(moment, UTC)
        source = ResponseSource.WEB if rng.random() < 0.7 else ResponseSource.API
        rows.append(
            (
                chunk.organization_id,
                chunk.survey_id,
                _timestamp(moment, chunk.backend),
                _timestamp(moment + rng.randrange(1, 30), chunk.backend),
                language,
                source.value,
                json.dumps(answers),
                json.dumps(attributes),
                scores.nps,
                scores.csat,
                scores.ces,
                scores.comment,
                None,
            )
        )
        accumulate(
            tables,
            RollupFacts.from_values(
                submitted_at,
                language,
                attributes,
                scores.nps,
                scores.csat,
                scores.ces,
                scores.comment,
                answers,
                nps_plus_keys,
            ),
            survey_id=chunk.survey_id,
            dimensions=chunk.dimensions,
            time_zone=zone,
        )
    return ChunkRows(rows, *rollup_rows(tables, chunk.backend))


def rollup_rows(
    tables: Tables, backend: str
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The in-memory rollups as rows in MARGINAL_KEY/CELL_KEY/REASON_KEY + counts order."""
    marginal, cells, reasons = tables
    marginal_rows = [
        (
            survey_id,
            dimension,
            grain,
            _period(period, backend),
            value,
            *counts,
        )
        for (survey_id, dimension, grain, period, value), counts in marginal.items()
    ]
    cell_rows = [
        (
            key[0],
            key[1],
            _period(key[2], backend),
            *key[3:],
            *counts,
        )
        for key, counts in cells.items()
    ]
    reason_rows = [
        (*key[:4], _period(key[4], backend), *key[5:], count) for key, count in reasons.items()
    ]
    return marginal_rows, cell_rows, reason_rows


# --- writing -------------------------------------------------------------------------------


def backend_name() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def _insert(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    raw = connection.connection
    if connection.vendor == "postgresql":
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    # Identifiers are this module's constants, quoted; values are parameters.
    raw.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608


class CombinationIds:
    """Ids for cell combinations, handed out by the one process that writes.

    The load is the only writer of its (new) surveys' combinations, so ids are assigned here
    and each new combination is inserted with its counts; the sequence is moved past them at
    the end (`sync_sequences`).
    """

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(CellCombination._meta.db_table)
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            self.last = int(cursor.fetchone()[0])
        self.ids: dict[tuple[Any, ...], int] = {}

    def split(
        self, cells: list[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """CELL_KEY + counts rows → (new combination rows, CELL_COUNTS_KEY + counts rows)."""
        width = len(CELL_KEY)
        new: list[tuple[Any, ...]] = []
        counts: list[tuple[Any, ...]] = []
        for row in cells:
            combination = (row[0], *row[3:width])
            combination_id = self.ids.get(combination)
            if combination_id is None:
                self.last += 1
                combination_id = self.ids[combination] = self.last
                new.append((combination_id, *combination))
            counts.append((combination_id, row[1], row[2], *row[width:]))
        return new, counts


def write_chunk(rows: ChunkRows, combinations: CombinationIds) -> None:
    """One survey-month: its responses and its rollup rows, in one transaction."""
    new_combinations, cell_counts = combinations.split(rows.cells)
    with transaction.atomic():
        connection.ensure_connection()
        _insert(Response._meta.db_table, RESPONSE_COLUMNS, rows.responses)
        _insert(MarginalRollup._meta.db_table, (*MARGINAL_KEY, *COUNT_COLUMNS), rows.marginal)
        _insert(CellCombination._meta.db_table, ("id", *COMBINATION_KEY), new_combinations)
        _insert(CellRollup._meta.db_table, (*CELL_COUNTS_KEY, *COUNT_COLUMNS), cell_counts)
        _insert(ReasonRollup._meta.db_table, (*REASON_KEY, "count"), rows.reasons)


BULK_MODELS = (Response, MarginalRollup, CellCombination, CellRollup, ReasonRollup)


def sync_sequences() -> None:
    """PostgreSQL: move the id sequence past the ids the load assigned itself."""
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    table = CellCombination._meta.db_table
    # The identifier is a model's table, quoted; the value is a parameter.
    sql = (
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
        f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {connection.ops.quote_name(table)}), false)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [table])


def _secondary_indexes(cursor: Any, table: str) -> list[tuple[str, str, str]]:
    """(kind, name, definition) of what can be dropped during a bulk load and re-created.

    PostgreSQL: unique and foreign-key constraints and plain indexes (not the primary key).
    SQLite: named indexes only; inline UNIQUE constraints cannot be dropped.
    """
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') "
            "UNION ALL "
            "SELECT 'index', i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [table, table],
        )
    else:
        cursor.execute(
            "SELECT 'index', name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
            [table],
        )
    return [(str(kind), str(name), str(definition)) for kind, name, definition in cursor.fetchall()]


def defer_indexes() -> Callable[[], None]:
    """Drop the bulk tables' secondary indexes and constraints; returns what re-creates them.

    Building an index once over sorted data is far cheaper than maintaining it row by row, and
    PostgreSQL otherwise checks every foreign key of every copied row. The load is the only
    writer of the benchmark database while it runs.
    """
    quote = connection.ops.quote_name
    dropped: list[tuple[str, str, str, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Pending deferred checks would forbid ALTER TABLE in this transaction (tests).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in BULK_MODELS:
            table = model._meta.db_table
            for kind, name, definition in _secondary_indexes(cursor, table):
                if kind == "constraint":
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                else:
                    cursor.execute(f"DROP INDEX {quote(name)}")
                dropped.append((table, kind, name, definition))

    def restore() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET maintenance_work_mem = '512MB'")
            # Indexes first: foreign keys are then checked, unique constraints built.
            for table, kind, name, definition in sorted(dropped, key=lambda d: d[1] != "index"):
                _say(f"  creating {name}")
                if kind == "constraint":
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
                else:
                    cursor.execute(definition)

    return restore


# --- the organization and its surveys ------------------------------------------------------


def bench_slug(responses: int) -> str:
    return f"bench-{responses}"


def bench_user(responses: int) -> User:
    user, _created = get_user_model().objects.get_or_create(
        username=f"bench-{responses}", defaults={"email": f"bench-{responses}@example.invalid"}
    )
    return user


def load_is_complete(organization: Organization, responses: int) -> bool:
    surveys = Survey.objects.filter(organization=organization)
    return (
        surveys.count() == len(SURVEYS)
        and RollupState.objects.filter(survey__in=surveys).count() == len(SURVEYS)
        and Response.objects.filter(organization=organization).count() == responses
    )


def bench_organization_delete(organization: Organization) -> None:
    """Delete a bench organization; bulk rows go by plain DELETE, not the ORM's cascade."""
    survey_ids = list(Survey.objects.filter(organization=organization).values_list("pk", flat=True))
    with transaction.atomic():
        CellRollup.objects.filter(combination__survey_id__in=survey_ids)._raw_delete(
            connection.alias
        )
        for model in (MarginalRollup, CellCombination, ReasonRollup):
            model.objects.filter(survey_id__in=survey_ids)._raw_delete(connection.alias)
        Response.objects.filter(organization=organization)._raw_delete(connection.alias)
        organization.delete()


def create_surveys(organization: Organization, owner: User) -> list[Survey]:
    surveys = []
    for template_key, name, _share in SURVEYS:
        definition = SURVEY_TEMPLATES[template_key].definition(name=name)
        survey = survey_create(organization=organization, definition=definition, by=owner)
        surveys.append(survey_publish(survey=survey, by=owner))
    # Until the load is complete nothing may read these rollups as current.
    RollupState.objects.filter(survey__in=surveys).delete()
    return surveys


# --- planning ------------------------------------------------------------------------------


def month_spans(now: datetime, time_zone: ZoneInfo) -> list[tuple[int, int]]:
    """Epoch-second spans of the calendar months (local time) covering the last three years."""
    end = int(now.timestamp()) - 60
    start_day = (now.astimezone(time_zone) - timedelta(days=365 * YEARS)).date()
    start = int(datetime.combine(start_day, datetime.min.time(), time_zone).timestamp())
    spans = []
    month = start_day.replace(day=1)
    while True:
        following = (month + timedelta(days=32)).replace(day=1)
        month_start = int(datetime.combine(month, datetime.min.time(), time_zone).timestamp())
        month_end = int(datetime.combine(following, datetime.min.time(), time_zone).timestamp())
        spans.append((max(start, month_start), min(end, month_end)))
        if month_end >= end:
            return spans
        month = following


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `weights`, exactly (largest remainder)."""
    whole = sum(weights)
    shares = [total * weight / whole for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(shares)), key=lambda i: counts[i] - shares[i])
    for index in by_remainder[: total - sum(counts)]:
        counts[index] += 1
    return counts


def plan_chunks(
    *,
    organization: Organization,
    surveys: Sequence[Survey],
    responses: int,
    now: datetime,
    backend: str,
) -> list[Chunk]:
    """Survey-months in time order; volume grows over the years with a seasonal swing."""
    zone = ZoneInfo(organization.time_zone)
    spans = month_spans(now, zone)
    questions = [survey_definition(survey).questions for survey in surveys]
    dimensions = tuple(list(organization.analysis_dimensions)[:MAX_DIMENSIONS])
    keys: list[tuple[int, int]] = []
    weights: list[float] = []
    for month_index, (start, end) in enumerate(spans):
        progress = month_index / max(1, len(spans) - 1)
        month = datetime.fromtimestamp(start, zone).month
        volume = (end - start) * (1 + 0.8 * progress) * (1 + 0.15 * math.cos(month / 6 * math.pi))
        for survey_index, (_template, _name, share) in enumerate(SURVEYS):
            keys.append((month_index, survey_index))
            weights.append(volume * share)
    counts = allocate(responses, weights)
    chunks = []
    for (month_index, survey_index), count in zip(keys, counts, strict=True):
        if count == 0:
            continue
        start, end = spans[month_index]
        chunks.append(
            Chunk(
                organization_id=organization.pk,
                survey_id=surveys[survey_index].pk,
                questions=questions[survey_index],
                start=start,
                end=end,
                count=count,
                progress=month_index / max(1, len(spans) - 1),
                seed=SEED + month_index * 100 + survey_index,
                dimensions=dimensions,
                time_zone=organization.time_zone,
                backend=backend,
            )
        )
    return chunks


# --- the load ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadResult:
    organization: Organization
    surveys: tuple[Survey, ...]
    reused: bool
    seconds: float
    rows_per_second: float | None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _drawn(chunks: Sequence[Chunk], workers: int) -> Iterator[ChunkRows]:
    """Chunks drawn in order; with workers, a few run ahead while the caller writes."""
    if workers <= 0:
        yield from map(draw_chunk, chunks)
        return
    # Forked workers must not share the parent's database connection.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        pending: deque[Any] = deque()
        upcoming = iter(chunks)
        for chunk in upcoming:
            pending.append(pool.apply_async(draw_chunk, (chunk,)))
            if len(pending) >= workers + 2:
                break
        while pending:
            result = pending.popleft().get()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.apply_async(draw_chunk, (following,)))
            yield result


def _tune_for_load(backend: str) -> Callable[[], None]:
    """Faster, unsafe-on-crash settings for the load only; returns what restores them."""
    if backend == "postgresql":
        with connection.cursor() as cursor:
            # A crash loses the last commits of a load that is redone anyway.
            cursor.execute("SET synchronous_commit TO off")

        def restore_postgresql() -> None:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")

        return restore_postgresql
    if connection.in_atomic_block:
        return lambda: None  # SQLite refuses to change it inside a transaction (tests)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-1000000")  # 1 GB: the rollup indexes stay cached

    def restore() -> None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")

    return restore


def refresh_statistics() -> None:
    """Planner statistics (and, on PostgreSQL, the visibility map) after a bulk load, as
    autovacuum / PRAGMA optimize would gather them."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if connection.in_atomic_block:
                cursor.execute("ANALYZE")  # VACUUM cannot run in a transaction (tests)
            else:
                # Also marks the loaded pages all-visible, as autovacuum does after a large
                # insert, so covering indexes answer without visiting the table.
                cursor.execute("VACUUM (ANALYZE)")
        else:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
            # Sampled statistics make every combination index look alike, and SQLite then
            # drives a combined filter from the least selective dimension; the combination
            # table is small enough to analyze exactly.
            cursor.execute("PRAGMA analysis_limit=0")
            cursor.execute(f"ANALYZE {connection.ops.quote_name(CellCombination._meta.db_table)}")


def load(
    *, responses: int, workers: int = 2, fresh: bool = False, now: datetime | None = None
) -> LoadResult:
    """Load (or reuse) the organization `bench-<responses>`; see the module docstring."""
    started = time.perf_counter()
    slug = bench_slug(responses)
    existing = Organization.objects.filter(slug=slug).first()
    if existing is not None:
        if not fresh and load_is_complete(existing, responses):
            _say(f"reusing the complete load of {responses:,} responses in {slug}")
            loaded = tuple(Survey.objects.filter(organization=existing).order_by("pk"))
            return LoadResult(existing, loaded, True, 0.0, None)
        _say(f"deleting the incomplete or stale load {slug}")
        bench_organization_delete(existing)
    owner = bench_user(responses)
    organization = organization_create(
        name=f"Bench {responses:,}", owner=owner, slug=slug, time_zone=TIME_ZONE
    )
    surveys = create_surveys(organization, owner)
    backend = backend_name()
    chunks = plan_chunks(
        organization=organization,
        surveys=surveys,
        responses=responses,
        now=now or datetime.now(UTC),
        backend=backend,
    )
    restore: Callable[[], None] = lambda: None  # noqa: E731
    restore_indexes: Callable[[], None] = lambda: None  # noqa: E731
    written = 0
    rollup_rows_written = 0
    try:
        for index, rows in enumerate(_drawn(chunks, workers), start=1):
            if index == 1:
                # Tuned on the connection that writes (workers start after a fresh one).
                restore = _tune_for_load(backend)
                restore_indexes = defer_indexes()
                combinations = CombinationIds()
            write_chunk(rows, combinations)
            written += len(rows.responses)
            rollup_rows_written += len(rows.marginal) + len(rows.cells) + len(rows.reasons)
            if index % 10 == 0 or index == len(chunks):
                elapsed = time.perf_counter() - started
                _say(
                    f"  {written:>12,} / {responses:,} responses, {rollup_rows_written:,} rollup "
                    f"rows, {elapsed:,.0f} s, {written / elapsed:,.0f} responses/s"
                )
    finally:
        _say(f"creating indexes ({time.perf_counter() - started:,.0f} s)")
        restore_indexes()
        restore()
    sync_sequences()
    dimensions = list(organization.analysis_dimensions)[:MAX_DIMENSIONS]
    RollupState.objects.bulk_create(
        RollupState(survey=survey, dimensions=dimensions, time_zone=organization.time_zone)
        for survey in surveys
    )
    _say("refreshing planner statistics")
    refresh_statistics()
    seconds = time.perf_counter() - started
    _say(f"loaded {written:,} responses in {seconds:,.0f} s ({written / seconds:,.0f}/s)")
    return LoadResult(organization, tuple(surveys), False, seconds, written / seconds)
