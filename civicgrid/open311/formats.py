"""The two wire formats of GeoReport v2: XML (required by the spec) and JSON (the Spark mapping of
the XML: a list response is a JSON array of objects, a single object stays an object).

Every value is rendered the same way in both: None → an empty element / null, booleans →
"true"/"false", datetimes → ISO 8601 with the UTC offset in the platform's time zone
(2026-11-28T09:30:00+08:00), numbers as numbers. UTF-8 everywhere, with the XML declaration.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}


def w3_time(value: dt.datetime | None, tz=None) -> str | None:
    """ISO 8601 with the offset, as the spec requires (a W3C-NOTE-datetime profile)."""
    if value is None:
        return None
    return value.astimezone(tz or timezone.get_current_timezone()).isoformat(timespec="seconds")


def _plain(value, tz):
    if isinstance(value, dt.datetime):
        return w3_time(value, tz)
    if isinstance(value, dict):
        return {k: _plain(v, tz) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, tz) for v in value]
    return value


# Characters XML 1.0 cannot carry (C0 controls other than tab, line feed and carriage return, lone
# surrogates, U+FFFE/U+FFFF): a stored text that holds one must not make the whole answer unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value, tz) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3_time(value, tz)
    return _NOT_XML.sub("\ufffd", str(value))


# XML names of the items of a list-valued field (attributes → attribute, values → value ...).
ITEM_NAMES = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def _element(parent: ET.Element, name: str, value, tz) -> None:
    node = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, inner in value.items():
            _element(node, key, inner, tz)
    elif isinstance(value, list | tuple):
        child = ITEM_NAMES.get(name, "item")
        for inner in value:
            _element(node, child, inner, tz)
    else:
        node.text = _text(value, tz)


def to_xml(data, root: str, item: str | None) -> bytes:
    """`data` is a list of dicts rendered as <root><item>…</item>…</root>, or (item None) one dict
    rendered as <root>…</root>."""
    top = ET.Element(root)
    tz = timezone.get_current_timezone()
    if item is None:
        for key, value in data.items():
            _element(top, key, value, tz)
    else:
        for row in data:
            _element(top, item, row, tz)
    ET.indent(top, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="unicode").encode("utf-8")


def respond(data, fmt: str, root: str, item: str | None, status: int = 200) -> HttpResponse:
    if fmt == "json":
        body = json.dumps(_plain(data, timezone.get_current_timezone()), ensure_ascii=False).encode("utf-8")
    else:
        body = to_xml(data, root, item)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def error_response(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """The spec's error body: <errors><error><code>…</code><description>…</description></error>…;
    in JSON an array of {code, description}. The code is the HTTP status, as in the spec."""
    rows = [{"code": status, "description": text} for text in descriptions]
    return respond(rows, fmt if fmt in FORMATS else "xml", "errors", "error", status=status)
