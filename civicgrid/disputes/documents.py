"""The mediation agreement (人民调解协议书, 人民调解法 Art. 29) generated from a dispute, as PDF or
DOCX through the shared renderer (`core.documents`).

The agreement names the parties in full (it is what they sign), so downloading it is a reveal of
personal data: the reader needs to view the dispute and hold the reveal permission over its place,
and every download is written to the access log, one row per party. Only an agreed dispute has an
agreement.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.audit.services import record_access
from civicgrid.cases import services as kernel
from civicgrid.cases.models import Case, CaseParty
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.documents import Document, Heading, render_docx, render_pdf
from civicgrid.core.errors import ServiceError
from civicgrid.core.personal_data import can_reveal

from .choices import PartyRole
from .error_codes import DisputeErrorCode
from .hooks import amount_text, details_of

FORMATS = {
    "pdf": ("application/pdf", render_pdf),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", render_docx),
}


def _party_line(party: CaseParty) -> str:
    parts = [party.name]
    if party.kind == "organisation":
        if party.org_code:
            parts.append(_("统一社会信用代码 %(code)s") % {"code": party.org_code})
    elif party.id_card:
        parts.append(_("身份证号码 %(number)s") % {"number": party.id_card})
    if party.address:
        parts.append(_("住址 %(address)s") % {"address": party.address})
    if party.phone:
        parts.append(_("联系电话 %(phone)s") % {"phone": party.phone})
    return "，".join(parts)


def agreement_document(case: Case) -> Document:
    """The agreement as a `Document` (no access check: callers use `do_download_agreement`)."""
    details = details_of(case)
    if details.agreed_at is None:
        raise ServiceError(
            DisputeErrorCode.AGREEMENT_REQUIRED, _("该纠纷尚未达成调解协议"), field="agreement"
        )
    roles = dict(PartyRole.choices)
    parties = list(case.parties.order_by("id"))
    fields = [(str(roles.get(p.role, p.role)), _party_line(p)) for p in parties]
    fields.append((_("纠纷类型"), details.get_dispute_type_display()))
    if details.amount is not None:
        fields.append((_("涉及金额"), _("%(amount)s 元") % {"amount": amount_text(details.amount)}))
    mediators = "、".join(m.display_name or m.username for m in details.mediators.all())
    paragraphs = [
        Heading(_("一、纠纷主要事实、争议事项")),
        case.description or case.title,
        Heading(_("二、经调解，自愿达成如下协议")),
        details.agreement_text,
        Heading(_("三、履行方式和期限")),
        _(
            "按上述协议内容履行。本协议经双方当事人签名（盖章）、人民调解员签名并加盖人民调解委员会印章后生效。"
        ),
        _(
            "本协议具有法律约束力，当事人应当按照约定履行。双方当事人可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"
        ),
    ]
    signatures = [
        *[
            _("%(role)s（签名或盖章）：________________") % {"role": roles.get(p.role, p.role)}
            for p in parties
        ],
        _("人民调解员（签名）：%(names)s ________________") % {"names": mediators},
    ]
    return Document(
        title=_("人民调解协议书"),
        number=details.agreement_number,
        fields=fields,
        paragraphs=paragraphs,
        signatures=signatures,
        seal=details.organisation.name if details.organisation_id else "",
        date=details.agreed_at.astimezone(LOCAL_TZ).date(),
        footer=_("本协议书一式 %(n)s 份，当事人各执一份，调解委员会留存一份。") % {"n": len(parties) + 1},
    )


def do_download_agreement(case: Case | int, fmt: str, *, actor) -> tuple[bytes, str, str]:
    """(content, content type, file name) of the agreement, for a reader who may view the dispute
    and reveal personal data over its place; the download is access-logged per party."""
    if fmt not in FORMATS:
        raise ServiceError(DisputeErrorCode.INVALID_TEXT, _("文件格式应为 pdf 或 docx"), field="format")
    pk = getattr(case, "pk", case)
    found = (
        Case.objects.filter(pk=pk, kind="dispute").select_related("area").first()
        if isinstance(pk, int)
        else None
    )
    if (
        found is None
        or not kernel.can_act(actor, "cases.view_case", found)
        or not can_reveal(actor, found.path)
    ):
        raise kernel.not_found()
    document = agreement_document(found)
    content_type, render = FORMATS[fmt]
    content = render(document)
    with transaction.atomic():
        for party in found.parties.all():
            record_access(
                actor=actor, instance=party, fields=list(CaseParty.PERSONAL_FIELDS), purpose="调解协议书"
            )
    return content, content_type, f"agreement-{found.number}.{fmt}"
