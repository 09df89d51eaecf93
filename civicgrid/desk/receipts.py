"""Query codes (查询码) on the visitor's receipt slip (回执).

An event opened at the desk gets the same kind of code a citizen gets from the public form (the
events app's `CitizenAccess`: only its hash is stored), so the visitor can follow the event and rate
it on the citizen pages. Disputes and petitions hand their own code back from their services when
they give one. The code is shown once, on the slip printed right after routing; a lost code is
replaced by a new one (the old one stops working).

TODO(events): the events app should offer this as `citizen_services.do_issue_query_code(case,
actor=)`; until it does, the desk writes the row here, exactly as `do_citizen_report` does.
"""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.cases.models import Case


def issue_event_code(case: Case, *, actor) -> str:
    """A new query code for an event (replacing any earlier one), inside the caller's transaction;
    returned formatted (XXXX-XXXX), its hash stored, the change audited (without the code)."""
    from civicgrid.events.citizen_services import CODE_ALPHABET, CODE_LENGTH, format_code
    from civicgrid.events.models import CitizenAccess

    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    fields = ("case", "created_at")
    access = CitizenAccess.objects.filter(case=case).first()
    if access is None:
        access = CitizenAccess.objects.create(
            case=case, code_hash=make_password(code), created_at=timezone.now()
        )
        record_change(
            actor=actor,
            action=ChangeAction.CREATE,
            instance=access,
            before=None,
            after=snapshot(access, fields=fields),
        )
    else:
        before = snapshot(access, fields=fields)
        access.code_hash = make_password(code)
        access.created_at = timezone.now()
        access.save(update_fields=["code_hash", "created_at"])
        record_change(
            actor=actor,
            action=ChangeAction.UPDATE,
            instance=access,
            before=before,
            after=snapshot(access, fields=fields),
        )
    return format_code(code)
