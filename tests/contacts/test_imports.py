import io

import pytest
from openpyxl import Workbook

from cxloop.common.errors import InputError
from cxloop.contacts.imports import MAX_IMPORT_BYTES, MAX_IMPORT_ROWS
from cxloop.contacts.models import Contact, ContactImport
from cxloop.contacts.services import (
    MAX_REPORTED_ROW_ERRORS,
    contact_import_run,
    contact_import_start,
)
from cxloop.organizations.models import Organization

pytestmark = pytest.mark.django_db


def run_import(organization: Organization, content: bytes, filename: str) -> ContactImport:
    job = contact_import_start(
        organization=organization, file=io.BytesIO(content), filename=filename
    )
    finished = contact_import_run(import_id=job.pk)
    assert finished is not None
    return finished


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def file_error(organization: Organization, content: bytes, filename: str) -> str:
    with pytest.raises(InputError) as caught:
        run_import(organization, content, filename)
    assert list(caught.value.by_field()) == ["file"]
    return caught.value.by_field()["file"][0]


def test_csv_with_bom_and_chinese_headings(organization: Organization) -> None:
    content = (
        "姓名,手机,邮箱,外部ID,语言,时区,store\n"
        "李伟,138 0013 8000,LiWei@Example.com,M-001,zh-CN,Asia/Shanghai,上海徐汇店\n"
        "陈美玲,+852 6123 4567,,M-002,zh-HK,,香港中环店\n"
    ).encode("utf-8-sig")
    report = run_import(organization, content, "会员.csv")
    assert (report.created, report.updated, report.failed_rows) == (2, 0, 0)
    li = Contact.objects.get(organization=organization, external_id="M-001")
    assert (li.name, li.phone, li.email, li.language, li.time_zone) == (
        "李伟",
        "+8613800138000",
        "LiWei@example.com",
        "zh-Hans",
        "Asia/Shanghai",
    )
    assert li.attributes == {"store": "上海徐汇店"}
    chan = Contact.objects.get(organization=organization, external_id="M-002")
    assert (chan.phone, chan.language, chan.attributes) == (
        "+85261234567",
        "zh-Hant",
        {"store": "香港中环店"},
    )


def test_traditional_chinese_and_english_headings_in_any_case(organization: Organization) -> None:
    content = "Name,E-Mail,手機,Time Zone,Tier\n王小明,wang@example.tw,+886 912 345 678,Asia/Taipei,gold\n"
    report = run_import(organization, content.encode(), "contacts.csv")
    assert report.created == 1
    contact = Contact.objects.get(organization=organization)
    assert (contact.email, contact.phone, contact.time_zone, contact.attributes) == (
        "wang@example.tw",
        "+886912345678",
        "Asia/Taipei",
        {"Tier": "gold"},
    )


def test_gb18030_csv_from_excel(organization: Organization) -> None:
    content = "姓名,手机,门店编号\n张三,13912345678,101\n".replace("门店编号", "store_id")
    report = run_import(organization, content.encode("gb18030"), "export.csv")
    assert report.created == 1
    contact = Contact.objects.get(organization=organization)
    assert (contact.name, contact.phone, contact.attributes) == (
        "张三",
        "+8613912345678",
        {"store_id": "101"},
    )


def test_xlsx_with_numeric_cells(organization: Organization) -> None:
    content = xlsx_bytes(
        [
            ["external_id", "name", "phone", "attr.store", "visits"],
            [1001, "Ann", 13800138000, "S1", 3],
            [None, None, None, None, None],
            [1002, "Bo", "+852 6123 4567", "S2", None],
            [1003, "Cy", "12345", "S3", None],
        ]
    )
    report = run_import(organization, content, "contacts.xlsx")
    assert (report.created, report.failed_rows) == (2, 1)
    # The empty row 3 still counts: the bad row is the sheet's row 5.
    assert [(e["row"], e["column"]) for e in report.errors] == [(5, "phone")]
    ann = Contact.objects.get(organization=organization, external_id="1001")
    assert (ann.phone, ann.attributes) == ("+8613800138000", {"store": "S1", "visits": "3"})
    bo = Contact.objects.get(organization=organization, external_id="1002")
    assert bo.attributes == {"store": "S2"}


def test_bad_rows_are_reported_by_row_number_and_good_rows_kept(
    organization: Organization,
) -> None:
    content = (
        b"external_id,name,phone,email,language\n"
        b"a1,Good One,13800138000,,\n"
        b"a2,Bad Phone,12345,,\n"
        b"\n"
        b"a3,Bad Mail,,not-an-email,fr\n"
        b",No Id,,,\n"
        b"a4,Good Two,,b@example.com,en\n"
    )
    report = run_import(organization, content, "c.csv")
    assert (report.created, report.updated, report.failed_rows) == (2, 0, 3)
    problems = [(e["row"], e["column"]) for e in report.errors]
    # Row numbers as the spreadsheet shows them: headings on 1, the blank line is row 4.
    assert problems == [(3, "phone"), (5, "email"), (5, "language"), (6, "")]
    assert "12345" in report.errors[0]["msg"]
    assert sorted(Contact.objects.values_list("external_id", flat=True)) == ["a1", "a4"]


def test_reimporting_updates_instead_of_duplicating(organization: Organization) -> None:
    run_import(organization, b"external_id,name,tier\nx,First,gold\n", "c.csv")
    report = run_import(organization, b"external_id,name,tier\nx,,silver\n", "c.csv")
    assert (report.created, report.updated) == (0, 1)
    contact = Contact.objects.get(organization=organization)
    # An empty cell keeps the current value.
    assert (contact.name, contact.attributes) == ("First", {"tier": "silver"})


def test_errors_name_the_column_as_headed_in_the_file(organization: Organization) -> None:
    report = run_import(organization, "外部ID,手机\nz,999\n".encode(), "c.csv")
    assert [(e["row"], e["column"]) for e in report.errors] == [(2, "手机")]


def test_the_report_lists_a_bounded_number_of_problems(organization: Organization) -> None:
    rows = "".join(f"r{i},bad\n" for i in range(MAX_REPORTED_ROW_ERRORS + 5))
    report = run_import(organization, f"external_id,email\n{rows}".encode(), "c.csv")
    assert report.failed_rows == MAX_REPORTED_ROW_ERRORS + 5
    assert len(report.errors) == MAX_REPORTED_ROW_ERRORS
    assert report.errors_not_listed == 5


def test_a_file_over_the_row_limit_is_refused_before_anything_is_written(
    organization: Organization,
) -> None:
    rows = "".join(f"r{i}\n" for i in range(MAX_IMPORT_ROWS + 1))
    message = file_error(organization, f"external_id\n{rows}".encode(), "big.csv")
    assert "100,000" in message
    assert not Contact.objects.exists()


def test_a_file_at_the_row_limit_is_not_refused_for_its_rows(
    organization: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cxloop.contacts.imports.MAX_IMPORT_ROWS", 3)
    report = run_import(organization, b"external_id\na\n\nb\nc\n", "c.csv")
    assert report.created == 3
    file_error(organization, b"external_id\na\nb\nc\nd\n", "c.csv")


def test_a_file_over_20_mb_is_refused(organization: Organization) -> None:
    content = b"external_id,note\n" + b"x,y\n" * (MAX_IMPORT_BYTES // 4 + 1)
    assert len(content) > MAX_IMPORT_BYTES
    assert "20 MB" in file_error(organization, content, "huge.csv")
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (b"", "c.csv", "empty"),
        (b"\xd0\xcf\x11\xe0rest-of-an-old-workbook", "old.xls", ".xls"),
        (b"PK\x03\x04not really a zip", "c.xlsx", "XLSX"),
        (b"%PDF-1.7", "c.pdf", "CSV or XLSX"),
        (b"name,store\nAnn,S1\n", "c.csv", "external_id, email or phone"),
        (b"email,\xe9\x97\xa8\xe5\xba\x97\na@example.com,S1\n", "c.csv", "“门店”"),
        ("email,邮箱\na@example.com,b@example.com\n".encode(), "c.csv", "same field"),
        (b"\n\nemail\n", "c.csv", "headings"),
    ],
)
def test_files_that_cannot_be_imported_get_a_clear_reason(
    organization: Organization, content: bytes, filename: str, expected: str
) -> None:
    assert expected in file_error(organization, content, filename)
    assert not Contact.objects.exists()


def test_text_in_neither_utf8_nor_gb18030_is_refused(organization: Organization) -> None:
    # 0x80 alone is invalid in both encodings.
    assert "UTF-8" in file_error(organization, b"email\n\x80@example.com\n", "c.csv")
