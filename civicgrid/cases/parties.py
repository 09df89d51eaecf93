"""Case parties (当事人 / 信访人 / 被反映人), for every kind: checking, writing, masked reading,
logged reveals and finding the same person across cases.

A kind adds parties inside its own service's transaction with `add_parties` (e.g. from its
`on_open` hook, with the parties given to `do_open_case`), or later with `do_add_party` /
`do_remove_party`, which are kernel writes of their own (version, timeline, audit). Pages and the
API read `party_rows(case, user)`, masked unless the reader may reveal personal data over the
case's place; `do_reveal_party` shows one party unmasked and logs the reading.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.services import clean_id_card, clean_org_code, clean_phone
from civicgrid.audit.hashing import default_algorithm
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_access, record_change, snapshot
from civicgrid.core.errors import ServiceError
from civicgrid.core.personal_data import MASKERS, can_reveal

from . import timeline
from .choices import PartyKind
from .digests import person_digest
from .error_codes import CaseErrorCode
from .models import Case, CaseParty
from .services import _begin, _finish, can_act, not_found

VIEW = "cases.view_case"
MAX_PARTIES = 200  # a collective petition or group dispute lists its people; beyond this, attach a list

_LIMITS = {"name": 100, "phone": 30, "address": 200}


def clean_party(raw: dict, *, field_prefix: str = "") -> dict:
    """One party's fields checked, with errors naming the field (`parties[0].id_card`): a name; a
    person's resident ID number (GB 11643 check character) or an organisation's credit code (GB
    32100); a phone; an address. Unknown keys go to `data` only when given as `data`."""

    def name_of(key: str) -> str:
        return f"{field_prefix}{key}"

    kind = (
        (raw.get("kind") or PartyKind.PERSON).strip()
        if isinstance(raw.get("kind"), str)
        else PartyKind.PERSON
    )
    if kind not in PartyKind.values:
        raise ServiceError(CaseErrorCode.INVALID_PARTY, _("当事人类别不正确"), field=name_of("kind"))
    role = (raw.get("role") or "").strip()
    if not role or len(role) > 30:
        raise ServiceError(CaseErrorCode.INVALID_PARTY, _("请选择当事人身份"), field=name_of("role"))
    values = {}
    for key, limit in _LIMITS.items():
        value = raw.get(key) or ""
        if not isinstance(value, str):
            raise ServiceError(CaseErrorCode.INVALID_PARTY, _("应为文字"), field=name_of(key))
        value = value.strip()
        if len(value) > limit:
            raise ServiceError(
                CaseErrorCode.INVALID_PARTY,
                _("不能超过 %(limit)s 字") % {"limit": limit},
                field=name_of(key),
            )
        values[key] = value
    if not values["name"]:
        raise ServiceError(CaseErrorCode.INVALID_PARTY, _("请填写当事人姓名或名称"), field=name_of("name"))
    values["phone"] = clean_phone(values["phone"], field=name_of("phone"))
    id_card = clean_id_card(raw.get("id_card"), field=name_of("id_card"))
    org_code = clean_org_code(raw.get("org_code"), field=name_of("org_code"))
    if kind == PartyKind.PERSON and org_code:
        raise ServiceError(
            CaseErrorCode.INVALID_PARTY, _("自然人不填统一社会信用代码"), field=name_of("org_code")
        )
    if kind == PartyKind.ORGANISATION and id_card:
        raise ServiceError(CaseErrorCode.INVALID_PARTY, _("单位不填身份证号"), field=name_of("id_card"))
    data = raw.get("data") or {}
    if not isinstance(data, dict):
        raise ServiceError(CaseErrorCode.INVALID_PARTY, _("应为键值对"), field=name_of("data"))
    number = id_card or org_code
    alg = default_algorithm() if number else ""
    return {
        **values,
        "kind": kind,
        "role": role,
        "id_card": id_card,
        "org_code": org_code,
        "id_digest": person_digest(number, alg) if number else "",
        "digest_alg": alg,
        "data": data,
    }


def clean_parties(raws: Iterable[dict], *, field: str = "parties") -> list[dict]:
    """Every party checked (errors name `parties[i].field`); at most MAX_PARTIES."""
    raws = list(raws or [])
    if len(raws) > MAX_PARTIES:
        raise ServiceError(
            CaseErrorCode.INVALID_PARTY,
            _("当事人不能超过 %(limit)s 个，更多人员请以附件名单提交") % {"limit": MAX_PARTIES},
            field=field,
        )
    cleaned = []
    for i, raw in enumerate(raws):
        if not isinstance(raw, dict):
            raise ServiceError(CaseErrorCode.INVALID_PARTY, _("当事人信息格式不正确"), field=f"{field}[{i}]")
        cleaned.append(clean_party(raw, field_prefix=f"{field}[{i}]."))
    return cleaned


def lock_people(cleaned: Iterable[dict]) -> None:
    """Serialise, until the end of the caller's transaction, the writers that register cases for
    the same people (by `id_digest`), so a check of "this person's other cases" (a petition's same
    matter in progress below, Art.19) cannot race another office registering the same matter. On
    PostgreSQL: advisory transaction locks, taken in a fixed order so two writers never deadlock;
    SQLite already runs one writer at a time (BEGIN IMMEDIATE)."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({int(p["id_digest"][:15], 16) for p in cleaned if p.get("id_digest")})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [PEOPLE_LOCK_BASE + key])


# Advisory lock keys of people: 60 bits of the digest above a base no other lock of the project uses.
PEOPLE_LOCK_BASE = 1 << 61


def add_parties(case: Case, parties: Iterable[dict], *, actor, now=None) -> list[CaseParty]:
    """Write checked parties (from `clean_parties`) on `case`, inside the caller's transaction (a
    kind's hook or service that holds the case's lock): one timeline entry and one audit row each."""
    now = now or timezone.now()
    rows = []
    for values in parties:
        party = CaseParty.objects.create(case=case, created_at=now, **values)
        timeline.party(case, actor, now, "party_added", party.pk, party.role)
        record_change(
            actor=actor, action=ChangeAction.CREATE, instance=party, before=None, after=snapshot(party)
        )
        rows.append(party)
    return rows


def do_add_party(
    case: Case | int, *, actor, expected_version: int, permission: str = "cases.report_case", **raw
) -> CaseParty:
    """Add one party to an open or closed case; the actor needs `permission` over the case."""
    values = clean_party(raw)
    with transaction.atomic():
        locked = _begin(case, actor, permission, expected_version)
        before = snapshot(locked)
        (party,) = add_parties(locked, [values], actor=actor)
        _finish(locked, before, actor)
    return party


def do_remove_party(
    party: CaseParty, *, actor, expected_version: int, note: str, permission: str = "cases.report_case"
):
    """Remove a party registered in error, with the reason on the timeline."""
    note = (note or "").strip()
    if not note:
        raise ServiceError(CaseErrorCode.NOTE_REQUIRED, _("请填写删除原因"), field="note")
    with transaction.atomic():
        locked = _begin(party.case_id, actor, permission, expected_version)
        before = snapshot(locked)
        record_change(
            actor=actor, action=ChangeAction.DELETE, instance=party, before=snapshot(party), after=None
        )
        timeline.party(locked, actor, timezone.now(), "party_removed", party.pk, party.role, note=note)
        party.delete()
        _finish(locked, before, actor)
    return locked


def may_remove_parties(case: Case, user) -> bool:
    """Whether a page offers `user` the removal of the case's parties (`do_remove_party`'s
    default permission over an open case)."""
    return case.closed_at is None and can_act(user, "cases.report_case", case)


def _masked(party: CaseParty) -> dict:
    return {key: MASKERS[mask](getattr(party, key)) for key, mask in CaseParty.PERSONAL_FIELDS.items()}


def party_row(party: CaseParty, *, revealed: bool = False) -> dict:
    """A party as pages and the API show it; personal fields masked unless `revealed`."""
    personal = {key: getattr(party, key) for key in CaseParty.PERSONAL_FIELDS} if revealed else _masked(party)
    org_code = party.org_code  # a unit's credit code is public information
    return {
        "id": party.pk,
        "role": party.role,
        "kind": party.kind,
        "kind_display": party.get_kind_display(),
        **personal,
        "org_code": org_code,
        "masked": not revealed,
        "data": party.data,
    }


def party_rows(case: Case, user) -> list[dict]:
    """The case's parties for a reader who may view the case (else 404-like NotPermitted), masked:
    revealing one is a separate, logged act (`do_reveal_party`)."""
    if not can_act(user, VIEW, case):
        raise not_found()
    return [party_row(p) for p in case.parties.order_by("id")]


def do_reveal_party(party: CaseParty, *, actor, purpose: str = "") -> dict:
    """One party unmasked, for a reader who may view the case and reveal personal data over its
    place; the reading is written to the access log."""
    case = party.case
    if not can_act(actor, VIEW, case) or not can_reveal(actor, case.path):
        raise not_found()
    with transaction.atomic():
        record_access(actor=actor, instance=party, fields=list(CaseParty.PERSONAL_FIELDS), purpose=purpose)
    return party_row(party, revealed=True)


def cases_with_person(number: str, *, kind: str | None = None, exclude_case: int | None = None):
    """The ids of cases (of `kind`, if given) on which a party carries this ID number or credit code,
    oldest first: repeat detection across cases and levels without reading numbers."""
    qs = CaseParty.objects.filter(id_digest=person_digest(number))
    if kind:
        qs = qs.filter(case__kind=kind)
    if exclude_case:
        qs = qs.exclude(case_id=exclude_case)
    return list(qs.order_by("case_id").values_list("case_id", flat=True).distinct())
