import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from cxloop.contacts.models import Contact, ContactImport
from cxloop.contacts.services import contact_import_start, contact_opt_out, contact_upsert
from cxloop.distribution.models import Invitation
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.models import Response
from tests.factories import MembershipFactory, answer, survey_for

pytestmark = pytest.mark.django_db


def url(name: str, organization: Organization, *args: object) -> str:
    return reverse(f"contacts:{name}", args=[organization.slug, *args])


def make_contacts(organization: Organization, count: int, **attributes: str) -> list[Contact]:
    return [
        contact_upsert(
            organization=organization,
            data={"external_id": f"c{i}", "name": f"Person {i}", "attributes": attributes},
        )[0]
        for i in range(count)
    ]


def client_for(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


# --- List ------------------------------------------------------------------------------


def test_the_list_shows_the_organizations_contacts(
    member_client: Client, organization: Organization, other_membership: Membership
) -> None:
    contact_upsert(
        organization=organization,
        data={
            "external_id": "m1",
            "name": "李伟",
            "phone": "13800138000",
            "attributes": {"store": "S1"},
        },
    )
    contact_upsert(
        organization=other_membership.organization, data={"external_id": "x", "name": "Stranger"}
    )
    page = member_client.get(url("list", organization))
    assert page.status_code == 200
    html = page.content.decode()
    assert "李伟" in html and "+8613800138000" in html
    assert "Stranger" not in html
    assert page.context["page"].paginator.count == 1


def test_search_and_attribute_filter(member_client: Client, organization: Organization) -> None:
    contact_upsert(
        organization=organization,
        data={
            "external_id": "1",
            "name": "Ann",
            "phone": "13800138000",
            "attributes": {"store": "S1"},
        },
    )
    contact_upsert(
        organization=organization,
        data={
            "external_id": "2",
            "name": "Bo",
            "phone": "13900139000",
            "attributes": {"store": "S2"},
        },
    )
    by_phone = member_client.get(url("list", organization), {"q": "138 0013"})
    assert [c.name for c in by_phone.context["page"]] == ["Ann"]
    by_store = member_client.get(url("list", organization), {"attribute": "store", "value": "S2"})
    assert [c.name for c in by_store.context["page"]] == ["Bo"]
    assert "store" in by_store.context["attribute_names"]


def test_a_bad_attribute_name_gets_a_message_not_a_crash(
    member_client: Client, organization: Organization
) -> None:
    page = member_client.get(url("list", organization), {"attribute": "no way", "value": "x"})
    assert page.status_code == 400
    assert "Not an attribute name: no way." in page.content.decode()


def test_the_list_pages_with_a_pinned_number_of_queries(
    member_client: Client, organization: Organization, django_assert_num_queries: Any
) -> None:
    make_contacts(organization, 60, store="S1")
    # Session, user, membership, the count, attribute names for the filter, the page's rows.
    with django_assert_num_queries(6):
        first = member_client.get(url("list", organization))
    assert len(first.context["page"].object_list) == 50
    with django_assert_num_queries(6):
        second = member_client.get(url("list", organization), {"page": 2})
    assert len(second.context["page"].object_list) == 10
    assert 'rel="prev"' in second.content.decode()


def test_the_query_count_does_not_grow_with_the_contacts(
    member_client: Client, organization: Organization
) -> None:
    make_contacts(organization, 2)
    with CaptureQueriesContext(connection) as few:
        member_client.get(url("list", organization))
    make_contacts(organization, 40)
    with CaptureQueriesContext(connection) as many:
        member_client.get(url("list", organization))
    assert len(many.captured_queries) == len(few.captured_queries)


# --- Import ----------------------------------------------------------------------------


def test_import_runs_in_the_background_and_shows_the_row_by_row_report(
    member_client: Client,
    organization: Organization,
    django_capture_on_commit_callbacks: Any,
) -> None:
    content = "姓名,手机,外部ID\n李伟,13800138000,a\n王芳,12345,b\n".encode("utf-8-sig")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        posted = member_client.post(
            url("import", organization), {"file": SimpleUploadedFile("c.csv", content)}
        )
    job = ContactImport.objects.get(organization=organization)
    assert posted.status_code == 302
    assert posted["Location"] == url("import_detail", organization, job.pk)
    # Before the worker has run, the page says how far it is and polls for progress.
    waiting = member_client.get(posted["Location"]).content.decode()
    assert 'data-status="queued"' in waiting and "hx-trigger" in waiting
    assert "0 of 2 rows processed" in waiting
    assert not Contact.objects.exists()

    for callback in queued:
        callback()  # the worker runs the import
    page = member_client.get(posted["Location"], headers={"HX-Request": "true"})
    html = page.content.decode()
    assert 'data-status="done"' in html and "hx-trigger" not in html
    assert "<html" not in html  # htmx gets the fragment only
    assert 'data-testid="row-error"><td class="num">3</td><td>手机</td>' in html
    assert Contact.objects.filter(organization=organization).count() == 1
    listing = member_client.get(url("import", organization)).content.decode()
    recent = listing[listing.index('data-testid="recent-imports"') :]
    assert "c.csv" in recent and "2 / 2" in recent
    # The list is part of the page body, after the upload form, not of its <title>.
    assert "<table" not in listing[listing.index("<title>") : listing.index("</title>")]
    assert listing.index("<form") < listing.index('data-testid="recent-imports"')


def test_import_of_an_xlsx_upload(
    member_client: Client, organization: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    workbook = Workbook()
    workbook.active.append(["email", "tier"])
    workbook.active.append(["a@example.com", "gold"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = SimpleUploadedFile("c.xlsx", buffer.getvalue())
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(url("import", organization), {"file": upload})
    assert ContactImport.objects.get(organization=organization).created == 1
    assert Contact.objects.get(organization=organization).attributes == {"tier": "gold"}


def test_another_organization_cannot_see_an_import(
    member_client: Client, organization: Organization, other_membership: Membership
) -> None:
    mine = contact_import_start(
        organization=organization, file=io.BytesIO(b"email\na@example.com\n"), filename="c.csv"
    )
    stranger = client_for(other_membership)
    assert stranger.get(url("import_detail", organization, mine.pk)).status_code == 404
    theirs = url("import_detail", other_membership.organization, mine.pk)
    assert stranger.get(theirs).status_code == 404
    assert member_client.get(url("import_detail", organization, mine.pk)).status_code == 200


def test_a_file_that_cannot_be_imported_gets_a_form_message(
    member_client: Client, organization: Organization
) -> None:
    upload = SimpleUploadedFile("c.csv", b"name\nAnn\n")
    page = member_client.post(url("import", organization), {"file": upload})
    assert page.status_code == 400
    assert "external_id, email or phone" in page.content.decode()
    missing = member_client.post(url("import", organization), {})
    assert missing.status_code == 400
    assert not Contact.objects.exists()
    assert not ContactImport.objects.exists()


def test_import_is_for_editors_only(organization: Organization) -> None:
    viewer = MembershipFactory(organization=organization, role=Role.VIEWER)
    client = client_for(viewer)
    assert client.get(url("import", organization)).status_code == 403
    upload = SimpleUploadedFile("c.csv", b"email\na@example.com\n")
    assert client.post(url("import", organization), {"file": upload}).status_code == 403
    assert not Contact.objects.exists()
    assert client.get(url("list", organization)).status_code == 200


# --- Detail and opt-out buttons ----------------------------------------------------------


def test_the_detail_page_lists_fields_attributes_and_responses(
    member_client: Client, organization: Organization
) -> None:
    contact, _ = contact_upsert(
        organization=organization,
        data={
            "external_id": "m1",
            "name": "李伟",
            "email": "li@example.com",
            "attributes": {"store": "上海店"},
        },
    )
    survey = survey_for(organization)
    mine = answer(survey, 9, submitted_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    someone_elses = answer(survey, 2)
    Response.objects.filter(pk=mine.pk).update(contact=contact)
    page = member_client.get(url("detail", organization, contact.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "li@example.com" in html and "上海店" in html
    assert reverse("responses:detail", args=[organization.slug, mine.pk]) in html
    assert reverse("responses:detail", args=[organization.slug, someone_elses.pk]) not in html
    # Shown in the organization's time zone (Asia/Shanghai, UTC+8).
    assert "2026-01-02 11:04" in html
    assert 'data-testid="invitations"' in html
    assert "No invitations yet." in html


def test_the_detail_page_lists_every_invitation_with_its_outcome(
    member_client: Client, organization: Organization, django_assert_num_queries: Any
) -> None:
    contact, _ = contact_upsert(
        organization=organization,
        data={"external_id": "m1", "email": "li@example.com", "phone": "+8613800000000"},
    )
    other, _ = contact_upsert(organization=organization, data={"external_id": "m2"})
    survey = survey_for(organization, name="Store visit")
    noon = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    sent, _new = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="wave-1", now=noon
    )
    # The second one within the 90-day gap is skipped, and the page says why.
    invitation_create(survey=survey, contact=contact, channel="sms", batch_key="wave-2", now=noon)
    invitation_create(survey=survey, contact=other, channel="email", batch_key="wave-1", now=noon)
    response = answer(survey, 10)
    Invitation.objects.filter(pk=sent.pk).update(
        status="completed", response=response, completed_at=noon
    )
    page = member_client.get(url("detail", organization, contact.pk))
    html = page.content.decode()
    rows = html.count('data-testid="invitation-row"')
    assert rows == 2
    assert "recently_invited" in html
    assert reverse("responses:detail", args=[organization.slug, response.pk]) in html
    assert "2026-03-02 12:00" in html  # scheduled at noon in Shanghai
    # The query count does not grow with the number of invitations.
    for batch in range(5):
        invitation_create(
            survey=survey, contact=contact, channel="email", batch_key=f"more-{batch}", now=noon
        )
    with django_assert_num_queries(6):
        member_client.get(url("detail", organization, contact.pk))


def test_staff_can_opt_a_contact_out_and_back_in(
    member_client: Client, organization: Organization
) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    response = member_client.post(url("opt_out", organization, contact.pk), {"channel": "email"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.opted_out("email") and contact.email_opt_out_source == "staff"
    page = member_client.get(url("detail", organization, contact.pk))
    assert "Opted out" in page.content.decode()
    member_client.post(url("opt_in", organization, contact.pk), {"channel": "email"})
    contact.refresh_from_db()
    assert not contact.opted_out("email")


def test_a_bad_channel_gets_a_message(member_client: Client, organization: Organization) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    response = member_client.post(
        url("opt_out", organization, contact.pk), {"channel": "fax"}, follow=True
    )
    assert "Choose a channel" in response.content.decode()
    contact.refresh_from_db()
    assert not contact.opted_out("email") and not contact.opted_out("sms")


def test_viewers_see_contacts_but_cannot_change_opt_outs(organization: Organization) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    client = client_for(MembershipFactory(organization=organization, role=Role.VIEWER))
    page = client.get(url("detail", organization, contact.pk))
    assert page.status_code == 200
    assert url("opt_out", organization, contact.pk) not in page.content.decode()
    assert (
        client.post(url("opt_out", organization, contact.pk), {"channel": "email"}).status_code
        == 403
    )
    contact.refresh_from_db()
    assert not contact.opted_out("email")


def test_opt_out_buttons_only_accept_post(
    member_client: Client, organization: Organization
) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    assert member_client.get(url("opt_out", organization, contact.pk)).status_code == 405


# --- Tenancy ---------------------------------------------------------------------------


def test_another_organization_gets_404_on_every_page_and_changes_nothing(
    organization: Organization, other_membership: Membership
) -> None:
    contact, _ = contact_upsert(organization=organization, data={"email": "a@example.com"})
    contact = contact_opt_out(contact=contact, channel="sms", source="api")
    intruder = client_for(other_membership)
    for name, args in [("list", ()), ("import", ()), ("detail", (contact.pk,))]:
        assert intruder.get(url(name, organization, *args)).status_code == 404, name
    upload = SimpleUploadedFile("c.csv", b"email\nnew@example.com\n")
    assert intruder.post(url("import", organization), {"file": upload}).status_code == 404
    assert (
        intruder.post(url("opt_out", organization, contact.pk), {"channel": "email"}).status_code
        == 404
    )
    assert (
        intruder.post(url("opt_in", organization, contact.pk), {"channel": "sms"}).status_code
        == 404
    )
    # Their own organization's URLs with our contact's id do not find it either.
    own = other_membership.organization
    assert intruder.get(url("detail", own, contact.pk)).status_code == 404
    assert intruder.post(url("opt_out", own, contact.pk), {"channel": "email"}).status_code == 404
    contact.refresh_from_db()
    assert not contact.opted_out("email") and contact.opted_out("sms")
    assert Contact.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(organization: Organization) -> None:
    response = Client().get(url("list", organization))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
