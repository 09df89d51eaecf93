"""The shared document renderer: both formats parse back, Chinese text is kept, hostile text is inert."""

import base64
import datetime
import io
import re
import zlib

import docx
import pytest
from docx.oxml.ns import qn

from civicgrid.core.documents import Document, Heading, clean_text, format_date, render_docx, render_pdf

HOSTILE = "<b>粗体</b> & <br/> <font name='Courier'>x</font> ]]> \x00\x07\x1b 😀 \ud800 &amp; %PDF"


def sample(**overrides):
    values = {
        "title": "人民调解协议书",
        "number": "江东调〔2026〕第12号",
        "fields": [("申请人", "张三，男，身份证号码 110101********1234"), ("被申请人", "李四有限公司")],
        "paragraphs": [
            Heading("一、纠纷主要事实"),
            "双方因宅基地边界发生争议。" * 30,
            Heading("二、协议内容"),
            "第一行\n第二行",
        ],
        "signatures": ["申请人（签名）：________", "被申请人（签名）：________"],
        "seal": "江东街道人民调解委员会",
        "date": datetime.date(2026, 3, 5),
        "footer": "本协议书一式三份。",
    }
    values.update(overrides)
    return Document(**values)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def pdf_streams_text(data: bytes) -> bytes:
    """The decoded page content streams (reportlab writes them ASCII85 + Flate)."""
    out = b""
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        body = match.group(1).strip()
        try:
            out += zlib.decompress(base64.a85decode(body.removeprefix(b"<~").removesuffix(b"~>")))
        except (ValueError, zlib.error):
            try:
                out += zlib.decompress(body)
            except zlib.error:
                out += body
    return out


def pdf_page_count(data: bytes) -> int:
    return int(re.search(rb"/Count (\d+)", data).group(1))


def test_pdf_is_a4_with_the_cid_font():
    data = render_pdf(sample())
    assert data.startswith(b"%PDF")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"STSong-Light" in data
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in data
    # A long paragraph wraps onto several lines: more than a handful of text-show operators.
    assert pdf_streams_text(data).count(b"Tj") > 10


def test_pdf_long_document_has_several_pages():
    data = render_pdf(sample(paragraphs=["很长的段落。" * 400]))
    assert pdf_page_count(data) >= 2
    assert pdf_page_count(render_pdf(sample())) == 1


def test_docx_parses_back_with_everything():
    data = render_docx(sample())
    text = docx_text(data)
    for expected in (
        "人民调解协议书",
        "江东调〔2026〕第12号",
        "一、纠纷主要事实",
        "申请人",
        "李四有限公司",
        "被申请人（签名）：________",
        "江东街道人民调解委员会",
        "2026年3月5日",
        "本协议书一式三份。",
    ):
        assert expected in text
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    assert round(section.page_width.mm) == 210
    assert round(section.page_height.mm) == 297
    # East-Asian font set on the runs and on the Normal style.
    run = document.paragraphs[0].runs[0]
    assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体"
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋"


def test_docx_newline_is_a_break_not_a_new_paragraph():
    document = docx.Document(io.BytesIO(render_docx(sample())))
    texts = [p.text for p in document.paragraphs]
    assert "第一行\n第二行" in texts


def test_hostile_text_cannot_break_either_format():
    doc = sample(
        title=HOSTILE,
        number=HOSTILE,
        fields=[(HOSTILE, HOSTILE)],
        paragraphs=[Heading(HOSTILE), HOSTILE],
        signatures=[HOSTILE],
        seal=HOSTILE,
        footer=HOSTILE,
    )
    pdf = render_pdf(doc)
    assert pdf.startswith(b"%PDF")
    assert b"Courier" not in pdf  # the markup was shown as text, not obeyed
    text = docx_text(render_docx(doc))
    assert "<b>粗体</b> & <br/> <font name='Courier'>x</font> ]]>" in text
    assert "\x00" not in text
    assert "\x07" not in text


def test_empty_document_renders():
    doc = Document(title="")
    assert render_pdf(doc).startswith(b"%PDF")
    assert docx_text(render_docx(doc)) == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, ""), ("a\r\nb\rc", "a\nb\nc"), ("x\x00y\x1f", "xy"), ("tab\there", "tab\there"), (12, "12")],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


def test_clean_text_for_pdf_replaces_characters_outside_the_font():
    assert clean_text("好😀", for_pdf=True) == "好□"
    assert clean_text("好😀") == "好😀"


def test_format_date():
    assert format_date(datetime.date(2026, 10, 8)) == "2026年10月8日"
    assert format_date(None) == ""
