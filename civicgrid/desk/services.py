"""The one-stop centre's writers: register a walk-in once, route it (dispute, petition or event)
in one transaction with the case it opens, re-route it later by opening a new linked case, answer it
at the desk, urge its case, print the receipt, reveal a visitor's data (logged).

Every writer checks the actor's desk permission over the visit's place (a visit out of reach is
`NotPermitted`, a 404 like a missing one), takes the version the user saw, writes the visit's history
and one audit row, and leaves nothing half-written on any refusal. The routed case is opened by its
kind's own service (see routes.py), which checks the actor's case permissions itself.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Grid
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_access, record_change, snapshot
from civicgrid.cases import timeline as case_timeline
from civicgrid.cases.models import Case, CaseParty
from civicgrid.cases.parties import clean_parties, party_row
from civicgrid.cases.services import can_act, do_urge, next_serial
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.personal_data import can_reveal
from civicgrid.core.scope import path_in_scope
from civicgrid.events.intake import resolve_place

from . import routes
from .choices import GROUP_VISIT_SIZE, Route, VisitAction, VisitorRole, VisitStatus
from .error_codes import DeskErrorCode
from .models import Visit, VisitEntry, VisitParty, VisitRouting

VIEW = "desk.view_visit"
ADD = "desk.add_visit"
ROUTE = "desk.route_visit"

MAX_PEOPLE = 10000
_PARTY_FIELDS = ("role", "kind", "name", "id_card", "org_code", "phone", "address", "data")


def not_found() -> NotPermitted:
    return NotPermitted(DeskErrorCode.NOT_FOUND, _("来访登记不存在或无权访问"))


def visible_visits(user):
    return Visit.objects.restrict(user, VIEW)


def get_visit(user, pk, action: str = VIEW) -> Visit:
    """The visit if `user` holds `action` over its place, else NotPermitted (answered as 404)."""
    try:
        return Visit.objects.restrict(user, action).select_related("area", "grid", "case").get(pk=pk)
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise not_found() from None


# --- checks -----------------------------------------------------------------------------------


def _text(value, field: str, limit: int, *, required: bool = False, label: str = "") -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ServiceError(DeskErrorCode.REQUIRED, _("应为文字"), field=field)
    value = value.strip()
    if required and not value:
        raise ServiceError(DeskErrorCode.REQUIRED, _("请填写%(label)s") % {"label": label}, field=field)
    if len(value) > limit:
        raise ServiceError(DeskErrorCode.TOO_LONG, _("不能超过 %(limit)s 字") % {"limit": limit}, field=field)
    return value


def _people_count(value) -> int:
    try:
        count = int(str(value).strip()) if value not in (None, "") else 1
    except (TypeError, ValueError):
        raise ServiceError(
            DeskErrorCode.INVALID_NUMBER, _("请填写来访人数（整数）"), field="people_count"
        ) from None
    if not 1 <= count <= MAX_PEOPLE:
        raise ServiceError(
            DeskErrorCode.INVALID_NUMBER,
            _("来访人数应在 1 至 %(max)s 之间") % {"max": MAX_PEOPLE},
            field="people_count",
        )
    return count


def _place(*, grid_code, lon, lat, area_code):
    """(area, grid, path, lon, lat, field) from a grid code, coordinates or an area code."""
    if grid_code not in (None, ""):
        grid = (
            Grid.objects.select_related("village").filter(code=str(grid_code).strip(), is_active=True).first()
        )
        if grid is None:
            raise ServiceError(
                DeskErrorCode.UNKNOWN_GRID, _("网格“%(code)s”不存在") % {"code": grid_code}, field="grid_code"
            )
        return grid.village, grid, grid.path, None, None, "grid_code"
    place = resolve_place(lon, lat, "wgs84", area_code)
    path = place.grid.path if place.grid is not None else place.area.path
    field = "location" if place.lon is not None else "area_code"
    return place.area, place.grid, path, place.lon, place.lat, field


def _clean_visit_parties(raws) -> list[dict]:
    cleaned = clean_parties(raws or [])
    for i, party in enumerate(cleaned):
        if party["role"] not in VisitorRole.values:
            raise ServiceError(DeskErrorCode.INVALID_ROLE, _("请选择人员身份"), field=f"parties[{i}].role")
    if not any(p["role"] == VisitorRole.VISITOR for p in cleaned):
        raise ServiceError(DeskErrorCode.NO_VISITOR, _("请至少登记一名来访人"), field="parties")
    return cleaned


def _received_at(value) -> dt.datetime:
    now = timezone.now()
    if value in (None, ""):
        return now
    if not isinstance(value, dt.datetime):
        raise ServiceError(DeskErrorCode.INVALID_TIME, _("来访时间格式不正确"), field="received_at")
    if timezone.is_naive(value):
        value = value.replace(tzinfo=LOCAL_TZ)
    if value > now + dt.timedelta(minutes=5):
        raise ServiceError(DeskErrorCode.INVALID_TIME, _("来访时间不能晚于现在"), field="received_at")
    return value


# Visit numbers are drawn from the kernel's numbering (one sequence per prefix, row-locked).
VISIT_SEQUENCE = "desk_visit"


def _next_number(area, at: dt.datetime) -> str:
    prefix = f"LF{area.code[:6]}{at.astimezone(LOCAL_TZ):%Y%m%d}"
    return f"{prefix}{next_serial(VISIT_SEQUENCE, prefix):04d}"


def _entry(visit: Visit, action: str, actor, now, note: str = "", data: dict | None = None) -> VisitEntry:
    return VisitEntry.objects.create(
        visit=visit,
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        time=now,
        note=note,
        data=data or {},
    )


def _lock(visit: Visit | int, actor, action: str, expected_version) -> Visit:
    pk = visit.pk if isinstance(visit, Visit) else visit
    try:
        locked = Visit.objects.select_for_update().restrict(actor, action).get(pk=pk)
    except (Visit.DoesNotExist, ValueError, TypeError):
        raise not_found() from None
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        raise ServiceError(DeskErrorCode.CONFLICT, _("缺少版本号，请刷新后重试"), field="version") from None
    if locked.version != expected:
        raise ServiceError(
            DeskErrorCode.CONFLICT,
            _("该来访登记已被他人更新，请刷新后重试"),
            field="version",
            params={"current": locked.version, "expected": expected},
        )
    return locked


def _join(text: str, note: str) -> str:
    return f"{text}：{note}" if note else text


def _save(visit: Visit, before: dict, actor, fields: list[str]) -> None:
    visit.version += 1
    visit.save(update_fields=[*fields, "version"])
    record_change(
        actor=actor, action=ChangeAction.UPDATE, instance=visit, before=before, after=snapshot(visit)
    )


# --- register ---------------------------------------------------------------------------------


def do_register_visit(
    *,
    actor,
    title,
    description="",
    parties=(),
    people_count=1,
    grid_code=None,
    lon=None,
    lat=None,
    area_code=None,
    address="",
    received_at=None,
    idempotency_key=None,
) -> Visit:
    """来访登记: the matter, its place (a grid code, coordinates or an area code), the people who came
    (kernel party rules; at least one 来访人) and how many came (≥ 5: a group visit). Pending in the
    desk's queue until routed or answered."""
    key = _text(idempotency_key, "idempotency_key", 100) or None
    if key is not None:
        found = _repeated(key, actor)
        if found is not None:
            return found
    title = _text(title, "title", 200, required=True, label=_("来访事项"))
    description = _text(description, "description", 5000)
    address = _text(address, "address", 200)
    count = _people_count(people_count)
    cleaned = _clean_visit_parties(parties)
    visitors = sum(1 for p in cleaned if p["role"] == VisitorRole.VISITOR)
    if count < visitors:
        raise ServiceError(
            DeskErrorCode.INVALID_NUMBER,
            _("来访人数不能少于登记的来访人（%(n)s 人）") % {"n": visitors},
            field="people_count",
        )
    area, grid, path, lon, lat, place_field = _place(
        grid_code=grid_code, lon=lon, lat=lat, area_code=area_code
    )
    if not path_in_scope(actor, ADD, path):
        raise ServiceError(DeskErrorCode.OUT_OF_SCOPE, _("该地点不在您的受理范围内"), field=place_field)
    at = _received_at(received_at)
    try:
        return _create_visit(
            actor, key, area, grid, path, lon, lat, at, title, description, address, count, cleaned
        )
    except IntegrityError:
        # The same key submitted twice at once: the loser returns the winner's visit.
        found = _repeated(key, actor) if key is not None else None
        if found is None:
            raise
        return found


def _repeated(key: str, actor) -> Visit | None:
    """The visit registered earlier with this key (marked `repeated`), or None; another user's key
    is refused without saying whose visit it is."""
    found = Visit.objects.filter(idempotency_key=key).first()
    if found is None:
        return None
    if found.received_by_id != getattr(actor, "pk", None):
        raise ServiceError(
            DeskErrorCode.INVALID_KEY, _("幂等键已被使用，请刷新页面后重试"), field="idempotency_key"
        )
    found.repeated = True
    return found


def _create_visit(actor, key, area, grid, path, lon, lat, at, title, description, address, count, cleaned):
    with transaction.atomic():
        visit = Visit.objects.create(
            idempotency_key=key,
            number=_next_number(area, at),
            title=title,
            description=description,
            area=area,
            grid=grid,
            path=path,
            lon=lon,
            lat=lat,
            address=address,
            people_count=count,
            is_group=count >= GROUP_VISIT_SIZE,
            received_at=at,
            received_by=actor,
            centre_unit_id=getattr(actor, "unit_id", None),
        )
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=visit, before=None, after=snapshot(visit)
        )
        for values in cleaned:
            party = VisitParty.objects.create(
                visit=visit, **{k: values[k] for k in (*_PARTY_FIELDS, "id_digest", "digest_alg")}
            )
            record_change(
                actor=actor, action=ChangeAction.CREATE, instance=party, before=None, after=snapshot(party)
            )
        _entry(visit, VisitAction.REGISTERED, actor, timezone.now(), data={"people_count": count})
    return visit


# --- route ------------------------------------------------------------------------------------


def _raw(row) -> dict:
    return {key: getattr(row, key) for key in _PARTY_FIELDS}


def _parties_of_case(case: Case, previous_route: str) -> list[dict]:
    """The previous case's parties as the desk's roles (a re-routing hands them on)."""
    back = {v: k for k, v in routes._role_map(previous_route).items()}
    rows = []
    for party in CaseParty.objects.filter(case=case).order_by("id"):
        raw = _raw(party)
        raw["role"] = back.get(
            party.role, party.role if party.role in VisitorRole.values else VisitorRole.OTHER_PARTY
        )
        rows.append(raw)
    return rows


def do_route_visit(visit: Visit | int, *, actor, expected_version, route, note="", options=None):
    """分流: open the route's case for the visit (its kind's service, its checks), in one transaction
    with the visit's update — both or nothing. A visit already routed is re-routed: a new case linked
    to the current one (the reason is required), the link kept both ways (the visit's history, both
    cases' timelines). Returns (visit, routes.Opened)."""
    route = routes.check_route(route)
    note = _text(note, "note", 2000)
    cleaned_options = routes.clean_options(route, options or {})
    with transaction.atomic():
        locked = _lock(visit, actor, ROUTE, expected_version)
        before, now = snapshot(locked), timezone.now()
        previous = locked.case
        if locked.status == VisitStatus.ANSWERED:
            raise ServiceError(DeskErrorCode.NOT_PENDING, _("该来访已当场答复，不能再分流"), field="route")
        if previous is not None:
            if not note:
                raise ServiceError(DeskErrorCode.NOTE_REQUIRED, _("再次分流请填写原因"), field="note")
            if not can_act(actor, "cases.view_case", previous):
                # A case the actor may not read (检举控告): its parties are not handed on by them.
                raise ServiceError(
                    DeskErrorCode.CASE_HIDDEN, _("您无权查看原案件，不能据此再次分流"), field="route"
                )
            if previous.kind == route and previous.closed_at is None:
                raise ServiceError(
                    DeskErrorCode.SAME_ROUTE_OPEN,
                    _("原案件 %(number)s 仍在办理中，不能重复分流到同一去向") % {"number": previous.number},
                    field="route",
                )
            parties = _parties_of_case(previous, locked.route)
        else:
            parties = [_raw(p) for p in locked.parties.all()]
        try:
            opened = routes.open_case(
                route, locked, actor=actor, parties=parties, options=cleaned_options, previous_case=previous
            )
        except NotPermitted:
            # The visit is within reach, so saying that this route's kind is not the actor's
            # business here reveals nothing; a 404 would only puzzle the desk.
            raise ServiceError(
                DeskErrorCode.ROUTE_NOT_PERMITTED,
                _("您无权在该地点登记“%(route)s”类案件，请选择其他去向或转交有权限的人员")
                % {"route": Route(route).label},
                field="route",
            ) from None
        case = opened.case
        if route == Route.EVENT and not opened.query_code:
            from .receipts import issue_event_code

            opened.query_code = issue_event_code(case, actor=actor)
        VisitRouting.objects.create(
            visit=locked,
            case=case,
            route=route,
            previous_case=previous,
            routed_by=actor,
            routed_at=now,
            note=note,
        )
        for party in locked.parties.all():
            record_change(
                actor=actor, action=ChangeAction.DELETE, instance=party, before=snapshot(party), after=None
            )
        locked.parties.all().delete()  # the case keeps them from now on
        locked.case, locked.route, locked.status, locked.routed_at = case, route, VisitStatus.ROUTED, now
        _save(locked, before, actor, ["case", "route", "status", "routed_at"])
        data = {"case": case.pk, "number": case.number, "route": route}
        if previous is not None:
            data["previous_case"], data["previous_number"] = previous.pk, previous.number
            case_timeline.record(
                previous,
                actor,
                now,
                "desk_rerouted",
                note=_join(
                    _("来访 %(visit)s 再次分流，新案件 %(case)s")
                    % {"visit": locked.number, "case": case.number},
                    note,
                ),
                data={"visit": locked.number, "case": case.number},
            )
        opened_from = (
            _("由一站式受理来访 %(visit)s 分流（原案件 %(case)s）")
            % {"visit": locked.number, "case": previous.number}
            if previous is not None
            else _("由一站式受理来访 %(visit)s 分流") % {"visit": locked.number}
        )
        case_timeline.record(
            case,
            actor,
            now,
            "desk_visit",
            note=_join(opened_from, note),
            data={"visit": locked.number, **({"previous_case": previous.number} if previous else {})},
        )
        _entry(locked, VisitAction.REROUTED if previous else VisitAction.ROUTED, actor, now, note, data)
    return locked, opened


def do_answer_visit(visit: Visit | int, *, actor, expected_version, answer) -> Visit:
    """当场答复: a consultation answered at the desk; no case is opened. Only a pending visit."""
    answer = _text(answer, "answer", 2000, required=True, label=_("答复内容"))
    with transaction.atomic():
        locked = _lock(visit, actor, ROUTE, expected_version)
        if locked.status != VisitStatus.PENDING:
            raise ServiceError(DeskErrorCode.NOT_PENDING, _("只有待分流的来访可以当场答复"), field="answer")
        before, now = snapshot(locked), timezone.now()
        locked.status, locked.answer = VisitStatus.ANSWERED, answer
        _save(locked, before, actor, ["status", "answer"])
        _entry(locked, VisitAction.ANSWERED, actor, now, answer)
    return locked


def do_urge_visit_case(visit: Visit | int, *, actor, expected_version, note="") -> Case:
    """催办 from the desk: the kernel's urge on the visit's current case (`expected_version` is the
    case's), noted in the visit's history. The centre drives the procedure; the unit does the
    substance."""
    note = _text(note, "note", 2000)
    with transaction.atomic():
        pk = visit.pk if isinstance(visit, Visit) else visit
        found = get_visit(actor, pk)
        if found.case_id is None:
            raise ServiceError(DeskErrorCode.NOT_ROUTED, _("该来访尚未分流，没有可催办的案件"), field="case")
        case = do_urge(found.case_id, actor=actor, expected_version=expected_version, note=note)
        _entry(
            found, VisitAction.URGED, actor, timezone.now(), note, {"case": case.pk, "number": case.number}
        )
    return case


def do_record_receipt(visit: Visit | int, *, actor, reissue_code: bool = False) -> str:
    """The receipt was printed (history); with `reissue_code`, a new query code replaces the lost one
    of the visit's event (returned once). Needs `desk.route_visit` to reissue."""
    with transaction.atomic():
        pk = visit.pk if isinstance(visit, Visit) else visit
        found = get_visit(actor, pk, ROUTE if reissue_code else VIEW)
        code = ""
        if reissue_code:
            if found.case is None or found.case.kind != Route.EVENT:
                raise ServiceError(DeskErrorCode.NOT_ROUTED, _("该来访没有可查询的事件"), field="case")
            from .receipts import issue_event_code

            code = issue_event_code(found.case, actor=actor)
        _entry(found, VisitAction.RECEIPT, actor, timezone.now(), data={"reissued_code": bool(code)})
    return code


# --- reading people ---------------------------------------------------------------------------


def visit_party_rows(visit: Visit) -> list[dict]:
    """The visit's own people (before routing), masked."""
    return [party_row(p) for p in visit.parties.all()]  # same masking as the case's parties


def do_reveal_visit_party(visit: Visit | int, party_id, *, actor, purpose: str = "") -> dict:
    """One person of a pending visit unmasked, for a reader who may view the visit and reveal
    personal data over its place; the reading goes to the access log."""
    pk = visit.pk if isinstance(visit, Visit) else visit
    found = get_visit(actor, pk)
    if not can_reveal(actor, found.path):
        raise not_found()
    party = found.parties.filter(pk=party_id).first() if str(party_id).isdigit() else None
    if party is None:
        raise not_found()
    with transaction.atomic():
        record_access(actor=actor, instance=party, fields=list(VisitParty.PERSONAL_FIELDS), purpose=purpose)
    return party_row(party, revealed=True)
