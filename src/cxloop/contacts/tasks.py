"""Background work for contacts: importing an accepted file."""

from django_tasks import task

from cxloop.contacts.services import contact_import_run


@task()
def run_contact_import(import_id: int) -> int:
    """Import the accepted file's rows; a repeated or concurrent run changes nothing more.
    Returns the number of rows processed so far (0 if the import was deleted)."""
    job = contact_import_run(import_id=import_id)
    return job.processed if job is not None else 0
