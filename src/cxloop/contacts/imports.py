"""Reading contact rows out of an uploaded CSV or XLSX file, one row at a time.

The whole file is checked in a first streaming pass (format, encoding, size, row count,
headings) so that a file that cannot be imported is refused before any row is written.
Neither pass holds more than one row in memory.
"""

import csv
import io
import os
import re
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO, Any

from django.utils.translation import gettext as _

from cxloop.common.errors import InputError
from cxloop.common.text import is_attribute_name

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 100_000
CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves "CSV" as GB18030 (GBK)
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"

HEADING_ALIASES: Mapping[str, tuple[str, ...]] = {
    "external_id": ("external_id", "externalid", "外部ID", "外部编号", "外部編號"),
    "name": ("name", "姓名", "名字"),
    "email": ("email", "e-mail", "邮箱", "郵箱", "电子邮件", "電子郵件", "电子邮箱", "電郵"),
    "phone": (
        "phone",
        "mobile",
        "phone_number",
        "手机",
        "手機",
        "手机号",
        "手机号码",
        "手機號碼",
        "电话",
        "電話",
    ),
    "language": ("language", "lang", "语言", "語言"),
    "time_zone": ("time_zone", "timezone", "时区", "時區"),
}
IDENTIFYING_FIELDS = ("external_id", "email", "phone")
ATTRIBUTE_COLUMN_PREFIX = "attr."  # as the response exports name attribute columns


def _heading_key(heading: str) -> str:
    return re.sub(r"[\s_\-]+", "", heading.strip().lower())


FIELD_BY_HEADING: Mapping[str, str] = {
    _heading_key(alias): name for name, aliases in HEADING_ALIASES.items() for alias in aliases
}


@dataclass(frozen=True, slots=True)
class ImportedRow:
    number: int  # the spreadsheet's row number (the heading row is 1)
    data: dict[str, Any]  # as contact_upsert takes it; empty cells left out
    columns: Mapping[str, str]  # field ("attr:<name>" for attributes) → heading in the file


@dataclass(frozen=True, slots=True)
class Column:
    index: int
    field: str  # a contact field, or "attr:<name>"
    heading: str


def _file_error(message: str) -> InputError:
    return InputError.single("file", message)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        # Spreadsheets store phone numbers and ids typed as numbers as floats.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _columns(headings: Sequence[Any]) -> list[Column]:
    columns: list[Column] = []
    seen: dict[str, str] = {}
    bad: list[str] = []
    for index, raw in enumerate(headings):
        heading = _cell_text(raw).lstrip("\ufeff").strip()
        if not heading:
            continue  # a column without a heading (often Excel's trailing blanks) is ignored
        field = FIELD_BY_HEADING.get(_heading_key(heading))
        if field is None:
            name = re.sub(r"\s+", "_", heading.removeprefix(ATTRIBUTE_COLUMN_PREFIX))
            if not is_attribute_name(name):
                bad.append(heading)
                continue
            field = f"attr:{name}"
        if field in seen:
            raise _file_error(
                _("The columns “%(first)s” and “%(second)s” hold the same field.")
                % {"first": seen[field], "second": heading}
            )
        seen[field] = heading
        columns.append(Column(index=index, field=field, heading=heading))
    if bad:
        raise _file_error(
            _(
                "These column headings are neither contact fields nor valid attribute names: "
                "%(headings)s. Attribute names use letters, digits, _ . - and start with a "
                "letter."
            )
            % {"headings": ", ".join(f"“{h}”" for h in bad)}
        )
    if not any(column.field in IDENTIFYING_FIELDS for column in columns):
        raise _file_error(
            _(
                "The first row must hold the column headings, and one of them must be "
                "external_id, email or phone (or 外部ID, 邮箱, 手机)."
            )
        )
    return columns


def _row_data(cells: Sequence[Any], columns: Sequence[Column]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    attributes: dict[str, str] = {}
    for column in columns:
        text = _cell_text(cells[column.index]) if column.index < len(cells) else ""
        if not text:
            continue
        if column.field.startswith("attr:"):
            attributes[column.field.removeprefix("attr:")] = text
        else:
            data[column.field] = text
    if attributes:
        data["attributes"] = attributes
    return data


def _is_blank(cells: Sequence[Any]) -> bool:
    return all(not _cell_text(cell) for cell in cells)


# --- Formats ------------------------------------------------------------------------------


def _csv_records(file: IO[bytes], encoding: str) -> Iterator[list[str]]:
    file.seek(0)
    text = io.TextIOWrapper(file, encoding=encoding, newline="")
    try:
        yield from csv.reader(text)
    finally:
        text.detach()  # closing the wrapper would close the caller's file


def _xlsx_records(file: IO[bytes]) -> Iterator[Sequence[Any]]:
    from openpyxl import load_workbook

    file.seek(0)
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a broken archive
        raise _file_error(_("The file is not a readable XLSX workbook.")) from error
    try:
        sheet = workbook.worksheets[0]
        # Some programs write a wrong "used range"; without this rows may come back cut.
        sheet.reset_dimensions()
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


class _Source:
    """Reads a file's records, each time from the start."""

    def __init__(self, file: IO[bytes], kind: str, encoding: str = "") -> None:
        self.file, self.kind, self.encoding = file, kind, encoding
        self.rows = 0  # non-blank rows after the headings, once counted

    def records(self) -> Iterator[Sequence[Any]]:
        if self.kind == "xlsx":
            return _xlsx_records(self.file)
        return _csv_records(self.file, self.encoding)


def _size(file: IO[bytes]) -> int:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def _count_rows(source: _Source) -> int:
    """Rows after the headings that hold anything; raises on the first unreadable byte."""
    rows = -1
    for cells in source.records():
        if rows >= 0 and _is_blank(cells):
            continue
        rows += 1
        if rows > MAX_IMPORT_ROWS:
            raise _file_error(
                _("The file has more than %(limit)s rows. Split it into smaller files.")
                % {"limit": f"{MAX_IMPORT_ROWS:,}"}
            )
    return max(rows, 0)


def _open(file: IO[bytes], filename: str) -> _Source:
    """Decide the format (content first, then name) and, for CSV, the encoding."""
    size = _size(file)
    if size == 0:
        raise _file_error(_("The file is empty."))
    if size > MAX_IMPORT_BYTES:
        raise _file_error(
            _("The file is larger than %(limit)d MB. Split it into smaller files.")
            % {"limit": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    start = file.read(4)
    extension = os.path.splitext(filename.lower())[1]
    if start == XLSX_MAGIC:
        source = _Source(file, "xlsx")
        source.rows = _count_rows(source)
        return source
    if start == XLS_MAGIC or extension == ".xls":
        raise _file_error(
            _("Old Excel .xls files cannot be read. Save the sheet as .xlsx or CSV and try again.")
        )
    if extension not in {".csv", ".txt", ""}:
        raise _file_error(_("Upload a CSV or XLSX file."))
    for encoding in CSV_ENCODINGS:
        source = _Source(file, "csv", encoding)
        try:
            source.rows = _count_rows(source)
        except UnicodeDecodeError:
            continue
        except csv.Error as error:
            raise _file_error(
                _("The CSV file could not be read: %(reason)s") % {"reason": error}
            ) from error
        return source
    raise _file_error(_("The file's text encoding is not UTF-8 or GB18030. Save it as UTF-8 CSV."))


def check_contact_file(*, file: IO[bytes], filename: str) -> int:
    """The number of rows to import, or InputError on "file" if the file as a whole cannot
    be imported (format, encoding, size, row count, headings): nothing is written."""
    source = _open(file, filename)
    rows = _rows(source)
    try:
        next(rows, None)  # the headings are checked before the first row
    finally:
        rows.close()
    return source.rows


def read_contact_rows(*, file: IO[bytes], filename: str) -> Iterator[ImportedRow]:
    """Yield the file's non-blank rows as contact data; raise InputError on "file" first if
    the file as a whole cannot be imported."""
    return _rows(_open(file, filename))


def _rows(source: _Source) -> Generator[ImportedRow, None, None]:
    records = source.records()
    try:
        headings = next(records, None)
        if headings is None or _is_blank(headings):
            raise _file_error(_("The first row must hold the column headings."))
        columns = _columns(headings)
        labels = {column.field: column.heading for column in columns}
        for number, cells in enumerate(records, start=2):
            if _is_blank(cells):
                continue
            yield ImportedRow(number=number, data=_row_data(cells, columns), columns=labels)
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()
