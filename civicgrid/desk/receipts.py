"""Query codes (查询码) on the visitor's receipt slip (回执).

An event opened at the desk gets the same kind of code a citizen gets from the public form
(`events.citizen_services.issue_query_code`: only its hash is stored), so the visitor can follow the
event and rate it on the citizen pages. Disputes and petitions hand their own code back from their
services when they give one. The code is shown once, on the slip printed right after routing; a
lost code is replaced by a new one (the old one stops working).
"""

from __future__ import annotations

from civicgrid.cases.models import Case
from civicgrid.events.citizen_services import issue_query_code


def issue_event_code(case: Case, *, actor) -> str:
    """A new query code for an event (replacing any earlier one), inside the caller's transaction."""
    return issue_query_code(case, actor=actor)
