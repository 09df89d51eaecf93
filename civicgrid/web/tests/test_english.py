"""The English catalogue: every message is translated, placeholders survive, the compiled .mo
matches the .po, and a user who chose English (or an API client asking for it) gets English."""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.world import PASSWORD

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = CATALOGUE / "django.po"
MO_FILE = CATALOGUE / "django.mo"

# CJK ideographs and CJK punctuation/full-width forms: none of them belongs on an English page.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
# %(name)s / %(km).0f, bare %s / %d, and {name} (DRF's str.format messages); "%%" is a literal.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%[-#0 +]*\d*(?:\.\d+)?[sdifr]|\{[A-Za-z_]\w*\}"
)


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file (header included) as dicts: flags, msgid, msgid_plural, msgstr
    or msgstr[n]. Obsolete entries (#~) are skipped."""
    entries: list[dict] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set()}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"].update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            elif line.strip():
                key, _, quoted = line.partition(" ")
                entry[key] = ast.literal_eval(quoted)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def translations(entry: dict) -> list[str]:
    return [value for key, value in sorted(entry.items()) if key.startswith("msgstr")]


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


ENTRIES = parse_po(PO_FILE)
MESSAGES = [e for e in ENTRIES if e["msgid"]]


def test_catalogue_has_messages_and_a_clean_header():
    assert len(MESSAGES) > 400
    header = ENTRIES[0]
    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Language: en\n" in header["msgstr"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [e["msgid"] for e in MESSAGES if not all(s.strip() for s in translations(e))]
    fuzzy = [e["msgid"] for e in MESSAGES if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_plural_messages_have_both_forms():
    plurals = [e for e in MESSAGES if "msgid_plural" in e]
    assert plurals, "the templates use {% blocktranslate count %}"
    for entry in plurals:
        assert {k for k in entry if k.startswith("msgstr")} == {"msgstr[0]", "msgstr[1]"}, entry["msgid"]


def test_translations_are_english():
    assert [e["msgid"] for e in MESSAGES if any(CJK.search(s) for s in translations(e))] == []


def test_placeholders_match():
    mismatched = []
    for entry in MESSAGES:
        expected = placeholders(entry["msgid"])
        if "msgid_plural" in entry:
            expected = placeholders(entry["msgid_plural"])
        for text in translations(entry):
            if placeholders(text) != expected:
                mismatched.append((entry["msgid"], text))
    assert mismatched == []


def test_placeholder_pattern_sees_every_kind():
    assert placeholders("%(km).0f %(name)s %s %d {pk_value} %%") == Counter(
        ["%(km).0f", "%(name)s", "%s", "%d", "{pk_value}"]
    )


def test_compiled_catalogue_matches_the_po_file():
    with MO_FILE.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for entry in MESSAGES:
        if "msgid_plural" in entry:
            pairs = [
                (compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1), entry["msgstr[0]"]),
                (compiled.ngettext(entry["msgid"], entry["msgid_plural"], 2), entry["msgstr[1]"]),
            ]
        elif "msgctxt" in entry:
            pairs = [(compiled.pgettext(entry["msgctxt"], entry["msgid"]), entry["msgstr"])]
        else:
            pairs = [(compiled.gettext(entry["msgid"]), entry["msgstr"])]
        stale += [(entry["msgid"], got) for got, want in pairs if got != want]
    assert stale == [], "run: .venv/bin/python manage.py compilemessages --ignore=node_modules --ignore=.venv"


# --- the pages and the API in English --------------------------------------------------------------


def english_client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# The language menu names each language in itself, so "简体中文" stays Chinese on an English page.
LANGUAGE_OPTION = re.compile(r'<option value="zh-hans"[^>]*>\s*简体中文\s*</option>')
# The logo glyph in the header (aria-hidden, not text): templates/base.html, templates/500.html.
BRAND_EMBLEM = '<span class="brand__emblem" aria-hidden="true">治</span>'


def cjk_outside_allowed(html: str) -> list[str]:
    rest = LANGUAGE_OPTION.sub("", html).replace(BRAND_EMBLEM, "")
    return [line.strip() for line in rest.splitlines() if CJK.search(line)]


@pytest.mark.django_db
def test_login_page_in_english():
    response = english_client().get("/accounts/login/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "<title>Log in · Municipal Social Governance Platform</title>" in html
    assert "<h1>Log in</h1>" in html
    assert "Please log in with the account your unit assigned to you." in html
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert '<option value="en" selected>English</option>' in html
    assert LANGUAGE_OPTION.search(html)
    assert cjk_outside_allowed(html) == []


@pytest.mark.django_db
def test_login_errors_in_english(world):
    client = english_client()
    html = client.post("/accounts/login/", {"username": "", "password": ""}).content.decode()
    assert "Please enter your username." in html and "Please enter your password." in html
    html = client.post("/accounts/login/", {"username": "township", "password": "wrong"}).content.decode()
    assert "Incorrect username or password. Please try again; passwords are case-sensitive." in html
    assert cjk_outside_allowed(html) == []


@pytest.mark.django_db
def test_home_and_area_browser_in_english(world):
    client = english_client()
    assert client.post("/accounts/login/", {"username": "township", "password": PASSWORD}).status_code == 302
    home = client.get("/").content.decode()
    assert "My responsibilities" in home and "Open areas and grids" in home
    assert ">Areas and grids</a>" in home and ">Log out</button>" in home
    browser = client.get("/areas/").content.decode()
    assert "<h2>Administrative divisions</h2>" in browser
    assert "<h2>Grids</h2>" in browser
    assert "<th>Grid code</th><th>Name</th><th>Type</th><th>Village/community</th>" in browser
    assert "Township/street" in browser and "Base grid" in browser


@pytest.mark.django_db
def test_api_error_in_english(world, api_client_for):
    client = api_client_for("admin")
    response = client.post(
        "/api/v1/areas/",
        {"code": "12345", "name": "Bad", "vintage": 2024},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    assert response.json() == {
        "code": ['An area code must be 12 digits: "12345"'],
        "error_code": "invalid_code",
    }


@pytest.mark.django_db
def test_api_field_error_in_english(world, api_client_for):
    response = api_client_for("admin").get(
        "/api/v1/locate", {"lon": "east", "lat": "30"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["lon"] == ["Longitude must be a number."]
