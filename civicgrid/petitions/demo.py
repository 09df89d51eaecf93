"""Demo petitions for `make demo`: a dozen petitions in every stage of their life, written through
the real services (registration, workflow actions, audit), in the demo district of the logins
"petition" (信访局), "handler" (城管局) and "inspector" (纪委监委).

Called by the integrator from `load_demo` after the demo events: `create_petitions() -> int` (the
number created; 0 when petitions exist already or the demo logins are missing). Deterministic.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import User
from civicgrid.accounts.services import id_card_check_char
from civicgrid.areas.models import Area
from civicgrid.cases.models import Case

from .services import do_petition_action, do_register_petition


def demo_id_card(serial: int) -> str:
    """A valid (GB 11643 check character) made-up resident ID number."""
    body = f"330102{1960 + serial % 40:04d}{1 + serial % 12:02d}{1 + serial % 28:02d}{100 + serial:03d}"
    return body + id_card_check_char(body)


MATTERS = [
    # title, description, channel, class, people
    (
        "小区旁工地夜间施工噪音扰民",
        "工地连续一个月夜间施工，严重影响休息，多次反映未解决。",
        "visit",
        "claim",
        1,
    ),
    ("要求解决老旧小区加装电梯问题", "小区老人多，希望政府协调加装电梯。", "online", "suggestion", 1),
    ("拆迁安置款迟迟未发放", "去年签订的拆迁协议，安置款至今未到位。", "visit", "claim", 6),
    ("菜市场周边占道经营影响通行", "早晚高峰菜市场周边占道严重。", "letter", "claim", 1),
    ("建议增设公交站点", "新建小区附近没有公交站，出行不便。", "phone", "suggestion", 1),
    ("物业公司乱收费", "物业擅自提高停车费，业主不认可。", "online", "claim", 2),
    ("反映工资被拖欠", "在某工地务工三个月，工资未结。", "visit", "claim", 5),
    ("反映道路积水", "雨后道路积水严重，车辆难行。", "fax", "claim", 1),
]


def _act(case: Case, action: str, user, **data) -> Case:
    case.refresh_from_db()
    return do_petition_action(case, action, actor=user, expected_version=case.version, **data)


def create_petitions() -> int:
    if Case.objects.filter(kind="petition").exists():
        return 0
    users = {u.username: u for u in User.objects.filter(username__in=["petition", "handler", "inspector"])}
    if len(users) < 3 or users["petition"].area is None:
        return 0
    officer, handler, inspector = users["petition"], users["handler"], users["inspector"]
    villages = list(
        Area.objects.filter(path__startswith=officer.area.path, level="village", is_active=True).order_by(
            "code"
        )[:8]
    )
    if not villages or handler.unit is None or inspector.unit is None:
        return 0
    now = timezone.now()
    created = 0
    with transaction.atomic():
        cases = []
        for i, (title, description, channel, petition_class, people) in enumerate(MATTERS):
            parties = [
                {
                    "role": "petitioner",
                    "name": f"{'王李张刘陈杨赵黄'[i]}先生",
                    "id_card": demo_id_card(i),
                    "phone": f"139{i:08d}",
                }
            ]
            parties += [{"role": "petitioner", "name": f"同行人{j}"} for j in range(1, min(people, 4))]
            cases.append(
                do_register_petition(
                    actor=officer,
                    title=title,
                    description=description,
                    area=villages[i % len(villages)],
                    channel=channel,
                    petition_class=petition_class,
                    parties=parties,
                    people_count=people,
                    received_at=now - dt.timedelta(days=(3, 18, 10, 25, 40, 50, 6, 2)[i]),
                )
            )
        created = len(cases)
        organ = handler.unit
        # 0: registered (within 15 days); 1: registered, transfer overdue (red).
        for case in cases[2:]:
            _act(
                case,
                "transfer",
                officer,
                unit=organ,
                mode="assign" if case.petition.collective else "transfer",
            )
        # 2: transferred (a collective petition, 交办), waiting for the organ; 3: accepted.
        for case in cases[3:6]:
            _act(case, "accept", handler)
        _act(
            cases[4],
            "issue_opinion",
            handler,
            opinion="explain",
            note="已纳入明年公交线网优化计划，届时统筹考虑。",
        )
        _act(
            cases[5],
            "issue_opinion",
            handler,
            opinion="not_support",
            note="停车费调整经业主大会表决通过，程序合法。",
        )
        _act(cases[5], "request_review", officer)
        _act(cases[6], "object", handler, note="拖欠工资属人力资源和社会保障部门职责")
        _act(cases[7], "decline", handler, note="已通过12345热线办理，请关注该工单办理结果")
        # A repeat of the first matter (the same person, the same words) while it is in progress
        # at the same level: registered and counted.
        first = cases[0]
        do_register_petition(
            actor=officer,
            title=first.title,
            description="再次反映：工地仍在夜间施工。",
            area=first.area,
            channel="phone",
            petition_class="claim",
            parties=[{"role": "petitioner", "name": "王先生", "id_card": demo_id_card(0)}],
        )
        # A 检举控告: confidential, handled by the discipline inspectors only.
        accusation = do_register_petition(
            actor=officer,
            title="检举某单位工作人员在审批中索要好处费",
            description="办理审批时被暗示需要“表示”。",
            area=villages[0],
            channel="letter",
            petition_class="accusation",
            parties=[
                {"role": "petitioner", "name": "匿名群众", "id_card": demo_id_card(20)},
                {"role": "accused", "name": "某工作人员", "data": {"unit": organ.pk}},
            ],
        )
        _act(accusation, "transfer", inspector, unit=inspector.unit)
        _act(accusation, "accept", inspector)
        created += 2
    return created
