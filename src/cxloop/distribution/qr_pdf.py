"""A printable A4 sheet of QR cards, one per location, to cut out and place in each store.

Codes are drawn as vector paths, so they stay sharp at any print size. Chinese text uses the
CJK font the dashboard PDF embeds (`cxloop.analytics.pdf.register_cjk_font`): a sheet is
often forwarded to a store manager's phone, whose PDF reader has no Chinese font to substitute.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from cxloop.analytics.pdf import register_cjk_font
from cxloop.common.languages import django_language, pick_text
from cxloop.distribution.qr import QUIET_ZONE, QrOptions, location_links, qr_matrix
from cxloop.surveys.models import Survey

COLUMNS = 2
ROWS = 3
CARDS_PER_PAGE = COLUMNS * ROWS
PAGE_MARGIN = 10 * mm
CARD_PADDING = 5 * mm
QR_SIZE = 55 * mm  # with its quiet zone: about 48 mm of code, easy to scan from a counter
TITLE_SIZE = 12
LOCATION_SIZE = 14
CALL_TO_ACTION_SIZE = 10
LINE_GAP = 1.25
CUT_LINE = Color(0.6, 0.6, 0.6)
LATIN_FONT = "Helvetica"
LATIN_BOLD_FONT = "Helvetica-Bold"


@dataclass(frozen=True, slots=True)
class QrCard:
    location: str
    link: str


def _font_for(text: str, cjk_font: str, *, bold: bool = False) -> str:
    # Helvetica has a bold face (the CJK font has one weight) but no Chinese glyphs.
    if text.isascii():
        return LATIN_BOLD_FONT if bold else LATIN_FONT
    return cjk_font


def _wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy wrapping that breaks between words when it can and between any two characters
    (Chinese has no spaces) when it must; a cut-off last line ends with an ellipsis."""
    lines: list[str] = []
    current = ""
    for char in text:
        candidate = current + char
        if pdfmetrics.stringWidth(candidate, font, size) <= width or not current:
            current = candidate
            continue
        head, space, tail = current.rpartition(" ")
        if space and head:
            lines.append(head)
            current = tail + char
        else:
            lines.append(current)
            current = char.lstrip()
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and pdfmetrics.stringWidth(last + "…", font, size) > width:
        last = last[:-1]
    kept[-1] = last + "…"
    return kept


def _draw_centered_lines(
    canvas: Canvas, lines: Sequence[str], font: str, size: float, center_x: float, top: float
) -> float:
    """Draw lines centred under `top`; returns the y below the last line."""
    y = top
    canvas.setFont(font, size)
    for line in lines:
        y -= size * LINE_GAP
        canvas.drawCentredString(center_x, y + size * (LINE_GAP - 1), line)
    return y


def _draw_code(canvas: Canvas, link: str, x: float, y: float, size: float) -> None:
    """The code as one filled path of horizontal runs: no seams between modules."""
    matrix = qr_matrix(link)
    modules = len(matrix) + 2 * QUIET_ZONE
    module = size / modules
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + QUIET_ZONE) * module
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(
                x + (start + QUIET_ZONE) * module, top - module, (column - start) * module, module
            )
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_card(
    canvas: Canvas,
    card: QrCard,
    *,
    x: float,
    y: float,
    width: float,
    height: float,
    title: str,
    call_to_action: str,
    cjk_font: str,
) -> None:
    canvas.setStrokeColor(CUT_LINE)
    canvas.setDash(3, 3)
    canvas.setLineWidth(0.5)
    canvas.rect(x, y, width, height, stroke=1, fill=0)
    canvas.setDash()
    text_width = width - 2 * CARD_PADDING
    center_x = x + width / 2
    canvas.setFillColor(black)

    title_font = _font_for(title, cjk_font, bold=True)
    below_title = _draw_centered_lines(
        canvas,
        _wrap(title, title_font, TITLE_SIZE, text_width, 2),
        title_font,
        TITLE_SIZE,
        center_x,
        y + height - CARD_PADDING,
    )
    _draw_code(canvas, card.link, center_x - QR_SIZE / 2, below_title - QR_SIZE, QR_SIZE)
    canvas.setFillColor(black)
    location_font = _font_for(card.location, cjk_font, bold=True)
    _draw_centered_lines(
        canvas,
        _wrap(card.location, location_font, LOCATION_SIZE, text_width, 2),
        location_font,
        LOCATION_SIZE,
        center_x,
        below_title - QR_SIZE,
    )
    action_font = _font_for(call_to_action, cjk_font)
    action_lines = _wrap(call_to_action, action_font, CALL_TO_ACTION_SIZE, text_width, 1)
    canvas.setFont(action_font, CALL_TO_ACTION_SIZE)
    canvas.drawCentredString(center_x, y + CARD_PADDING, action_lines[0] if action_lines else "")


def qr_sheet_pdf(*, cards: Sequence[QrCard], title: str, call_to_action: str) -> bytes:
    """A4 pages of COLUMNS × ROWS cards, each with the title, the code, the location and the
    call to action."""
    cjk_font = register_cjk_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("cxloop")
    page_width, page_height = A4
    card_width = (page_width - 2 * PAGE_MARGIN) / COLUMNS
    card_height = (page_height - 2 * PAGE_MARGIN) / ROWS
    for index, card in enumerate(cards):
        slot = index % CARDS_PER_PAGE
        if index and slot == 0:
            canvas.showPage()
        column, row = slot % COLUMNS, slot // COLUMNS
        _draw_card(
            canvas,
            card,
            x=PAGE_MARGIN + column * card_width,
            y=page_height - PAGE_MARGIN - (row + 1) * card_height,
            width=card_width,
            height=card_height,
            title=title,
            call_to_action=call_to_action,
            cjk_font=cjk_font,
        )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def sheet_language(survey: Survey, options: QrOptions) -> str:
    """The language printed on the cards: the one the codes open in, else the survey's default."""
    return options.language or survey.default_language


def survey_qr_sheet(*, survey: Survey, options: QrOptions, locations: Sequence[str]) -> bytes:
    language = sheet_language(survey, options)
    title = pick_text(survey.title or {}, language, (survey.default_language,)) or survey.name
    with translation.override(django_language(language)):
        call_to_action = _("Scan to tell us how we did")
    cards = [
        QrCard(location=location, link=link)
        for location, link in location_links(survey=survey, options=options, locations=locations)
    ]
    return qr_sheet_pdf(cards=cards, title=title, call_to_action=call_to_action)
