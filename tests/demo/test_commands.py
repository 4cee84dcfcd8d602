import json
import signal
import socket
import sys
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django_tasks import task

from cxloop.demo.management.commands import demo as demo_command
from cxloop.demo.services import DEMO_EMAIL, DEMO_ORGANIZATION_SLUG
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
TASKS_RUN: list[str] = []


@task()
def remember(word: str) -> None:
    TASKS_RUN.append(word)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


class FakeWorker:
    """Stands in for the worker process: records how it was started and stopped."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.args = args
        self.env = env
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        self.returncode = -signal.SIGTERM

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode

    def kill(self) -> None:
        self.returncode = -signal.SIGKILL


@dataclass
class FakeServing:
    """What `cxloop demo` started: fake workers, and runserver calls ended by `stop_with`."""

    workers: list[FakeWorker] = field(default_factory=list)
    runserver_calls: list[tuple[tuple[Any, ...], Any]] = field(default_factory=list)
    stop_with: str = "ctrl-c"


@pytest.fixture
def serving(monkeypatch: pytest.MonkeyPatch) -> FakeServing:
    fake = FakeServing()
    real_call_command = demo_command.call_command

    def start_worker(args: list[str], env: dict[str, str]) -> FakeWorker:
        worker = FakeWorker(args, env)
        fake.workers.append(worker)
        return worker

    def call_command_but_fake_runserver(name: str, *args: Any, **options: Any) -> None:
        if name != "runserver":
            real_call_command(name, *args, **options)
            return
        fake.runserver_calls.append((args, options.get("use_reloader")))
        assert all(worker.poll() is None for worker in fake.workers)  # they run alongside
        # Like runserver: Ctrl-C (KeyboardInterrupt) ends it with sys.exit(0).
        try:
            if fake.stop_with == "sigterm":
                signal.raise_signal(signal.SIGTERM)
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise SystemExit(0) from None

    monkeypatch.setattr(demo_command, "call_command", call_command_but_fake_runserver)
    monkeypatch.setattr(demo_command.subprocess, "Popen", start_worker)
    return fake


def test_demo_no_serve_migrates_loads_and_prints_the_login(db: None, var_dir: Path) -> None:
    out = StringIO()

    call_command("demo", "--no-serve", "--port", "8123", stdout=out)

    output = out.getvalue()
    password = json.loads((var_dir / "demo-login.json").read_text())["password"]
    assert "http://127.0.0.1:8123/accounts/login/" in output
    assert DEMO_EMAIL in output
    assert password in output
    assert "created" in output
    assert Response.objects.filter(organization__slug=DEMO_ORGANIZATION_SLUG).count() >= 5000


def test_running_the_demo_again_reuses_the_data_and_the_password(db: None, var_dir: Path) -> None:
    call_command("demo", "--no-serve", stdout=StringIO())
    password = json.loads((var_dir / "demo-login.json").read_text())["password"]
    responses = Response.objects.count()
    out = StringIO()

    call_command("demo", "--no-serve", stdout=out)

    assert "already loaded" in out.getvalue()
    assert password in out.getvalue()
    assert Response.objects.count() == responses
    assert Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).count() == 1


def test_the_port_comes_from_the_environment_by_default(
    db: None, var_dir: Path, settings: Any
) -> None:
    settings.PORT = 8765  # what PORT=8765 in the environment sets
    out = StringIO()

    call_command("demo", "--no-serve", stdout=out)

    assert "http://127.0.0.1:8765/accounts/login/" in out.getvalue()


@pytest.mark.parametrize("addrport", ["localhost:80x", "nonsense", "127.0.0.1:70000"])
def test_a_bad_address_is_refused_before_anything_happens(
    db: None, var_dir: Path, addrport: str
) -> None:
    with pytest.raises(CommandError, match=r"addrport|port"):
        call_command("demo", "--no-serve", "--addrport", addrport, stdout=StringIO())

    assert not Organization.objects.filter(slug=DEMO_ORGANIZATION_SLUG).exists()


def test_serving_starts_the_worker_then_the_server_and_stops_the_worker_on_ctrl_c(
    db: None, var_dir: Path, settings: Any, serving: FakeServing
) -> None:
    settings.TASKS = DATABASE_TASKS
    port = _free_port()
    previous_handlers = [signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)]

    with pytest.raises(SystemExit):
        call_command("demo", "--port", str(port), stdout=StringIO())

    assert serving.runserver_calls == [((f"127.0.0.1:{port}",), False)]
    [worker] = serving.workers
    assert worker.args == [sys.executable, "-m", "cxloop", "worker"]
    assert worker.env["DJANGO_SETTINGS_MODULE"] == settings.SETTINGS_MODULE
    assert worker.returncode == -signal.SIGTERM
    assert [signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)] == previous_handlers


def test_sigterm_stops_the_server_and_the_worker(
    db: None, var_dir: Path, settings: Any, serving: FakeServing, request: pytest.FixtureRequest
) -> None:
    settings.TASKS = DATABASE_TASKS
    serving.stop_with = "sigterm"

    def unhandled_sigterm(signum: int, frame: Any) -> None:
        raise AssertionError("cxloop demo did not handle SIGTERM")

    previous_sigterm = signal.signal(signal.SIGTERM, unhandled_sigterm)
    request.addfinalizer(lambda: signal.signal(signal.SIGTERM, previous_sigterm))

    with pytest.raises(SystemExit):
        call_command("demo", "--addrport", f"0.0.0.0:{_free_port()}", stdout=StringIO())

    [worker] = serving.workers
    assert worker.returncode == -signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) == unhandled_sigterm


def test_without_database_tasks_the_server_runs_without_a_worker(
    db: None, var_dir: Path, serving: FakeServing
) -> None:
    out = StringIO()  # the test settings run tasks immediately, in the web process

    with pytest.raises(SystemExit):
        call_command("demo", "--port", str(_free_port()), stdout=out)

    assert len(serving.runserver_calls) == 1
    assert serving.workers == []
    assert "worker" in out.getvalue()


def test_a_port_in_use_is_reported_and_no_worker_is_started(
    db: None, var_dir: Path, settings: Any, serving: FakeServing
) -> None:
    settings.TASKS = DATABASE_TASKS
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        with pytest.raises(CommandError, match=f"Port {port} is already in use"):
            call_command("demo", "--port", str(port), stdout=StringIO())

    assert serving.workers == []
    assert serving.runserver_calls == []


def test_worker_runs_the_queued_tasks(transactional_db: None, settings: Any) -> None:
    # The worker closes database connections between tasks, which a test transaction forbids.
    settings.TASKS = DATABASE_TASKS
    TASKS_RUN.clear()
    remember.enqueue("espresso")
    remember.enqueue("latte")

    call_command("worker", "--batch", "--interval", "0", stdout=StringIO())

    assert sorted(TASKS_RUN) == ["espresso", "latte"]


def test_worker_refuses_a_backend_that_is_not_the_database(db: None) -> None:
    with pytest.raises(CommandError, match="not django-tasks-db"):
        call_command("worker", "--batch", stdout=StringIO())


@pytest.mark.parametrize("option", [["--max-tasks", "0"], ["--interval", "-1"]])
def test_worker_refuses_bad_options(db: None, settings: Any, option: list[str]) -> None:
    settings.TASKS = DATABASE_TASKS

    with pytest.raises(CommandError):
        call_command("worker", "--batch", *option, stdout=StringIO())
