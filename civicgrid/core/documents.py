"""Official documents (文书) rendered as PDF and DOCX from one plain description.

A kind builds a `Document` from a case (调解协议书, 受理告知书, 处理意见书 …) and hands it to
`render_pdf` or `render_docx`; both return bytes for a download response. The module is pure: no
database, no request, no files on disk. Text is always plain text, never markup: whatever a user
typed (angle brackets, ampersands, control characters, characters outside the font) is shown as
written or dropped, and cannot change the document's structure.

PDF uses reportlab's built-in CID font STSong-Light (Adobe-GB1; the reader supplies the glyphs, so
no font file is shipped and it works offline) on A4 with CJK line wrapping. DOCX uses python-docx
with 仿宋 for the body and 宋体 for the title, set for East-Asian text (w:eastAsia) so Word does not
fall back to a Latin font.

Layout (the usual order of a Chinese administrative document, simplified): title, document number
(文号) on the right, a table of fields (label | value), the body paragraphs and headings, signature
lines, the issuing organisation (落款, where the seal goes) and the date, right-aligned.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

__all__ = ["Document", "Heading", "clean_text", "format_date", "render_docx", "render_pdf"]

PDF_FONT = "STSong-Light"
DOCX_BODY_FONT = "仿宋"
DOCX_TITLE_FONT = "宋体"

# Control characters other than tab and newline are not allowed in XML (DOCX) and mean nothing in
# a PDF; lone surrogates cannot be encoded at all.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# STSong-Light is addressed through a UCS-2 CMap: characters beyond the Basic Multilingual Plane
# (emoji, rare CJK extension B characters) have no glyph there.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_REPLACEMENT = "□"


@dataclass(frozen=True)
class Heading:
    """A heading between body paragraphs (e.g. "一、纠纷主要事实")."""

    text: str


@dataclass(frozen=True)
class Document:
    title: str
    number: str = ""
    fields: Sequence[tuple[str, str]] = ()
    paragraphs: Sequence[str | Heading] = ()
    signatures: Sequence[str] = ()
    seal: str = ""
    date: datetime.date | None = None
    footer: str = ""


def clean_text(value, *, for_pdf: bool = False) -> str:
    """Plain text safe for both renderers: None → "", control characters dropped, CRLF → LF."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    if for_pdf:
        text = _ASTRAL.sub(_REPLACEMENT, text)
    return text


def format_date(value: datetime.date | None) -> str:
    """2026年3月5日 (no leading zeros, as on official documents)."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


# ---------------------------------------------------------------- PDF


def _pdf_markup(value) -> str:
    """Plain text → reportlab Paragraph markup: escaped, newlines as line breaks."""
    return escape(clean_text(value, for_pdf=True)).replace("\n", "<br/>")


def _pdf_styles():
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    base = {"fontName": PDF_FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle("title", fontSize=20, leading=30, alignment=TA_CENTER, spaceAfter=6, **base),
        "number": ParagraphStyle(
            "number", fontSize=11, leading=16, alignment=TA_RIGHT, spaceAfter=10, **base
        ),
        "heading": ParagraphStyle(
            "heading", fontSize=13, leading=22, alignment=TA_LEFT, spaceBefore=8, spaceAfter=2, **base
        ),
        "body": ParagraphStyle(
            "body", fontSize=12, leading=21, alignment=TA_JUSTIFY, firstLineIndent=24, spaceAfter=4, **base
        ),
        "cell": ParagraphStyle("cell", fontSize=11, leading=16, alignment=TA_LEFT, **base),
        "label": ParagraphStyle("label", fontSize=11, leading=16, alignment=TA_CENTER, **base),
        "signature": ParagraphStyle("signature", fontSize=12, leading=26, alignment=TA_LEFT, **base),
        "right": ParagraphStyle("right", fontSize=12, leading=22, alignment=TA_RIGHT, **base),
        "footer": ParagraphStyle("footer", fontSize=9, leading=13, alignment=TA_LEFT, spaceBefore=12, **base),
    }


def render_pdf(doc: Document) -> bytes:
    """The document as an A4 PDF (bytes starting with %PDF)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = _pdf_styles()
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=28 * mm,
        rightMargin=26 * mm,
        topMargin=30 * mm,
        bottomMargin=28 * mm,
        title=clean_text(doc.title, for_pdf=True),
        author=clean_text(doc.seal, for_pdf=True),
    )
    story = [Paragraph(_pdf_markup(doc.title), styles["title"])]
    if doc.number:
        story.append(Paragraph(_pdf_markup(doc.number), styles["number"]))
    if doc.fields:
        width = template.width
        rows = [
            [Paragraph(_pdf_markup(label), styles["label"]), Paragraph(_pdf_markup(value), styles["cell"])]
            for label, value in doc.fields
        ]
        table = Table(rows, colWidths=[width * 0.24, width * 0.76], repeatRows=0)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("TOPPADDING", (0, 0), (-1, -1), 4),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ]
            )
        )
        story += [table, Spacer(1, 8)]
    for item in doc.paragraphs:
        if isinstance(item, Heading):
            story.append(Paragraph(_pdf_markup(item.text), styles["heading"]))
        else:
            story.append(Paragraph(_pdf_markup(item), styles["body"]))
    if doc.signatures:
        story.append(Spacer(1, 14))
        story += [Paragraph(_pdf_markup(line), styles["signature"]) for line in doc.signatures]
    if doc.seal or doc.date:
        story.append(Spacer(1, 20))
        if doc.seal:
            story.append(Paragraph(_pdf_markup(doc.seal), styles["right"]))
        if doc.date:
            story.append(Paragraph(_pdf_markup(format_date(doc.date)), styles["right"]))
    if doc.footer:
        story.append(Paragraph(_pdf_markup(doc.footer), styles["footer"]))
    template.build(story)
    return buffer.getvalue()


# ---------------------------------------------------------------- DOCX


def _set_run_font(run, name: str, size_pt: float, *, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    r_pr = run._element.get_or_add_rPr()
    r_fonts = r_pr.find(qn("w:rFonts"))
    if r_fonts is None:  # pragma: no cover - python-docx creates it when the name is set
        r_fonts = r_pr.makeelement(qn("w:rFonts"), {})
        r_pr.append(r_fonts)
    r_fonts.set(qn("w:eastAsia"), name)


def _add_text(paragraph, text, font: str, size: float, *, bold: bool = False) -> None:
    """Adds plain text; a newline becomes a line break inside the paragraph."""
    for index, line in enumerate(clean_text(text).split("\n")):
        run = paragraph.add_run()
        if index:
            run.add_break()
        run.add_text(line)
        _set_run_font(run, font, size, bold=bold)


def render_docx(doc: Document) -> bytes:
    """The document as an A4 Word file (.docx bytes)."""
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.top_margin, section.bottom_margin = Mm(30), Mm(28)

    normal = document.styles["Normal"]
    normal.font.name = DOCX_BODY_FONT
    normal.font.size = Pt(14)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), DOCX_BODY_FONT)
    document.core_properties.title = clean_text(doc.title)[:255]
    document.core_properties.author = clean_text(doc.seal)[:255]

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _add_text(title, doc.title, DOCX_TITLE_FONT, 22, bold=True)
    if doc.number:
        number = document.add_paragraph()
        number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _add_text(number, doc.number, DOCX_BODY_FONT, 12)
    if doc.fields:
        table = document.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for label, value in doc.fields:
            cells = table.add_row().cells
            cells[0].width, cells[1].width = Mm(38), Mm(118)
            _add_text(cells[0].paragraphs[0], label, DOCX_BODY_FONT, 12, bold=True)
            _add_text(cells[1].paragraphs[0], value, DOCX_BODY_FONT, 12)
        document.add_paragraph()
    for item in doc.paragraphs:
        paragraph = document.add_paragraph()
        if isinstance(item, Heading):
            _add_text(paragraph, item.text, DOCX_TITLE_FONT, 14, bold=True)
        else:
            paragraph.paragraph_format.first_line_indent = Pt(28)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _add_text(paragraph, item, DOCX_BODY_FONT, 14)
    if doc.signatures:
        document.add_paragraph()
        for line in doc.signatures:
            _add_text(document.add_paragraph(), line, DOCX_BODY_FONT, 14)
    if doc.seal or doc.date:
        document.add_paragraph()
        for line in (doc.seal, format_date(doc.date)):
            if line:
                paragraph = document.add_paragraph()
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                _add_text(paragraph, line, DOCX_BODY_FONT, 14)
    if doc.footer:
        _add_text(document.add_paragraph(), doc.footer, DOCX_BODY_FONT, 10.5)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
