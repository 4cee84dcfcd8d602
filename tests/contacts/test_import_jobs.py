"""Contact files imported in the background: accepted whole or refused, resumable, exactly once."""

import io
from typing import Any

import pytest

from cxloop.common.errors import InputError
from cxloop.contacts import services
from cxloop.contacts.models import Contact, ContactImport, ContactImportStatus
from cxloop.contacts.services import contact_import_run, contact_import_start
from cxloop.contacts.tasks import run_contact_import
from cxloop.organizations.models import Organization

pytestmark = pytest.mark.django_db


def csv_file(rows: int, *, bad_every: int = 0) -> io.BytesIO:
    lines = ["external_id,name,phone"]
    for i in range(1, rows + 1):
        phone = "12345" if bad_every and i % bad_every == 0 else f"1380013{i:04d}"
        lines.append(f"c{i},Person {i},{phone}")
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def test_a_file_that_cannot_be_imported_is_refused_and_nothing_kept(
    organization: Organization,
) -> None:
    with pytest.raises(InputError) as refused:
        contact_import_start(
            organization=organization, file=io.BytesIO(b"name\nAnn\n"), filename="c.csv"
        )
    assert refused.value.errors[0].field == "file"
    assert not ContactImport.objects.exists()


def test_an_accepted_file_is_imported_by_the_worker_and_then_dropped(
    organization: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        job = contact_import_start(
            organization=organization, file=csv_file(250, bad_every=50), filename="c.csv"
        )
    job.refresh_from_db()
    assert job.status == ContactImportStatus.DONE
    assert (job.total_rows, job.created, job.updated, job.failed_rows) == (250, 245, 0, 5)
    assert [e["row"] for e in job.errors] == [51, 101, 151, 201, 251]
    assert all(e["column"] == "phone" for e in job.errors)
    assert bytes(job.content) == b""
    assert job.started_at is not None and job.finished_at is not None
    assert Contact.objects.filter(organization=organization).count() == 245


def test_running_a_finished_import_again_changes_nothing(organization: Organization) -> None:
    job = contact_import_start(organization=organization, file=csv_file(5), filename="c.csv")
    contact_import_run(import_id=job.pk)
    again = contact_import_run(import_id=job.pk)
    assert again is not None
    assert (again.created, again.updated) == (5, 0)
    assert run_contact_import.call(job.pk) == 5


def test_a_worker_killed_mid_file_resumes_after_the_last_committed_chunk(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "IMPORT_CHUNK_ROWS", 10)
    job = contact_import_start(organization=organization, file=csv_file(35), filename="c.csv")
    real_upsert = services.contact_upsert
    calls = {"n": 0}

    def dies_on_the_24th_row(**kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 24:
            raise SystemExit("worker killed")
        return real_upsert(**kwargs)

    monkeypatch.setattr(services, "contact_upsert", dies_on_the_24th_row)
    with pytest.raises(SystemExit):
        contact_import_run(import_id=job.pk)
    job.refresh_from_db()
    # Two chunks of 10 committed (rows 2–21); the third was rolled back with its progress.
    assert (job.status, job.rows_done_through, job.created) == ("running", 21, 20)
    assert Contact.objects.count() == 20

    monkeypatch.setattr(services, "contact_upsert", real_upsert)
    contact_import_run(import_id=job.pk)
    job.refresh_from_db()
    # Every row exactly once: a row applied twice would count as "updated".
    assert (job.status, job.created, job.updated, job.failed_rows) == ("done", 35, 0, 0)
    assert Contact.objects.count() == 35


def test_a_chunk_another_worker_already_did_is_not_applied_again(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "IMPORT_CHUNK_ROWS", 3)
    job = contact_import_start(organization=organization, file=csv_file(6), filename="c.csv")
    contact_import_run(import_id=job.pk)
    # A second worker that read the file before the first finished tries its first chunk.
    rows = list(services.read_contact_rows(file=csv_file(6), filename="c.csv"))
    assert services._import_chunk(job.pk, rows[:3], expected_through=1) is False
    job.refresh_from_db()
    assert (job.created, job.updated) == (6, 0)


def test_imports_belong_to_their_organization(
    organization: Organization, other_membership: Any
) -> None:
    job = contact_import_start(organization=organization, file=csv_file(2), filename="c.csv")
    contact_import_run(import_id=job.pk)
    assert not Contact.objects.filter(organization=other_membership.organization).exists()
    assert Contact.objects.filter(organization=organization).count() == 2
