"""Documents generated from a petition (core.documents renders them as PDF and DOCX):
受理告知书 / 不予受理告知书 (Art.23), 处理意见书 (Art.32, 支持 / 解释说明 / 不予支持), 复查意见书 and
复核意见书. Each is addressed to the petitioners by name, so each generation is written to the
access log (the names read) and to the case's timeline; downloading needs sight of the case.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.services import record_access
from civicgrid.cases import timeline
from civicgrid.cases.models import Case
from civicgrid.cases.services import can_act, not_found
from civicgrid.core.deadlines import LOCAL_TZ
from civicgrid.core.documents import Document, Heading, render_docx, render_pdf
from civicgrid.core.errors import ServiceError

from .choices import PartyRole
from .error_codes import PetitionErrorCode
from .models import PetitionDetails

FORMATS = {
    "pdf": ("application/pdf", render_pdf),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        render_docx,
    ),
}


def _day(value):
    return value.astimezone(LOCAL_TZ).date() if value else None


def available(details: PetitionDetails) -> list[tuple[str, str]]:
    """(code, title) of the documents the petition has reached."""
    out = []
    if details.accepted is True:
        out.append(("acceptance", _("受理告知书")))
    elif details.accepted is False:
        out.append(("acceptance", _("不予受理告知书")))
    if details.opinion:
        out.append(("opinion", _("处理意见书")))
    if details.review_outcome:
        out.append(("review", _("复查意见书")))
    if details.recheck_outcome:
        out.append(("recheck", _("复核意见书")))
    return out


def _petitioners(case: Case) -> str:
    names = list(case.parties.filter(role=PartyRole.PETITIONER).values_list("name", flat=True))
    if len(names) > 3:
        return _("%(names)s等 %(count)s 人") % {"names": "、".join(names[:3]), "count": len(names)}
    return "、".join(names)


def build(case: Case, details: PetitionDetails, code: str) -> Document:
    titles = dict(available(details))
    if code not in titles:
        raise ServiceError(PetitionErrorCode.NO_DOCUMENT, _("该信访事项尚无此文书"), field="document")
    organ = (
        details.organ.name
        if details.organ_id
        else (details.registering_unit.name if details.registering_unit_id else "")
    )
    who = _petitioners(case)
    received = _day(details.received_at)
    fields = [
        (_("信访人"), who),
        (_("信访事项编号"), case.number),
        (_("信访事项"), case.title),
        (_("信访形式"), details.get_channel_display()),
        (_("收到日期"), received.isoformat() if received else ""),
    ]
    paragraphs: list = [_("%(who)s：") % {"who": who}]
    date = None
    if code == "acceptance" and details.accepted:
        date = _day(details.acceptance_at)
        paragraphs.append(
            _(
                "你（们）于 %(day)s 提出的信访事项（编号 %(number)s），经审查，符合受理条件，本机关决定受理。"
                "本机关将自受理之日起 60 日内办结；情况复杂的，经批准可以适当延长办理期限，但延长期限不超过 30 日，"
                "并告知你（们）延期理由（《信访工作条例》第二十三条、第三十四条）。"
            )
            % {"day": received.isoformat() if received else "", "number": case.number}
        )
    elif code == "acceptance":
        date = _day(details.acceptance_at)
        paragraphs += [
            _("你（们）提出的信访事项（编号 %(number)s），经审查，本机关决定不予受理。")
            % {"number": case.number},
            Heading(_("理由")),
            details.acceptance_reason,
        ]
    elif code == "opinion":
        date = _day(details.opinion_at)
        paragraphs += [
            Heading(_("处理意见：%(opinion)s") % {"opinion": details.get_opinion_display()}),
            details.opinion_text,
            _(
                "如对本处理意见不服，可以自收到本意见书之日起 30 日内请求原办理机关的上一级机关复查"
                "（《信访工作条例》第三十五条）。"
            ),
        ]
    elif code == "review":
        date = _day(details.reviewed_at)
        paragraphs += [
            Heading(_("复查结论：%(outcome)s") % {"outcome": details.get_review_outcome_display()}),
            details.review_text,
            _(
                "如对复查意见不服，可以自收到本意见书之日起 30 日内向复查机关的上一级机关请求复核"
                "（《信访工作条例》第三十六条）。"
            ),
        ]
    else:
        date = _day(details.rechecked_at)
        paragraphs += [
            Heading(_("复核结论：%(outcome)s") % {"outcome": details.get_recheck_outcome_display()}),
            details.recheck_text,
            _(
                "复核意见为最终意见。信访人仍以同一事实和理由提出信访的，不再受理（《信访工作条例》第三十六条）。"
            ),
        ]
    return Document(
        title=titles[code],
        number=case.number,
        fields=fields,
        paragraphs=paragraphs,
        seal=organ,
        date=date,
    )


def do_generate_document(case: Case, code: str, fmt: str, *, actor) -> tuple[str, bytes, str]:
    """(content type, bytes, file name) of one document; a reader who may not view the case gets
    the kernel's 404. The generation is logged (access log: the petitioners' names; timeline)."""
    if not can_act(actor, "cases.view_case", case):
        raise not_found()
    if fmt not in FORMATS:
        raise ServiceError(PetitionErrorCode.INVALID_CHOICE, _("文书格式应为 pdf 或 docx"), field="format")
    details = PetitionDetails.objects.select_related("organ", "registering_unit").get(case=case)
    doc = build(case, details, code)
    content_type, render = FORMATS[fmt]
    data = render(doc)
    with transaction.atomic():
        for party in case.parties.filter(role=PartyRole.PETITIONER):
            record_access(
                actor=actor,
                instance=party,
                fields=["name"],
                purpose=_("生成%(title)s") % {"title": doc.title},
            )
        timeline.record(
            case, actor, timezone.now(), "document_generated", data={"document": code, "format": fmt}
        )
    return content_type, data, f"{case.number}-{code}.{fmt}"
