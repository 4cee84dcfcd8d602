import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cxloop.organizations.models import Membership, Organization
from cxloop.organizations.services import api_key_create
from tests.factories import MembershipFactory

# `make test-rq` sets this (to django_tasks_rq.RQBackend) so that tasks go through Redis.
TEST_TASKS_BACKEND = os.environ.get("CXLOOP_TEST_TASKS_BACKEND", "")


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    if TEST_TASKS_BACKEND:
        settings.TASKS = {"default": {"BACKEND": TEST_TASKS_BACKEND}}
        _rq_queue().empty()
        return
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _rq_queue() -> Any:
    import django_rq
    from django_tasks_rq.backend import Job

    return django_rq.get_queue("default", job_class=Job)


@pytest.fixture
def run_tasks() -> Callable[[], None]:
    """Run the tasks queued so far. The immediate backend has already run them; under RQ
    (`make test-rq`) a burst worker runs them in this process, inside the test's
    transaction, after they went through Redis."""

    def run() -> None:
        if not TEST_TASKS_BACKEND:
            return
        from django_tasks_rq.backend import Job
        from rq import SimpleWorker

        queue = _rq_queue()
        worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
        worker.work(burst=True, with_scheduler=False)
        assert queue.count == 0

    return run


# The production hasher costs ~1 s per password on a small machine; tests check logic.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_PASSWORD_HASHERS


@pytest.fixture
def membership(db: None) -> Membership:
    return MembershipFactory()


@pytest.fixture
def organization(membership: Membership) -> Organization:
    return membership.organization


@pytest.fixture
def other_membership(db: None) -> Membership:
    """A second, unrelated organization: tenancy tests prove it sees and changes nothing."""
    return MembershipFactory()


@pytest.fixture
def member_client(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


class ApiClient:
    """A test client that sends an organization's API key and JSON bodies."""

    def __init__(self, raw_key: str) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw_key}"}

    def get(self, path: str, data: dict[str, Any] | None = None) -> Any:
        return self.client.get(path, data, headers=self.headers)

    def post(self, path: str, payload: Any = None) -> Any:
        return self.client.post(
            path,
            payload if payload is not None else {},
            content_type="application/json",
            headers=self.headers,
        )

    def put(self, path: str, payload: Any) -> Any:
        return self.client.put(path, payload, content_type="application/json", headers=self.headers)

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)


@pytest.fixture
def make_api_client(db: None) -> Callable[[Organization], ApiClient]:
    def make(organization: Organization) -> ApiClient:
        _key, raw = api_key_create(organization=organization, name="test")
        return ApiClient(raw)

    return make


@pytest.fixture
def api_client(
    organization: Organization, make_api_client: Callable[[Organization], ApiClient]
) -> ApiClient:
    return make_api_client(organization)
