"""The desk's three routes, each opening a case through its kind's own service (the desk never
writes a kind's tables): mediation → `disputes.services.do_register_dispute`, petition →
`petitions.services.do_register_petition`, event handling → `events.intake.report_event`.

Each route says which options it needs (a dispute's type, a petition's class, an event's
category), checks them and maps the desk's party roles (来访人 / 对方当事人) onto its kind's roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from civicgrid.cases.models import Case
from civicgrid.cases.parties import add_parties, clean_parties
from civicgrid.core.errors import ServiceError
from civicgrid.disputes import choices as dispute_choices
from civicgrid.disputes import services as dispute_services
from civicgrid.events.intake import report_event
from civicgrid.events.models import Channel
from civicgrid.petitions import choices as petition_choices
from civicgrid.petitions import services as petition_services

from .choices import Route, VisitorRole
from .error_codes import DeskErrorCode

# --- options per route ------------------------------------------------------------------------


def dispute_type_choices() -> list[tuple[str, str]]:
    return list(dispute_choices.DisputeType.choices)


def petition_class_choices() -> list[tuple[str, str]]:
    return list(petition_choices.PetitionClass.choices)


def _pick(options: dict, key: str, choices: list[tuple[str, str]], message: str) -> str:
    value = (options.get(key) or "").strip() if isinstance(options.get(key), str) else ""
    if not value:
        raise ServiceError(DeskErrorCode.REQUIRED, message, field=key)
    if value not in {v for v, _label in choices}:
        raise ServiceError(
            DeskErrorCode.INVALID_OPTION, _("“%(value)s”不是有效的选项") % {"value": value}, field=key
        )
    return value


def _amount(options: dict):
    value = options.get("amount")
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ServiceError(DeskErrorCode.INVALID_NUMBER, _("请填写有效的金额"), field="amount") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ServiceError(DeskErrorCode.INVALID_NUMBER, _("请填写有效的金额"), field="amount")
    return amount.quantize(Decimal("0.01"))


def clean_options(route: str, options: dict) -> dict:
    """The route's own options checked before anything is written (errors name the field)."""
    options = options or {}
    if route == Route.DISPUTE:
        return {
            "dispute_type": _pick(options, "dispute_type", dispute_type_choices(), _("请选择纠纷类型")),
            "amount": _amount(options),
        }
    if route == Route.PETITION:
        return {
            "petition_class": _pick(
                options, "petition_class", petition_class_choices(), _("请选择信访事项类别")
            )
        }
    category = options.get("category")
    return {"category": category.strip() if isinstance(category, str) and category.strip() else None}


def available_routes() -> list[str]:
    """The routes the desk offers, in the order of the form."""
    return [Route.DISPUTE.value, Route.PETITION.value, Route.EVENT.value]


def check_route(route) -> str:
    if route not in Route.values:
        raise ServiceError(DeskErrorCode.INVALID_ROUTE, _("请选择分流去向"), field="route")
    if route not in available_routes():
        raise ServiceError(
            DeskErrorCode.ROUTE_UNAVAILABLE,
            _("“%(route)s”暂未开通，请选择其他去向") % {"route": Route(route).label},
            field="route",
        )
    return route


# --- party roles ------------------------------------------------------------------------------


def _role_map(route: str) -> dict[str, str]:
    if route == Route.DISPUTE:
        return {
            VisitorRole.VISITOR: dispute_choices.PartyRole.APPLICANT.value,
            VisitorRole.OTHER_PARTY: dispute_choices.PartyRole.RESPONDENT.value,
        }
    if route == Route.PETITION:
        return {
            VisitorRole.VISITOR: petition_choices.PartyRole.PETITIONER.value,
            VisitorRole.OTHER_PARTY: petition_choices.PartyRole.ACCUSED.value,
        }
    return {}


def parties_for(route: str, raws: list[dict]) -> list[dict]:
    """The parties as the route's kind takes them (raw dicts for `clean_parties`), roles mapped."""
    mapping = _role_map(route)
    return [{**raw, "role": mapping.get(raw.get("role"), raw.get("role"))} for raw in raws]


# --- opening the case -------------------------------------------------------------------------


@dataclass
class Opened:
    case: Case
    query_code: str = ""  # a code the visitor can follow the case with, when the kind gives one


def _first_visitor(raws: list[dict]) -> dict:
    for raw in raws:
        if raw.get("role") == VisitorRole.VISITOR:
            return raw
    return raws[0] if raws else {}


def open_case(route: str, visit, *, actor, parties: list[dict], options: dict, previous_case=None) -> Opened:
    """Open the route's case for the visit, inside the caller's transaction."""
    if route == Route.DISPUTE:
        source = dispute_choices.DisputeSource.WALK_IN.value
        kwargs = {
            "actor": actor,
            "title": visit.title,
            "description": visit.description or visit.title,  # a dispute needs a short account
            "area": visit.area,
            "grid": visit.grid,
            "lon": visit.lon,
            "lat": visit.lat,
            "dispute_type": options["dispute_type"],
            "amount": options.get("amount"),
            "people_count": visit.people_count,
            "source": source,
            "parties": parties_for(route, parties),
        }
        if previous_case is not None:
            kwargs["source_case"] = previous_case
        else:
            kwargs["opened_at"] = visit.received_at  # the party came then: the clocks run from it
        result = dispute_services.do_register_dispute(**kwargs)
        return Opened(result)  # a dispute gives the visitor no query code
    if route == Route.PETITION:
        channel = petition_choices.Channel.VISIT.value
        kwargs = {
            "actor": actor,
            "title": visit.title,
            "description": visit.description,
            "area": visit.area,
            "grid": visit.grid,
            "channel": channel,
            "petition_class": options["petition_class"],
            "parties": parties_for(route, parties),
            "people_count": visit.people_count,
            "received_at": visit.received_at if previous_case is None else None,
        }
        if previous_case is not None and previous_case.kind == Route.PETITION:
            # A petition links only to an earlier petition; any other earlier case stays linked
            # through the visit (its routings and both cases' timelines).
            kwargs["related_case"] = previous_case
        result = petition_services.do_register_petition(**kwargs)
        return Opened(result, result.query_code)  # shown once on the receipt
    visitor = _first_visitor(parties)
    located = visit.lon is not None and visit.lat is not None
    result = report_event(
        actor=actor,
        title=visit.title,
        channel=Channel.WALK_IN.value,
        description=visit.description,
        category=options.get("category"),
        lon=visit.lon if located else None,
        lat=visit.lat if located else None,
        area_code=visit.area.code,
        address=visit.address,
        reporter_name=visitor.get("name", ""),
        reporter_phone=visitor.get("phone", ""),
    )
    # The event keeps the visit's people as its parties (kernel rules), written in this transaction.
    add_parties(result.case, clean_parties(parties), actor=actor)
    return Opened(result.case)


def role_labels() -> dict[str, str]:
    """Every party role code the desk may show (its own and the routed kinds') → its label."""
    labels = {**dict(VisitorRole.choices), **dict(dispute_choices.PartyRole.choices)}
    labels.update(petition_choices.PartyRole.choices)
    return {code: str(label) for code, label in labels.items()}
