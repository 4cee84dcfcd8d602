from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class OptOutSource(models.TextChoices):
    UNSUBSCRIBE_LINK = "link", _("Unsubscribe link")
    API = "api", _("API")
    STAFF = "staff", _("Staff, on the contact's page")


class Contact(models.Model):
    """A person the organization may ask for feedback.

    Channels are opt-out: a contact receives messages on a channel until the matching
    ``<channel>_opted_out_at`` is set, and senders must check ``opted_out(channel)``.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contacts"
    )
    # The id the organization's own systems (CRM, POS, membership) use for this person.
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)  # E.164, e.g. +8613800138000
    language = models.CharField(_("language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    email_opted_out_at = models.DateTimeField(null=True, blank=True)
    email_opt_out_source = models.CharField(max_length=8, choices=OptOutSource.choices, blank=True)
    sms_opted_out_at = models.DateTimeField(null=True, blank=True)
    sms_opt_out_source = models.CharField(max_length=8, choices=OptOutSource.choices, blank=True)
    # A mail server reported the address as undeliverable for good: no more e-mail is sent
    # to it until the address changes.
    email_bounced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("organization", "external_id"),
                condition=~Q(external_id=""),
                name="contact_unique_external_id",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=("organization", "email"), name="contact_org_email"),
            models.Index(fields=("organization", "phone"), name="contact_org_phone"),
            models.Index(fields=("organization", "-created_at"), name="contact_org_created"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or self.external_id or f"#{self.pk}"

    def opted_out(self, channel: str) -> bool:
        if channel == Channel.EMAIL:
            return self.email_opted_out_at is not None
        if channel == Channel.SMS:
            return self.sms_opted_out_at is not None
        raise ValueError(f"unknown channel {channel!r}")


class ContactImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ContactImport(models.Model):
    """One uploaded contact file, imported in the background.

    The file was checked as a whole before it was accepted; the worker then upserts its rows
    in chunks, each committed with the progress it made (``rows_done_through``), so a
    restarted worker resumes after the last committed chunk instead of repeating rows.
    The file is kept in the database (at most 20 MB) so any worker machine can read it, and
    dropped once the import has finished.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contact_imports"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField(editable=False)
    status = models.CharField(
        max_length=8, choices=ContactImportStatus.choices, default=ContactImportStatus.QUEUED
    )
    total_rows = models.PositiveIntegerField(default=0)
    # The spreadsheet row number (headings are row 1) of the last row whose chunk committed.
    rows_done_through = models.PositiveIntegerField(default=1)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    failed_rows = models.PositiveIntegerField(default=0)
    # [{"row": 3, "column": "手机", "message": "…"}], at most MAX_REPORTED_ROW_ERRORS.
    errors = models.JSONField(default=list, blank=True)
    errors_not_listed = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [
            models.Index(fields=("organization", "-created_at"), name="contact_import_org_created")
        ]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.filename} ({self.status})"

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.failed_rows

    @property
    def is_finished(self) -> bool:
        return self.status in {ContactImportStatus.DONE, ContactImportStatus.FAILED}
