"""``cxloop demo``: migrate, load the demo organization if it is missing, and serve it.

Without ``--no-serve`` it starts the task worker as a child process and runs the development
server in the foreground; the worker is stopped whenever the server stops (Ctrl-C, SIGTERM
or an error), so no stray worker outlives the demo.
"""

import os
import signal
import socket
import subprocess
import sys
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from cxloop.demo.management.commands.worker import worker_available
from cxloop.demo.services import DemoLoadResult, demo_load

DEFAULT_HOST = "127.0.0.1"
LOGIN_PATH_FALLBACK = "/accounts/login/"
# Hosts that mean "every interface": a browser on this machine reaches them on 127.0.0.1.
WILDCARD_HOSTS = frozenset({"", "0", "0.0.0.0", "::", "[::]"})  # noqa: S104
WORKER_STOP_TIMEOUT = 10  # seconds a worker gets to finish its task before it is killed


def parse_addrport(addrport: str | None, port: int) -> tuple[str, int]:
    """(host, port) from runserver's "[addr:]port" spelling; --port when no addrport given."""
    host = DEFAULT_HOST
    if addrport:
        host, _, port_text = addrport.rpartition(":")
        if not port_text.isdigit():
            raise CommandError(
                f"--addrport must look like 127.0.0.1:8000 or 8000, got {addrport!r}."
            )
        host, port = host or DEFAULT_HOST, int(port_text)
    if not 1 <= port <= 65535:
        raise CommandError(f"The port must be between 1 and 65535, got {port}.")
    return host, port


def browser_host(host: str) -> str:
    return DEFAULT_HOST if host in WILDCARD_HOSTS else host


def port_in_use(host: str, port: int) -> bool:
    try:
        with socket.create_connection((browser_host(host).strip("[]"), port), timeout=0.5):
            return True
    except OSError:
        return False


def login_url(host: str, port: int) -> str:
    try:
        path = reverse(settings.LOGIN_URL)
    except NoReverseMatch:
        path = LOGIN_PATH_FALLBACK
    return f"http://{browser_host(host)}:{port}{path}"


# runserver stops cleanly on KeyboardInterrupt; SIGTERM takes the same way out, and so does
# SIGINT even where it was inherited as ignored (a background job), because the worker
# always stops on it and the server must not outlive the worker.
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stop_worker(worker: "subprocess.Popen[bytes]") -> None:
    if worker.poll() is not None:
        return  # Ctrl-C reached the worker too, and it has already stopped
    worker.terminate()
    try:
        worker.wait(timeout=WORKER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


class Command(BaseCommand):
    help = (
        "Migrate the database, load the demo organization (slug 'demo') if it is missing, "
        "print the demo login, then run the web server and the task worker."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Only migrate and load the demo data, then exit (for scripts).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=settings.PORT,
            help="Port of the web server on 127.0.0.1 (default: $PORT, else 8000).",
        )
        parser.add_argument(
            "--addrport",
            help="Address and port to serve on, e.g. 0.0.0.0:8000 (overrides --port).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_addrport(options["addrport"], options["port"])
        verbosity: int = options["verbosity"]
        call_command(
            "migrate",
            interactive=False,
            verbosity=verbosity,
            stdout=self.stdout,
            stderr=self.stderr,
        )
        if verbosity:
            self.stdout.write("Loading the demo data (only the first time)…")
        result = demo_load()
        self.print_login(result, login_url(host, port))
        if options["no_serve"]:
            return
        self.serve(host, port)

    def print_login(self, result: DemoLoadResult, url: str) -> None:
        state = "created" if result.created else "already loaded"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organization “{result.organization.name}” ({state}): "
                f"{result.survey_count} surveys, {result.response_count:,} responses."
            )
        )
        self.stdout.write("")
        self.stdout.write(f"  Log in at:  {url}")
        self.stdout.write(f"  E-mail:     {result.login.email}")
        self.stdout.write(f"  Password:   {result.login.password}")
        self.stdout.write(f"  (the password is kept in {result.login.path})")
        self.stdout.write("")

    def start_worker(self) -> "subprocess.Popen[bytes] | None":
        if not worker_available():
            self.stdout.write(
                self.style.WARNING(
                    "Tasks use neither the database nor RQ: start that backend's worker yourself."
                )
            )
            return None
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        return subprocess.Popen([sys.executable, "-m", "cxloop", "worker"], env=environment)

    def serve(self, host: str, port: int) -> None:
        # runserver ends the process with os._exit when it cannot bind, which would skip the
        # clean-up below and orphan the worker: find out first.
        if port_in_use(host, port):
            raise CommandError(
                f"Port {port} is already in use. Stop what runs there or choose another "
                "port, e.g. PORT=8001 make demo (or cxloop demo --port 8001)."
            )
        worker = self.start_worker()
        previous_handlers = {number: signal.signal(number, _interrupt) for number in STOP_SIGNALS}
        try:
            self.stdout.write("Starting the web server; press Ctrl-C to stop it and the worker.")
            call_command(
                "runserver",
                f"{host}:{port}",
                use_reloader=False,
                stdout=self.stdout,
                stderr=self.stderr,
            )
        finally:
            for number, handler in previous_handlers.items():
                signal.signal(number, handler)
            if worker is not None:
                stop_worker(worker)
