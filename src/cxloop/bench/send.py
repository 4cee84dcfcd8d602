"""`make bench-send N=…`: send N personalized invitation e-mails to a local SMTP sink.

N contacts and their e-mail invitations are written in bulk into the configured database
(its own SQLite file by default), their send tasks are queued, then worker processes
(`cxloop worker --batch`, 2 by default) send them through the real pipeline to an aiosmtpd
server running in its own process. Prints throughput, wall time and the peak memory of every
process, then one JSON line.

`cli()` is the entry point (`python -c 'from cxloop.bench.send import cli; cli()' --n N`);
`--prepare-only` only writes the invitations and queues their tasks (the SIGKILL test uses
it to build its database).
"""

import argparse
import json
import multiprocessing
import os
import resource
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.sharedctypes import Synchronized
from typing import Any

CONTACT_BATCH = 5000
TASK_CHUNK = 500
SHORT_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def cli(argv: Sequence[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxloop.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # DEBUG keeps every SQL statement in memory
    main(argv)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="invitations to send")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--chunk", type=int, default=TASK_CHUNK, help="invitations per task")
    parser.add_argument("--prepare-only", action="store_true", help="write and queue, send nothing")
    parser.add_argument("--timeout", type=float, default=3600, help="give up after (s)")
    args = parser.parse_args(argv)
    if args.n < 1 or args.workers < 1 or args.chunk < 1:
        parser.error("--n, --workers and --chunk must be at least 1")
    return args


def _short_codes(count: int, taken: set[str]) -> list[str]:
    codes: list[str] = []
    while len(codes) < count:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def prepare(*, n: int, chunk: int) -> int:
    """Write N contacts and queued e-mail invitations, queue their send tasks; the org id."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from cxloop.contacts.models import Contact
    from cxloop.distribution.models import ContactPolicy, Invitation
    from cxloop.distribution.tasks import send_invitations
    from cxloop.organizations.services import organization_create
    from cxloop.surveys.services import survey_create, survey_publish
    from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

    call_command("migrate", interactive=False, verbosity=0)
    stamp = f"{int(time.time())}-{secrets.token_hex(3)}"
    owner, _ = get_user_model().objects.get_or_create(
        username=f"bench-send-{stamp}", defaults={"email": f"bench-send-{stamp}@example.com"}
    )
    organization = organization_create(
        name="Bench send", owner=owner, slug=f"bench-send-{stamp}", time_zone="UTC"
    )
    # No quiet hours: the benchmark may run at any time of day.
    ContactPolicy.objects.create(organization=organization)
    definition = SURVEY_TEMPLATES["transactional_nps_plus"].definition(name="Bench")
    survey = survey_publish(survey=survey_create(organization=organization, definition=definition))
    now = timezone.now()
    codes: set[str] = set(Invitation.objects.values_list("short_code", flat=True))
    for start in range(0, n, CONTACT_BATCH):
        size = min(CONTACT_BATCH, n - start)
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                Contact(
                    organization=organization,
                    external_id=f"b-{start + i}",
                    name=f"顾客 {start + i}",
                    email=f"customer{start + i}@bench.example",
                    language="zh-Hans" if (start + i) % 2 else "en",
                    attributes={"store": f"store-{(start + i) % 200}"},
                )
                for i in range(size)
            )
            invitations = Invitation.objects.bulk_create(
                Invitation(
                    organization=organization,
                    survey=survey,
                    contact=contact,
                    channel="email",
                    batch_key="bench",
                    short_code=code,
                    attributes=contact.attributes,
                    scheduled_at=now,
                    expires_at=now + timedelta(days=30),
                )
                for contact, code in zip(contacts, _short_codes(size, codes), strict=True)
            )
            ids = [invitation.pk for invitation in invitations]
            for offset in range(0, len(ids), chunk):
                send_invitations.enqueue(ids[offset : offset + chunk])
    return organization.pk


def _run_sink(
    port: int,
    counter: "Synchronized[int]",
    peak_kb: "Synchronized[int]",
    cpu_ms: "Synchronized[int]",
    ready: Any,
    stop: Any,
) -> None:
    import logging

    from aiosmtpd.controller import Controller

    # aiosmtpd logs every SMTP command at INFO: that alone would cap the throughput.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    class Counting:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counting(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_kb.value = usage.ru_maxrss
    cpu_ms.value = int((usage.ru_utime + usage.ru_stime) * 1000)


@dataclass(frozen=True)
class ProcessPeak:
    name: str
    peak_rss_mb: float
    exit_code: int
    cpu_seconds: float = 0.0


def _reap(pid: int, name: str, *, block: bool) -> ProcessPeak | None:
    done, status, usage = os.wait4(pid, 0 if block else os.WNOHANG)
    if not done:
        return None
    return ProcessPeak(
        name,
        round(usage.ru_maxrss / 1024, 1),
        os.waitstatus_to_exitcode(status),
        usage.ru_utime + usage.ru_stime,
    )


def _sent_count(organization_id: int) -> int:
    from cxloop.distribution.models import Invitation

    return Invitation.objects.filter(organization_id=organization_id, status="sent").count()


def run(*, n: int, workers: int, chunk: int, timeout: float) -> dict[str, Any]:
    from django.db import connections

    from cxloop.bench.smtp_sink import free_port

    started_prepare = time.monotonic()
    organization_id = prepare(n=n, chunk=chunk)
    prepare_seconds = time.monotonic() - started_prepare
    connections.close_all()

    context = multiprocessing.get_context("fork")
    counter: Synchronized[int] = context.Value("q", 0)
    sink_peak_kb: Synchronized[int] = context.Value("q", 0)
    sink_cpu_ms: Synchronized[int] = context.Value("q", 0)
    ready, stop = context.Event(), context.Event()
    port = free_port()
    sink = context.Process(
        target=_run_sink, args=(port, counter, sink_peak_kb, sink_cpu_ms, ready, stop), daemon=True
    )
    sink.start()
    if not ready.wait(30):
        raise SystemExit("the SMTP sink did not start")

    env = {
        **os.environ,
        "CXLOOP_EMAIL_URL": f"smtp://127.0.0.1:{port}?timeout=10",
        "CXLOOP_LOG_LEVEL": "WARNING",
        # Like production: DEBUG would keep the last 9,000 SQL statements of each worker.
        "CXLOOP_DEBUG": "0",
        "CXLOOP_SECRET_KEY": os.environ.get("CXLOOP_SECRET_KEY") or secrets.token_urlsafe(50),
        "CXLOOP_ALLOWED_HOSTS": "127.0.0.1",
    }
    env.pop("CXLOOP_EMAIL_BACKEND", None)
    command = [
        sys.executable,
        "-m",
        "cxloop",
        "worker",
        "--batch",
        "--interval",
        "0",
        "--no-scheduler",
    ]
    started = time.monotonic()
    processes = [
        subprocess.Popen(command, env=env)  # noqa: S603 (our own CLI)
        for _ in range(workers)
    ]
    # Reaped here with wait4, not Popen.poll, to read each worker's own peak memory.
    running = {p.pid: f"worker {i + 1}" for i, p in enumerate(processes)}
    peaks: dict[str, ProcessPeak] = {}
    first_at: float | None = None
    while counter.value < n and running and time.monotonic() - started < timeout:
        if first_at is None and counter.value:
            first_at = time.monotonic()
        for pid in list(running):
            peak = _reap(pid, running[pid], block=False)
            if peak is not None:
                peaks[peak.name] = peak
                del running[pid]
        time.sleep(0.01)
    finished = time.monotonic()
    for pid, name in running.items():
        peaks[name] = _reap(pid, name, block=True) or ProcessPeak(name, 0.0, -1)
    received = counter.value
    stop.set()
    sink.join(10)
    sink_peak = ProcessPeak(
        "smtp sink",
        round(sink_peak_kb.value / 1024, 1),
        sink.exitcode or 0,
        sink_cpu_ms.value / 1000,
    )
    wall = finished - started
    sending = finished - (first_at or started)
    result: dict[str, Any] = {
        "n": n,
        "workers": workers,
        "received": received,
        "sent_in_database": _sent_count(organization_id),
        "prepare_seconds": round(prepare_seconds, 2),
        "wall_seconds": round(wall, 2),
        "emails_per_second": round(received / wall, 1) if wall else None,
        "emails_per_second_after_first": round(received / sending, 1) if sending else None,
        "peak_rss_mb": {
            peak.name: peak.peak_rss_mb for peak in [*sorted(peaks.values(), key=str), sink_peak]
        },
        # CPU time per e-mail, whatever else the machine runs: workers (including their
        # start-up) and the sink; 1000 / this is what one dedicated core would sustain.
        "cpu_ms_per_email": {
            "workers": round(
                sum(p.cpu_seconds for p in peaks.values()) * 1000 / max(received, 1), 3
            ),
            "smtp sink": round(sink_peak.cpu_seconds * 1000 / max(received, 1), 3),
        },
        "bench_process_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
        ),
        "worker_exit_codes": [peaks[name].exit_code for name in sorted(peaks)],
        "cpus": os.cpu_count(),
    }
    return result


def table(result: dict[str, Any]) -> Iterator[str]:
    yield f"Sent {result['received']:,} of {result['n']:,} e-mails with {result['workers']} workers"
    yield f"  preparation (bulk write + queue): {result['prepare_seconds']} s"
    yield f"  wall time (workers start → last message received): {result['wall_seconds']} s"
    yield f"  throughput: {result['emails_per_second']} e-mails/s "
    yield f"  (from the first message on: {result['emails_per_second_after_first']} e-mails/s)"
    for name, peak in result["peak_rss_mb"].items():
        yield f"  peak RSS {name}: {peak} MB"
    yield f"  peak RSS bench process: {result['bench_process_peak_rss_mb']} MB"
    cpu = result["cpu_ms_per_email"]
    yield f"  CPU per e-mail: workers {cpu['workers']} ms, SMTP sink {cpu['smtp sink']} ms"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    if args.prepare_only:
        organization_id = prepare(n=args.n, chunk=args.chunk)
        print(json.dumps({"organization_id": organization_id, "n": args.n}), flush=True)
        return {"organization_id": organization_id}
    result = run(n=args.n, workers=args.workers, chunk=args.chunk, timeout=args.timeout)
    for line in table(result):
        print(line)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    if result["received"] < args.n:
        raise SystemExit(f"only {result['received']} of {args.n} messages arrived")
    return result
