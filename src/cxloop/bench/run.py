"""`make bench N=<responses>`: time the dashboard queries on N synthetic responses.

    python -c 'from cxloop.bench import cli; cli()' --responses 1000000

Loads (or reuses) the bench organization, then times each dashboard query through the
selectors the views use (rollups) and through the plain GROUP BY scan of the raw answers,
then single-response submits through the API while rollups are maintained, and how soon a
submit shows on the dashboard. Prints a table, then one JSON object as the last line.
"""

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

from django.db import connection

from cxloop.analytics.engine import metric_histograms
from cxloop.analytics.reasons import _rollup_counts, _scan_counts, nps_plus_questions
from cxloop.analytics.selectors import (
    dashboard_query,
    metric_report,
    nps_plus_reasons,
    organization_today,
)
from cxloop.bench.generate import (
    CHANNEL_NAMES,
    MAIN_SURVEY,
    PRODUCTS,
    STORES,
    LoadResult,
    backend_name,
    draw_answers,
    load,
)
from cxloop.organizations.models import Organization
from cxloop.organizations.services import api_key_create, api_key_revoke
from cxloop.responses.services import response_delete
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition

DEFAULT_RESPONSES = 10_000_000
WARMUP_RUNS = 2
# A scan slower than this per run is repeated fewer times (at least MIN_SCAN_RUNS).
SCAN_BUDGET_SECONDS = 30.0
SLOW_SCAN_SECONDS = 10.0
MIN_SCAN_RUNS = 3
FRESHNESS_LIMIT_SECONDS = 2.0
Params = dict[str, list[str]]


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest sample at or above `share` of them."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarize(seconds: Sequence[float]) -> tuple[float, float]:
    return round(statistics.median(seconds) * 1000, 2), round(percentile(seconds, 0.95) * 1000, 2)


def timed(action: Callable[[], Any], runs: int, *, warmup: int = WARMUP_RUNS) -> list[float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def timed_scan(action: Callable[[], Any], runs: int) -> list[float]:
    """Like `timed`, but a slow scan gets fewer runs (its first run is the warm-up)."""
    started = time.perf_counter()
    action()
    first = time.perf_counter() - started
    if first > SLOW_SCAN_SECONDS:
        runs = MIN_SCAN_RUNS
    elif first * runs > SCAN_BUDGET_SECONDS:
        runs = max(MIN_SCAN_RUNS, int(SCAN_BUDGET_SECONDS / first))
    warmup = 0 if first > 1.0 else WARMUP_RUNS - 1
    return timed(action, runs, warmup=warmup)


def dashboard_params(today: date, *, product: str, channel: str) -> dict[str, Params]:
    """The dashboard views' query strings, as `request.GET.lists()` gives them."""
    year = {"from": [(today - timedelta(days=364)).isoformat()], "to": [today.isoformat()]}
    return {
        "headline": {"metric": ["nps"], "compare": ["previous"]},
        "trend_52w": {
            "metric": ["nps"],
            "interval": ["week"],
            "from": [(today - timedelta(days=363)).isoformat()],
            "to": [today.isoformat()],
        },
        "by_store": {"metric": ["nps"], "group_by": ["store"], **year},
        "by_store_filtered": {
            "metric": ["nps"],
            "group_by": ["store"],
            "attr.product": [product],
            "attr.channel": [channel],
            **year,
        },
        "nps_plus_reasons": {"compare": ["previous"], **year},
    }


@dataclass(frozen=True, slots=True)
class QueryTiming:
    name: str
    source: str
    samples: list[float]
    scan_samples: list[float]
    matches_scan: bool

    def as_json(self) -> dict[str, Any]:
        p50, p95 = summarize(self.samples)
        scan_p50, scan_p95 = summarize(self.scan_samples)
        return {
            "p50_ms": p50,
            "p95_ms": p95,
            "scan_p50_ms": scan_p50,
            "scan_p95_ms": scan_p95,
            "ratio_p50": round(scan_p50 / p50, 1) if p50 else None,
            "runs": len(self.samples),
            "scan_runs": len(self.scan_samples),
            "source": self.source,
            "matches_scan": self.matches_scan,
        }


def time_queries(
    organization: Organization, survey: Survey, *, runs: int, today: date
) -> list[QueryTiming]:
    # A mid-sized product and the second channel: a typical drill-down, neither tiny nor huge.
    params = dashboard_params(today, product=PRODUCTS[3].name, channel=CHANNEL_NAMES[1])
    timings = []
    for name, query_params in params.items():
        _say(f"timing {name}")
        if name == "nps_plus_reasons":
            reasons = _time_reasons(organization, survey, query_params, runs=runs, today=today)
            timings.append(reasons)
            continue

        def report(query_params: Params = query_params) -> Any:
            return metric_report(
                organization=organization, params=query_params, survey_id=survey.pk, today=today
            )

        def scan(query_params: Params = query_params) -> Any:
            query, _surveys = dashboard_query(
                organization=organization, params=query_params, survey_id=survey.pk, today=today
            )
            return metric_histograms(query, organization=organization, allow_rollups=False)[0]

        query, _surveys = dashboard_query(
            organization=organization, params=query_params, survey_id=survey.pk, today=today
        )
        from_rollups, source = metric_histograms(query, organization=organization)
        samples = timed(report, runs)
        scan_samples = timed_scan(scan, runs)
        timings.append(QueryTiming(name, source, samples, scan_samples, from_rollups == scan()))
    return timings


def _time_reasons(
    organization: Organization, survey: Survey, params: Params, *, runs: int, today: date
) -> QueryTiming:
    query, surveys = dashboard_query(
        organization=organization,
        params={**params, "metric": ["nps"]},
        survey_id=survey.pk,
        today=today,
    )
    keys = {survey_id: key for survey_id, (key, _texts) in nps_plus_questions(surveys).items()}
    earlier = query.previous()

    def report() -> Any:
        return nps_plus_reasons(
            organization=organization, params=params, survey_id=survey.pk, today=today
        )

    def scan() -> Any:
        # What the reasons selector falls back to without rollups, for both periods.
        current = _scan_counts(query, keys, organization, query.date_from, query.date_to)
        previous = _scan_counts(query, keys, organization, earlier.date_from, earlier.date_to)
        return current, previous

    source = report().source
    samples = timed(report, runs)
    scan_samples = timed_scan(scan, runs)
    from_rollups = (
        _rollup_counts(query, keys, query.date_from, query.date_to),
        _rollup_counts(query, keys, earlier.date_from, earlier.date_to),
    )
    matches = from_rollups == scan()
    return QueryTiming("nps_plus_reasons", source, samples, scan_samples, matches)


# --- submits -------------------------------------------------------------------------------


def submit_payload(rng: Random, survey: Survey) -> dict[str, Any]:
    questions = survey_definition(survey).questions
    store = rng.choice(STORES)
    product = rng.choice(PRODUCTS)
    language = "zh-Hant" if store.traditional else "zh-Hans"
    return {
        "answers": draw_answers(rng, questions, store.quality, language),
        "language": language,
        "attributes": {
            "store": store.name,
            "region": store.region,
            "city": store.city,
            "product": product.name,
            "channel": rng.choice(CHANNEL_NAMES),
            "business_unit": product.business_unit,
        },
    }


@dataclass(frozen=True, slots=True)
class SubmitTiming:
    samples: list[float]
    freshness_seconds: float
    fresh: bool


def time_submits(organization: Organization, survey: Survey, *, submits: int) -> SubmitTiming:
    """POST /api/v1/surveys/{id}/responses as a client would; the responses are erased after."""
    from django.test import Client  # only the benchmark drives requests in-process

    api_key, raw_key = api_key_create(organization=organization, name="bench")
    client = Client(HTTP_HOST="localhost")
    headers = {"Authorization": f"Bearer {raw_key}"}
    path = f"/api/v1/surveys/{survey.pk}/responses"
    rng = Random(7)  # noqa: S311 - reproducible answers, not a secret
    created: list[int] = []

    def submit() -> None:
        payload = json.dumps(submit_payload(rng, survey))
        answer = client.post(path, payload, content_type="application/json", headers=headers)
        if answer.status_code != 201:
            raise RuntimeError(f"submit failed: {answer.status_code} {answer.content[:300]!r}")
        created.append(answer.json()["id"])

    try:
        _say(f"timing {submits} submits")
        samples = timed(submit, submits)
        freshness, fresh = _freshness(organization, survey, submit)
    finally:
        for response_id in created:
            response_delete(organization=organization, response_id=response_id)
        api_key_revoke(api_key=api_key)
    return SubmitTiming(samples, freshness, fresh)


def _freshness(
    organization: Organization, survey: Survey, submit: Callable[[], None]
) -> tuple[float, bool]:
    """Seconds from a submit to a dashboard read of today that counts it."""
    today = organization_today(organization)
    params = {"metric": ["nps"], "from": [today.isoformat()], "to": [today.isoformat()]}

    def answers_today() -> int:
        report = metric_report(
            organization=organization, params=params, survey_id=survey.pk, today=today
        )
        return report.overall.n

    before = answers_today()
    started = time.perf_counter()
    submit()
    while True:
        seen = answers_today()
        elapsed = time.perf_counter() - started
        if seen == before + 1 or elapsed > FRESHNESS_LIMIT_SECONDS:
            return elapsed, seen == before + 1
        time.sleep(0.01)


# --- the machine ---------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def database_version() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT version()")
            return str(cursor.fetchone()[0]).split(" on ")[0]
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def machine_description() -> str:
    memory = _memory_gb()
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, "
        f"{f'{memory} GB RAM' if memory is not None else 'RAM unknown'}, "
        f"Python {platform.python_version()}, {database_version()}"
    )


def database_size_mb() -> float | None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return round(int(cursor.fetchone()[0]) / 1024 / 1024, 1)
    name = str(connection.settings_dict["NAME"])
    files = [Path(name), Path(f"{name}-wal")]
    if not files[0].is_file():
        return None  # an in-memory test database
    return round(sum(f.stat().st_size for f in files if f.is_file()) / 1024 / 1024, 1)


# --- the whole run -------------------------------------------------------------------------


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def benchmark(loaded: LoadResult, *, responses: int, runs: int, submits: int) -> dict[str, Any]:
    organization = loaded.organization
    survey = loaded.surveys[MAIN_SURVEY]
    today = organization_today(organization)
    # Other work on the machine skews the timings: say how busy it was.
    load_before = round(os.getloadavg()[0], 2)
    timings = time_queries(organization, survey, runs=runs, today=today)
    for timing in timings:
        _say(f"{timing.name}: {json.dumps(timing.as_json())}")
    submit: dict[str, Any]
    try:
        submit_timing = time_submits(organization, survey, submits=submits)
    except Exception as error:  # the query timings are still worth printing
        _say(f"submits failed: {error!r}")
        submit = {"p50_ms": None, "p95_ms": None, "error": repr(error)[:300]}
    else:
        submit_p50, submit_p95 = summarize(submit_timing.samples)
        submit = {
            "p50_ms": submit_p50,
            "p95_ms": submit_p95,
            "runs": len(submit_timing.samples),
            "freshness_ms": round(submit_timing.freshness_seconds * 1000, 1),
            "fresh": submit_timing.fresh,
        }
    load_after = round(os.getloadavg()[0], 2)
    return {
        "backend": backend_name(),
        "responses": responses,
        "machine": machine_description(),
        "queries": {timing.name: timing.as_json() for timing in timings},
        "submit": submit,
        "load": {
            "reused": loaded.reused,
            "seconds": round(loaded.seconds, 1),
            "responses_per_s": round(loaded.rows_per_second) if loaded.rows_per_second else None,
        },
        "db_size_mb": database_size_mb(),
        "load_average_1m": {"before": load_before, "after": load_after},
        "survey_id": survey.pk,
    }


def table(result: Mapping[str, Any]) -> str:
    lines = [
        f"{result['backend']}, {result['responses']:,} responses — {result['machine']}",
        f"{'query':<20} {'p50 ms':>9} {'p95 ms':>9} {'scan p50':>10} {'scan p95':>10} "
        f"{'ratio':>7} {'runs':>9}  source",
    ]
    for name, row in result["queries"].items():
        lines.append(
            f"{name:<20} {row['p50_ms']:>9.1f} {row['p95_ms']:>9.1f} {row['scan_p50_ms']:>10.1f} "
            f"{row['scan_p95_ms']:>10.1f} {row['ratio_p50'] or 0:>7.1f} "
            f"{row['runs']:>4}/{row['scan_runs']:<4} {row['source']}"
            f"{'' if row['matches_scan'] else '  MISMATCH'}"
        )
    submit = result["submit"]
    if submit.get("error"):
        lines.append(f"{'submit (API)':<20} failed: {submit['error']}")
    else:
        lines.append(
            f"{'submit (API)':<20} {submit['p50_ms']:>9.1f} {submit['p95_ms']:>9.1f}"
            f"   freshness {submit['freshness_ms']} ms{'' if submit['fresh'] else ' (NOT SEEN)'}"
        )
    load_info = result["load"]
    loaded = "reused" if load_info["reused"] else f"{load_info['seconds']:,} s"
    lines.append(f"load: {loaded}, database {result['db_size_mb']} MB")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="cxloop.bench.run", description=__doc__)
    parser.add_argument("--responses", "-n", type=int, default=DEFAULT_RESPONSES)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per query (≥ 20)")
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="drawing processes"
    )
    parser.add_argument("--fresh", action="store_true", help="reload even if a load exists")
    parser.add_argument("--no-migrate", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the benchmark (Django must be set up); print the table and the JSON line."""
    from django.core.management import call_command

    args = parse_args(argv)
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=0)
    loaded = load(responses=args.responses, workers=args.workers, fresh=args.fresh)
    result = benchmark(loaded, responses=args.responses, runs=args.runs, submits=args.submits)
    print(table(result))
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return result
