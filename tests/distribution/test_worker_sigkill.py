"""A worker killed with SIGKILL in the middle of a batch, then restarted: every contact gets
exactly one invitation e-mail.

Runs the real `cxloop worker` processes against a SQLite file of their own (the test database
of pytest-django lives in memory, out of reach of other processes), with the SMTP server in
this process. The one message a worker may have handed over just before it died, without
having recorded it, is sent again with the same Message-ID (see distribution/sending.py): so
the count asserted is of distinct Message-IDs per recipient, and at most one message of the
whole run may arrive twice.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from cxloop.bench.smtp_sink import SinkHandler, smtp_sink

INVITATIONS = 300
CHUNK = 50  # invitations per send task


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def sent_in_database(database: Path) -> int:
    with sqlite3.connect(database, timeout=10) as db:
        row = db.execute(
            "select count(*) from distribution_invitation where status = 'sent'"
        ).fetchone()
    return int(row[0])


def test_a_worker_killed_mid_batch_and_restarted_sends_every_invitation_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "sigkill.sqlite3"
    with smtp_sink(keep_content=False) as (sink, port):
        sink.delay = 0.01  # 300 messages take a few seconds: time to kill in the middle
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CXLOOP_")},
            "DJANGO_SETTINGS_MODULE": "cxloop.settings",
            "DATABASE_URL": f"sqlite:///{database}",
            "CXLOOP_VAR_DIR": str(tmp_path),
            "CXLOOP_EMAIL_URL": f"smtp://127.0.0.1:{port}?timeout=5",
            # A dead worker's claims lapse after 3 s and the scheduler ticks twice a second,
            # so the test does not wait for production timings.
            "CXLOOP_SEND_CLAIM_TIMEOUT": "3",
            "CXLOOP_SEND_RETRY_BASE_SECONDS": "1",
            "CXLOOP_SCHEDULER_INTERVAL": "0.5",
            "CXLOOP_LOG_LEVEL": "WARNING",
        }
        prepare = subprocess.run(  # noqa: S603 (this interpreter, our own module)
            [sys.executable, "-c", "from cxloop.bench.send import cli; cli()",
             "--n", str(INVITATIONS), "--chunk", str(CHUNK), "--prepare-only"],
            env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert prepare.returncode == 0, prepare.stderr[-3000:]
        worker_command = [sys.executable, "-m", "cxloop", "worker", "--interval", "0.1"]

        first = subprocess.Popen(worker_command, env=env)  # noqa: S603
        try:
            wait_for(lambda: sink.count >= 60, timeout=120, what="the first messages")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        at_kill = sink.count
        assert at_kill < INVITATIONS, "the worker finished before it could be killed"

        # Two workers, so two schedulers, take over together.
        restarted = [subprocess.Popen(worker_command, env=env) for _ in range(2)]  # noqa: S603
        try:
            wait_for(
                lambda: sent_in_database(database) == INVITATIONS,
                timeout=180,
                what="every invitation to be sent",
            )
            time.sleep(1.5)  # anything sent twice would arrive by now
        finally:
            for worker in restarted:
                worker.terminate()
            for worker in restarted:
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
        received = list(sink.received)

    assert_exactly_one_invitation_each(received, sink)


def assert_exactly_one_invitation_each(received: list, sink: SinkHandler) -> None:  # type: ignore[type-arg]
    message_ids: dict[str, set[str]] = defaultdict(set)
    per_recipient: Counter[str] = Counter()
    for item in received:
        [recipient] = item.recipients
        message_ids[recipient].add(item.message_id)
        per_recipient[recipient] += 1
    assert len(message_ids) == INVITATIONS
    assert all(len(ids) == 1 for ids in message_ids.values())
    duplicates = sum(count - 1 for count in per_recipient.values())
    assert duplicates <= 1, per_recipient.most_common(3)
