"""Mediation organisations (人民调解委员会, 行政调解, 法院特邀调解) and their mediators: the writer the
admin and the API use. The actor needs `disputes.add_mediationorganisation` (new) or
`change_mediationorganisation` (existing) over the organisation's area — both the old and the new
area when it moves. Mediators must be active users who mediate somewhere overlapping that area."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civicgrid.accounts.models import User
from civicgrid.areas.models import Area
from civicgrid.audit.models import ChangeAction
from civicgrid.audit.services import record_change, snapshot
from civicgrid.core.errors import NotPermitted, ServiceError
from civicgrid.core.scope import ALL, path_in_scope, scope_paths

from .choices import OrganisationKind
from .error_codes import DisputeErrorCode
from .models import MediationOrganisation

MEDIATE = "disputes.mediate_dispute"


def _overlaps(user, path: str) -> bool:
    paths = scope_paths(user, MEDIATE)
    return paths is ALL or any(p.startswith(path) or path.startswith(p) for p in paths)


def do_save_organisation(
    *,
    actor,
    instance: MediationOrganisation | None = None,
    name: str,
    kind: str,
    area,
    phone: str = "",
    mediators=(),
    is_active: bool = True,
) -> MediationOrganisation:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ServiceError(
            DisputeErrorCode.INVALID_TEXT, _("请填写调解组织名称（不超过 100 字）"), field="name"
        )
    if kind not in OrganisationKind.values:
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("请选择调解组织类型"), field="kind")
    if isinstance(area, str):
        area = Area.objects.filter(code=area.strip()).first()
    verb = "change" if instance is not None else "add"
    permission = f"disputes.{verb}_mediationorganisation"
    if area is None or not path_in_scope(actor, permission, area.path):
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("区划不存在"), field="area")
    if instance is not None and not path_in_scope(actor, permission, instance.area.path):
        raise NotPermitted(DisputeErrorCode.INVALID_TEXT, _("调解组织不存在或无权访问"))
    ids = []
    for value in mediators or ():
        try:
            ids.append(int(getattr(value, "pk", value)))
        except (TypeError, ValueError):
            raise ServiceError(
                DisputeErrorCode.MEDIATOR_REQUIRED, _("调解员不正确"), field="mediators"
            ) from None
    people = list(User.objects.filter(pk__in=ids, is_active=True))
    if len(people) != len(set(ids)) or not all(_overlaps(u, area.path) for u in people):
        raise ServiceError(
            DisputeErrorCode.MEDIATOR_REQUIRED,
            _("调解员须为在该区划从事调解工作的在职人员"),
            field="mediators",
        )
    with transaction.atomic():
        before = snapshot(instance) if instance is not None else None
        org = instance or MediationOrganisation()
        org.name, org.kind, org.area, org.phone, org.is_active = (
            name,
            kind,
            area,
            (phone or "").strip()[:30],
            bool(is_active),
        )
        try:
            with transaction.atomic():
                org.save()
        except IntegrityError:
            raise ServiceError(
                DisputeErrorCode.INVALID_TEXT, _("该区划已有同名调解组织"), field="name"
            ) from None
        org.mediators.set(people)
        record_change(
            actor=actor,
            action=ChangeAction.UPDATE if before is not None else ChangeAction.CREATE,
            instance=org,
            before=before,
            after=snapshot(org),
        )
    return org
