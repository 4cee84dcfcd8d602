"""Keeping rollups equal to the raw responses: record, erase, rebuild.

`rollup_record` runs inside the transaction that stores (sign=+1) or erases (sign=-1) a
response, as one multi-row upsert per table, so derived data cannot drift. `rollups_rebuild`
recomputes a survey's rollups from scratch (bulk loads, a changed time zone or dimensions).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Q

from cxloop.analytics.metrics import nps_category
from cxloop.analytics.models import (
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    MAX_DIMENSIONS,
    CellCombination,
    CellRollup,
    Grain,
    MarginalRollup,
    ReasonRollup,
    RollupState,
)
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey

ALL = ""  # the dimension and value of the "all responses" marginal rows
LANGUAGE = "language"
# The language of combinations that count every language and comment state together: the
# rows a combined attribute filter reads unless it also filters (or groups) by language or
# comments. Never a survey language, so never confused with a real one.
ANY_LANGUAGE = "*"
REBUILD_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class RollupFacts:
    """What one response contributes, read from its stored columns."""

    submitted_at: datetime
    language: str
    attributes: Mapping[str, str]
    nps: int | None
    csat: int | None
    ces: int | None
    has_comment: bool
    nps_plus: Mapping[str, Mapping[str, Any]]  # question key → NPS+ answer

    @classmethod
    def of(cls, response: Response, nps_plus_keys: Sequence[str]) -> "RollupFacts":
        return cls.from_values(
            response.submitted_at,
            response.language,
            response.attributes,
            response.nps_score,
            response.csat_score,
            response.ces_score,
            response.comment,
            response.answers,
            nps_plus_keys,
        )

    @classmethod
    def from_values(
        cls,
        submitted_at: datetime,
        language: str,
        attributes: Mapping[str, Any],
        nps: int | None,
        csat: int | None,
        ces: int | None,
        comment: str,
        answers: Mapping[str, Any],
        nps_plus_keys: Sequence[str],
    ) -> "RollupFacts":
        plus = {
            key: answers[key]
            for key in nps_plus_keys
            if isinstance(answers.get(key), Mapping) and answers[key].get("score") is not None
        }
        return cls(
            submitted_at=submitted_at,
            language=language,
            attributes=attributes or {},
            nps=nps,
            csat=csat,
            ces=ces,
            has_comment=bool(comment),
            nps_plus=plus,
        )


# A row's counts in COUNT_COLUMNS order: lists, because the bulk loads add millions of them.
Counts = list[int]
Tables = tuple[
    dict[tuple[Any, ...], Counts], dict[tuple[Any, ...], Counts], dict[tuple[Any, ...], int]
]
COLUMN_INDEX = {column: index for index, column in enumerate(COUNT_COLUMNS)}
WIDTH = len(COUNT_COLUMNS)


def _deltas(facts: RollupFacts, sign: int) -> list[tuple[int, int]]:
    """(column index, change) for each count one response changes."""
    deltas = [(COLUMN_INDEX["n"], sign)]
    if facts.has_comment:
        deltas.append((COLUMN_INDEX["comments"], sign))
    if facts.nps is not None:
        deltas.append((COLUMN_INDEX[f"nps_{facts.nps}"], sign))
    if facts.csat is not None:
        deltas.append((COLUMN_INDEX[f"csat_{facts.csat}"], sign))
    if facts.ces is not None:
        deltas.append((COLUMN_INDEX[f"ces_{facts.ces}"], sign))
    return deltas


def _add(
    target: dict[tuple[Any, ...], Counts], key: tuple[Any, ...], deltas: list[tuple[int, int]]
) -> None:
    row = target.get(key)
    if row is None:
        row = target[key] = [0] * WIDTH
    for index, delta in deltas:
        row[index] += delta


def accumulate(
    tables: Tables,
    facts: RollupFacts,
    *,
    survey_id: int,
    dimensions: Sequence[str],
    time_zone: ZoneInfo,
    sign: int = 1,
) -> None:
    """Add one response's contribution to in-memory rollup rows (keyed like the tables)."""
    marginal, cells, reasons = tables
    day = facts.submitted_at.astimezone(time_zone).date()
    periods = ((Grain.DAY.value, day), (Grain.MONTH.value, day.replace(day=1)))
    counts = _deltas(facts, sign)
    slices = [(ALL, ALL), (LANGUAGE, facts.language)]
    slices += [(d, facts.attributes[d]) for d in dimensions if facts.attributes.get(d)]
    dimension_values = tuple(str(facts.attributes.get(d, "")) for d in dimensions)
    dimension_values += ("",) * (MAX_DIMENSIONS - len(dimension_values))
    for grain, period in periods:
        for dimension, value in slices:
            _add(marginal, (survey_id, dimension, grain, period, value), counts)
        cell_key = (survey_id, grain, period, facts.language, facts.has_comment, *dimension_values)
        _add(cells, cell_key, counts)
        any_key = (survey_id, grain, period, ANY_LANGUAGE, False, *dimension_values)
        _add(cells, any_key, counts)
        for question_key, answer in facts.nps_plus.items():
            category = nps_category(int(answer["score"]))
            ticked = [ALL, *answer.get("reasons", [])]
            for dimension, value in slices:
                for reason in ticked:
                    key = (
                        survey_id,
                        question_key,
                        dimension,
                        grain,
                        period,
                        value,
                        category,
                        reason,
                    )
                    reasons[key] = reasons.get(key, 0) + sign


def _upsert(
    table: str,
    key_columns: Sequence[str],
    count_columns: Sequence[str],
    rows: Iterable[tuple[tuple[Any, ...], Sequence[int]]],
) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the counts (SQLite ≥ 3.24 and PostgreSQL)."""
    rows = list(rows)
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [*key_columns, *count_columns]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    updates = ", ".join(
        f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in count_columns
    )
    # Identifiers come from this module's constants and are quoted; values are parameters.
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * len(rows))} "
        f"ON CONFLICT ({', '.join(quote(c) for c in key_columns)}) DO UPDATE SET {updates}"
    )
    params: list[Any] = []
    for key, counts in rows:
        params.extend(key)
        params.extend(counts)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


MARGINAL_KEY = ("survey_id", "dimension", "grain", "period", "value")
# In memory a cell is keyed by its period and combination; stored, the combination has its
# own row (COMBINATION_KEY) and the counts row points at it.
CELL_KEY = ("survey_id", "grain", "period", "language", "has_comment", *DIMENSION_COLUMNS)
COMBINATION_KEY = ("survey_id", "language", "has_comment", *DIMENSION_COLUMNS)
CELL_COUNTS_KEY = ("combination_id", "grain", "period")
REASON_KEY = (
    "survey_id", "question_key", "dimension", "grain", "period", "value", "category", "reason",
)  # fmt: skip


def combination_of(cell_key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The COMBINATION_KEY part of a CELL_KEY."""
    return (cell_key[0], *cell_key[3:])


def combination_ids(combinations: Iterable[tuple[Any, ...]]) -> dict[tuple[Any, ...], int]:
    """The ids of combinations' rows, in one query for those that exist; new ones are created."""
    wanted = set(combinations)
    if not wanted:
        return {}
    matching = Q()
    for combination in wanted:
        matching |= Q(**dict(zip(COMBINATION_KEY, combination, strict=True)))
    ids = {
        tuple(row[:-1]): row[-1]
        for row in CellCombination.objects.filter(matching).values_list(*COMBINATION_KEY, "pk")
    }
    for combination in wanted - set(ids):
        ids[combination] = combination_created(combination)
    return ids


def combination_created(combination: tuple[Any, ...]) -> int:
    """The id of a new combination's row (safe against a racing submit creating it too)."""
    fields = dict(zip(COMBINATION_KEY, combination, strict=True))
    quote = connection.ops.quote_name
    table = quote(CellCombination._meta.db_table)
    columns = ", ".join(quote(c) for c in COMBINATION_KEY)
    marks = ", ".join(["%s"] * len(COMBINATION_KEY))
    # The new row's id comes back with the insert where the database can say it; only a
    # racing submit that inserted it first leaves us to read it back.
    returning = " RETURNING id" if connection.features.can_return_columns_from_insert else ""
    with connection.cursor() as cursor:
        # Identifiers are this module's constants, quoted; values are parameters.
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks}) "  # noqa: S608
            f"ON CONFLICT ({columns}) DO NOTHING{returning}",
            list(combination),
        )
        inserted = cursor.fetchone() if returning else None
    if inserted is not None:
        return int(inserted[0])
    return CellCombination.objects.filter(**fields).values_list("pk", flat=True).get()


def write_tables(tables: Tables) -> None:
    marginal, cells, reasons = tables
    _upsert(MarginalRollup._meta.db_table, MARGINAL_KEY, COUNT_COLUMNS, marginal.items())
    ids = combination_ids(combination_of(key) for key in cells)
    cell_rows = [
        ((ids[combination_of(key)], key[1], key[2]), counts) for key, counts in cells.items()
    ]
    _upsert(CellRollup._meta.db_table, CELL_COUNTS_KEY, COUNT_COLUMNS, cell_rows)
    _upsert(
        ReasonRollup._meta.db_table,
        REASON_KEY,
        ("count",),
        ((key, (count,)) for key, count in reasons.items()),
    )


def empty_tables() -> Tables:
    return {}, {}, {}


def nps_plus_keys(survey: Survey) -> list[str]:
    return [q.key for q in survey.questions.all() if q.type == "nps_plus"]


def rollup_record(
    *,
    response: Response,
    organization: Organization,
    nps_plus_question_keys: Sequence[str],
    sign: int = 1,
) -> None:
    """Count (sign=+1) or uncount (sign=-1) a response; call inside its transaction."""
    state = RollupState.objects.filter(survey_id=response.survey_id).first()
    if state is None or not rollups_current(state, organization):
        return  # rollups are being rebuilt or stale: queries use the raw scan meanwhile
    tables = empty_tables()
    accumulate(
        tables,
        RollupFacts.of(response, nps_plus_question_keys),
        survey_id=response.survey_id,
        dimensions=state.dimensions,
        time_zone=ZoneInfo(state.time_zone),
        sign=sign,
    )
    write_tables(tables)


def rollups_start(*, survey: Survey, organization: Organization) -> RollupState:
    """A new survey has no responses, so empty rollups are already current."""
    state, _created = RollupState.objects.get_or_create(
        survey_id=survey.pk,
        defaults={
            "dimensions": list(organization.analysis_dimensions)[:MAX_DIMENSIONS],
            "time_zone": organization.time_zone,
        },
    )
    return state


def rollups_current(state: RollupState, organization: Organization) -> bool:
    return (
        state.time_zone == organization.time_zone
        and list(state.dimensions) == list(organization.analysis_dimensions)[:MAX_DIMENSIONS]
    )


@transaction.atomic
def rollups_rebuild(*, survey: Survey) -> RollupState:
    """Recompute a survey's rollups from its responses (idempotent, safe to re-run)."""
    organization = Organization.objects.get(pk=survey.organization_id)
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    dimensions = list(organization.analysis_dimensions)[:MAX_DIMENSIONS]
    time_zone = ZoneInfo(organization.time_zone)
    keys = nps_plus_keys(locked)
    MarginalRollup.objects.filter(survey_id=locked.pk).delete()
    CellRollup.objects.filter(combination__survey_id=locked.pk).delete()
    CellCombination.objects.filter(survey_id=locked.pk).delete()
    ReasonRollup.objects.filter(survey_id=locked.pk).delete()
    tables = empty_tables()
    rows = (
        Response.objects.filter(survey_id=locked.pk)
        .values_list(
            "submitted_at",
            "language",
            "attributes",
            "nps_score",
            "csat_score",
            "ces_score",
            "comment",
            "answers",
        )
        .order_by()
        .iterator(chunk_size=REBUILD_CHUNK)
    )
    for values in rows:
        accumulate(
            tables,
            RollupFacts.from_values(*values, nps_plus_keys=keys),
            survey_id=locked.pk,
            dimensions=dimensions,
            time_zone=time_zone,
        )
    insert_tables(tables)
    state, _created = RollupState.objects.update_or_create(
        survey_id=locked.pk,
        defaults={"dimensions": dimensions, "time_zone": organization.time_zone},
    )
    return state


def insert_tables(tables: Tables, *, batch: int = 2000) -> None:
    """Plain bulk insert into empty rollups (rebuilds and benchmark loads)."""
    marginal, cells, reasons = tables
    MarginalRollup.objects.bulk_create(
        (
            MarginalRollup(
                **dict(zip(MARGINAL_KEY, key, strict=True)),
                **dict(zip(COUNT_COLUMNS, counts, strict=True)),
            )
            for key, counts in marginal.items()
        ),
        batch_size=batch,
    )
    combinations = {combination_of(key) for key in cells}
    created = CellCombination.objects.bulk_create(
        (CellCombination(**dict(zip(COMBINATION_KEY, c, strict=True))) for c in combinations),
        batch_size=batch,
    )
    ids = {tuple(getattr(row, column) for column in COMBINATION_KEY): row.pk for row in created}
    CellRollup.objects.bulk_create(
        (
            CellRollup(
                combination_id=ids[combination_of(key)],
                grain=key[1],
                period=key[2],
                **dict(zip(COUNT_COLUMNS, counts, strict=True)),
            )
            for key, counts in cells.items()
        ),
        batch_size=batch,
    )
    ReasonRollup.objects.bulk_create(
        (
            ReasonRollup(**dict(zip(REASON_KEY, key, strict=True)), count=count)
            for key, count in reasons.items()
        ),
        batch_size=batch,
    )
