"""The petition kind's parts of the command-centre case page (filled in below)."""

from __future__ import annotations

from civicgrid.cases.forms import KindPages, register_kind_pages


def register_petition_pages() -> KindPages:
    return register_kind_pages(KindPages("petition"))
