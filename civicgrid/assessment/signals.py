"""Mark a case's opening day dirty (rollups) in the same transaction as any change to what the
figures or the density map count: the case itself (register, dispatch and lead unit, status,
close, reopen, merge, place), its clocks (started, stopped met/missed, paused, by the worker), its
event details (first response, callback, satisfaction, reopen count, channel, category) and its
assessment exclusion; and every batch of the bulk import (its own signal). Connected in
`AssessmentConfig.ready`."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from civicgrid.cases.models import Case, CaseDeadline
from civicgrid.events.models import EventDetails

from .models import Exclusion
from .rollups import mark_case_dirty, mark_days_dirty


def case_changed(sender, instance, raw=False, **kwargs):
    if raw:  # fixtures: loaddata does not go through the services; rebuild afterwards
        return
    mark_days_dirty([instance.opened_at])


def related_changed(sender, instance, raw=False, created=False, **kwargs):
    if raw:
        return
    if created and sender is EventDetails:
        # New details are only ever written with their new case, in the same transaction (intake's
        # on_open; the bulk import marks its own days), and the case's save has marked the day.
        return
    # The case is usually at hand (the services pass it): its opening day without a query.
    mark_case_dirty(instance.case_id, instance._state.fields_cache.get("case"))


def cases_imported(sender, opened=(), **kwargs):
    """The bulk import's batch signal (`civicgrid.events.bulk.cases_written`, sent inside the
    batch's transaction with `case_ids` and `opened`, the opening moments of the cases written):
    it writes through the cursor, past the model signals."""
    mark_days_dirty(opened)


def connect() -> None:
    from civicgrid.events.bulk import cases_written

    cases_written.connect(cases_imported, dispatch_uid="assessment.rollup.imported")
    for signal in (post_save, post_delete):
        signal.connect(
            case_changed, sender=Case, dispatch_uid=f"assessment.rollup.case.{signal is post_save}"
        )
        for model in (CaseDeadline, EventDetails, Exclusion):
            signal.connect(
                related_changed,
                sender=model,
                dispatch_uid=f"assessment.rollup.{model._meta.model_name}.{signal is post_save}",
            )
