"""Entering a holiday schedule recomputes the provisional deadlines that reach into that year."""

import datetime as dt

import time_machine

from civicgrid.calendars.services import do_enter_year_schedule
from civicgrid.cases import services
from civicgrid.cases.models import Case, CaseDeadline, TimelineEntry

TZ = dt.timezone(dt.timedelta(hours=8))


def test_entered_schedule_recomputes_provisional_deadlines(
    world, open_case, django_capture_on_commit_callbacks
):
    with time_machine.travel(dt.datetime(2026, 12, 28, 9, 0, tzinfo=TZ), tick=False):
        case = open_case()
        case = services.do_apply_action(case, "register", actor=world.user("township"), expected_version=1)
    handling = CaseDeadline.objects.get(case=case, name="handling")
    # Weekends alone: Tue 29, Wed 30, Thu 31, Fri Jan 1, Mon Jan 4.
    assert (handling.due_date, handling.provisional, handling.unknown_years) == (
        dt.date(2027, 1, 4),
        True,
        [2026, 2027],
    )
    with django_capture_on_commit_callbacks(execute=True):
        do_enter_year_schedule(
            actor=world.user("admin"),
            year=2027,
            days=[
                {"date": "2027-01-01", "kind": "holiday", "name": "元旦", "note": ""},
                {"date": "2027-01-04", "kind": "holiday", "name": "测试", "note": ""},
            ],
            source="测试通知",
        )
    handling.refresh_from_db()
    # Jan 1 and Jan 4 are now holidays: Tue 29, Wed 30, Thu 31, Tue Jan 5, Wed Jan 6. 2026 is still
    # unpublished in this database, so the deadline stays provisional.
    assert (handling.due_date, handling.provisional, handling.unknown_years) == (
        dt.date(2027, 1, 6),
        True,
        [2026],
    )
    case = Case.objects.get(pk=case.pk)
    assert case.due_at == dt.datetime(2027, 1, 7, tzinfo=TZ)
    assert case.version == 2  # the system's correction does not make users' forms stale
    entry = TimelineEntry.objects.get(case=case, kind="deadlines_recomputed")
    assert [c["clock"] for c in entry.data["changes"]] == ["handling"]
