"""Responses as CSV or XLSX files: one row per response, streamed with bounded memory.

Columns: the response's fields (id, submitted_at in the organization's time zone as
ISO 8601 with its offset, survey, language, source, the headline scores, the NPS category and
the comment), then one column per question of the survey (an NPS+ question takes three:
``<key>.score``, ``<key>.reasons`` and ``<key>.comment``), then one per attribute name found
in the exported responses (``attr.<name>``, the filters' spelling).

Headers are stable keys rather than translated labels, so a script or a BI tool that reads
the file keeps working whatever language the person exporting it uses. Choice answers are
the option texts in the survey's default language, so answers given in different languages
fall into the same pivot bucket; several options are joined with "; " in the survey's order.
The NPS category is its key (promoter, passive, detractor), as in the filters and the API.

Every text cell that a spreadsheet would read as a formula is neutralized (see
``neutralize``); numbers stay numbers.
"""

import csv
import io
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import IO, Any
from zoneinfo import ZoneInfo

import xlsxwriter
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.utils.translation import gettext as _

from cxloop.analytics.metrics import nps_category
from cxloop.common.languages import pick_text
from cxloop.responses.filters import ATTRIBUTE_PREFIX
from cxloop.responses.models import Response
from cxloop.surveys.definitions import QuestionDefinition, SurveyDefinition

Cell = str | int | float | None

EXPORT_FORMATS: tuple[str, ...] = ("csv", "xlsx")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel only takes a CSV for UTF-8 (and shows Chinese intact) when it starts with a BOM.
UTF8_BOM = "\ufeff".encode()
# Characters that make Excel, LibreOffice or Google Sheets read a cell as a formula (or, for
# tab and carriage return, that some of them strip before doing so).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched per database round trip: bounds the model instances held at once.
FETCH_CHUNK_ROWS = 2000
# The CSV is handed to the server in pieces of about this size.
CSV_CHUNK_BYTES = 64 * 1024
CHOICE_SEPARATOR = "; "
NPS_PLUS_PARTS: tuple[str, ...] = ("score", "reasons", "comment")
ROW_FIELDS: tuple[str, ...] = (
    "id",
    "submitted_at",
    "language",
    "source",
    "answers",
    "attributes",
    "nps_score",
    "csat_score",
    "ces_score",
    "comment",
    "survey__name",
)
BASE_HEADERS: tuple[str, ...] = (
    "id",
    "submitted_at",
    "survey",
    "language",
    "source",
    "nps_score",
    "nps_category",
    "csat_score",
    "ces_score",
    "comment",
)


def neutralize(cell: Cell) -> Cell:
    """Prefix ``'`` to a text cell a spreadsheet would run as a formula (CSV injection).

    Numbers are returned unchanged: they cannot carry a formula, and quoting them would turn
    scores into text.
    """
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return f"'{cell}"
    return cell


@dataclass(frozen=True, slots=True)
class ExportColumns:
    """What each row holds; computed once, before the first row is written."""

    questions: tuple[QuestionDefinition, ...]
    attribute_names: tuple[str, ...]
    language: str  # the language option texts are written in

    @property
    def headers(self) -> tuple[str, ...]:
        question_headers: list[str] = []
        for question in self.questions:
            if question.type == "nps_plus":
                question_headers += [f"{question.key}.{part}" for part in NPS_PLUS_PARTS]
            else:
                question_headers.append(question.key)
        attribute_headers = [f"{ATTRIBUTE_PREFIX}{name}" for name in self.attribute_names]
        return (*BASE_HEADERS, *question_headers, *attribute_headers)


def export_columns(
    *, responses: QuerySet[Response], definition: SurveyDefinition | None
) -> ExportColumns:
    """The columns for these responses: one query reads the attribute names they use.

    Without a definition (responses of several surveys) there are no question columns:
    questions differ between surveys, the headline scores and the comment are shared.
    """
    names: set[str] = set()
    for attributes in (
        responses.order_by().values_list("attributes", flat=True).iterator(FETCH_CHUNK_ROWS)
    ):
        names.update(attributes or {})
    return ExportColumns(
        questions=definition.questions if definition is not None else (),
        attribute_names=tuple(sorted(names)),
        language=definition.default_language if definition is not None else "",
    )


def _choice_text(question: QuestionDefinition, keys: Sequence[str], language: str) -> str:
    texts = {choice.key: choice.text for choice in question.choices}
    # A key whose option has no text (it should not happen) is written as is, never dropped.
    return CHOICE_SEPARATOR.join(
        pick_text(texts[key], language) if key in texts else key for key in keys
    )


def _answer_cells(question: QuestionDefinition, value: Any, language: str) -> list[Cell]:
    if question.type == "nps_plus":
        if not isinstance(value, Mapping):
            return [None, None, None]
        reasons = value.get("reasons") or []
        return [
            value.get("score"),
            _choice_text(question, reasons, language) or None,
            value.get("comment") or None,
        ]
    if value is None or value == "" or value == []:
        return [None]
    if question.type in ("nps", "csat", "ces"):
        return [int(value)]
    if question.type in ("single_choice", "multiple_choice"):
        keys = [value] if isinstance(value, str) else list(value)
        return [_choice_text(question, keys, language)]
    return [str(value)]


def export_row(response: Response, columns: ExportColumns, *, time_zone: ZoneInfo) -> list[Cell]:
    """One response as cells, every text cell neutralized."""
    answers = response.answers or {}
    attributes = response.attributes or {}
    cells: list[Cell] = [
        response.pk,
        response.submitted_at.astimezone(time_zone).isoformat(timespec="seconds"),
        response.survey.name,
        response.language,
        response.source,
        response.nps_score,
        nps_category(response.nps_score) if response.nps_score is not None else None,
        response.csat_score,
        response.ces_score,
        response.comment or None,
    ]
    for question in columns.questions:
        cells += _answer_cells(question, answers.get(question.key), columns.language)
    cells += [attributes.get(name) for name in columns.attribute_names]
    return [neutralize(cell) for cell in cells]


def _rows(
    responses: QuerySet[Response], columns: ExportColumns, *, time_zone: ZoneInfo
) -> Iterator[list[Cell]]:
    # Only what a row shows: 2,000 whole surveys (titles, texts) per chunk would dominate memory.
    rows = responses.select_related("survey").only(*ROW_FIELDS)
    for response in rows.iterator(chunk_size=FETCH_CHUNK_ROWS):
        yield export_row(response, columns, time_zone=time_zone)


def csv_chunks(
    responses: QuerySet[Response],
    columns: ExportColumns,
    *,
    time_zone: ZoneInfo,
    chunk_bytes: int = CSV_CHUNK_BYTES,
) -> Iterator[bytes]:
    """The CSV file in UTF-8 pieces of about ``chunk_bytes``, the BOM first."""
    yield UTF8_BOM
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralize(header) for header in columns.headers])
    for row in _rows(responses, columns, time_zone=time_zone):
        writer.writerow(row)
        # Measured in characters: a Chinese character is 3 bytes, so pieces stay bounded.
        if buffer.tell() >= chunk_bytes:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def write_xlsx(
    responses: QuerySet[Response],
    columns: ExportColumns,
    *,
    time_zone: ZoneInfo,
    destination: IO[bytes],
) -> None:
    """Write the XLSX file to ``destination``.

    constant_memory makes xlsxwriter flush each row to a temporary file as soon as the next
    one starts, so memory does not grow with the number of responses. Cells are written with
    write_string / write_number: the generic write() would turn "=…" texts into formulas.
    """
    workbook = xlsxwriter.Workbook(destination, {"constant_memory": True})
    # Sheet names are at most 31 characters and cannot contain []:*?/\.
    worksheet = workbook.add_worksheet(_("Responses")[:31])
    header_format = workbook.add_format({"bold": True})
    worksheet.freeze_panes(1, 0)
    worksheet.set_column(0, 0, 10)
    worksheet.set_column(1, 1, 26)
    for column, header in enumerate(columns.headers):
        worksheet.write_string(0, column, str(neutralize(header)), header_format)
    for row_number, row in enumerate(_rows(responses, columns, time_zone=time_zone), start=1):
        for column, cell in enumerate(row):
            if cell is None:
                continue
            if isinstance(cell, str):
                worksheet.write_string(row_number, column, cell)
            else:
                worksheet.write_number(row_number, column, cell)
    workbook.close()


def export_filename(*, name: str, fallback: str, fmt: str, today: date) -> str:
    """cxloop-<slug of name>-<YYYYMMDD>.<fmt>; the slug keeps Chinese letters."""
    slug = slugify(name, allow_unicode=True) or fallback
    return f"cxloop-{slug}-{today:%Y%m%d}.{fmt}"


def export_response(
    *,
    responses: QuerySet[Response],
    definition: SurveyDefinition | None,
    fmt: str,
    time_zone: ZoneInfo,
    filename: str,
) -> StreamingHttpResponse | FileResponse:
    """The download, for the web page and the API alike (``fmt`` is csv or xlsx).

    The CSV is produced while it is sent. The XLSX format is a zip archive that can only be
    finished once every row is in, so it is written to a temporary file (deleted when the
    response is closed) and the file is streamed.
    """
    columns = export_columns(responses=responses, definition=definition)
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_chunks(responses, columns, time_zone=time_zone), content_type=CSV_CONTENT_TYPE
        )
        # Only None when as_attachment is False.
        disposition = content_disposition_header(as_attachment=True, filename=filename) or ""
        response.headers["Content-Disposition"] = disposition
        return response
    if fmt != "xlsx":
        raise ValueError(f"unknown export format {fmt!r}")
    destination = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it)
    try:
        write_xlsx(responses, columns, time_zone=time_zone, destination=destination)
        destination.seek(0)
    except BaseException:
        destination.close()
        raise
    return FileResponse(
        destination, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
