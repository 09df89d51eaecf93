"""Demo disputes for `make demo` (the integrator calls `create_demo_disputes()` from load_demo, after
the accounts and events exist). Idempotent: nothing is created when disputes exist already.

It picks the first township officer, mediator, grid worker and leader it finds (the demo logins),
creates the township's people's mediation committee with the mediator, and five disputes in
different stages: registered; red (threats, with the leader in charge); in mediation with a session;
agreed and under follow-up; failed and referred to litigation.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from civicgrid.accounts.models import RoleAssignment
from civicgrid.accounts.services import id_card_check_char
from civicgrid.areas.models import Area, Grid
from civicgrid.cases.models import Case

from . import services, steps
from .models import MediationOrganisation

NAMES = ["王建国", "赵秀兰", "钱志强", "孙丽华", "李明", "周芳", "吴刚", "郑红", "冯军", "陈静"]


def _id_number(serial: int) -> str:
    """A fictional resident ID number with a valid GB 11643 check character."""
    base = f"110101198{serial % 10}0101{serial:03d}"[:17]
    return base + id_card_check_char(base)


def _user(role: str, under: str = ""):
    qs = RoleAssignment.objects.filter(role__code=role, user__is_active=True).select_related("user", "area")
    if under:
        qs = qs.filter(scope_path__startswith=under)
    found = qs.order_by("pk").first()
    return found.user if found else None, found


def _party(role: str, index: int) -> dict:
    return {
        "role": role,
        "name": NAMES[index % len(NAMES)],
        "id_card": _id_number(index + 1),
        "phone": f"1380013{index:04d}",
    }


def create_demo_disputes() -> int:
    if Case.objects.filter(kind="dispute").exists():
        return 0
    officer, grant = _user("township_officer")
    if officer is None:
        return 0
    township = (
        grant.area if grant.area.level == "township" else Area.objects.filter(path=grant.scope_path).first()
    )
    mediator, _g = _user("mediator", township.path)
    mediator = mediator or officer
    worker, worker_grant = _user("grid_worker", township.path)
    leader, _g = _user("leader")
    grid = Grid.objects.filter(path=worker_grant.scope_path).first() if worker_grant else None
    grid = grid or Grid.objects.filter(path__startswith=township.path).order_by("code").first()
    if grid is None:
        return 0
    created = 0
    with transaction.atomic():
        committee, _new = MediationOrganisation.objects.get_or_create(
            area=township, name=f"{township.name}人民调解委员会", defaults={"kind": "township_committee"}
        )
        committee.mediators.add(mediator)

        def register(
            title, description, dispute_type, people=2, amount=None, source="walk_in", parties=(0, 1)
        ):
            nonlocal created
            created += 1
            return services.do_register_dispute(
                actor=officer,
                title=title,
                description=description,
                area=grid.village,
                grid=grid,
                dispute_type=dispute_type,
                amount=amount,
                people_count=people,
                source=source,
                parties=[_party("applicant", parties[0]), _party("respondent", parties[1])],
            )

        def act(case, action, actor, **data):
            case = Case.objects.get(pk=case.pk)
            return services.do_dispute_action(
                case, action, actor=actor, expected_version=case.version, **data
            )

        def accept(case):
            return act(case, "accept", officer, organisation=committee.pk, mediators=[mediator.pk])

        register(
            "楼上漏水损坏天花板",
            "楼上住户水管渗漏，楼下天花板受损，双方对赔偿金额有分歧。",
            "neighbour",
            amount="3500",
        )
        red = register(
            "拖欠工资引发冲突",
            "十余名工人讨要拖欠工资，有人扬言要同归于尽。",
            "labour",
            people=12,
            amount="186000",
            source="grid",
            parties=(2, 3),
        )
        if leader is not None:
            red = Case.objects.get(pk=red.pk)
            steps.do_grade_risk(
                red,
                actor=officer,
                expected_version=red.version,
                level="red",
                reason="群体性劳资纠纷，有过激言论",
                leader=leader.pk,
            )
        mediating = accept(
            register("宅基地边界争议", "两户因宅基地边界砌墙发生争执。", "land", parties=(4, 5))
        )
        mediating = act(mediating, "start", mediator)
        steps.do_record_session(
            mediating,
            actor=mediator,
            expected_version=mediating.version,
            held_at=timezone.now(),
            place=committee.name,
            participants="双方当事人、调解员",
            record="双方陈述事实，约定下次现场勘界。",
        )
        agreed = accept(
            register(
                "装修款纠纷", "业主与装修队就尾款结算发生争议。", "consumer", amount="12000", parties=(6, 7)
            )
        )
        agreed = act(agreed, "start", mediator)
        agreed = act(
            agreed,
            "agree",
            mediator,
            agreement_text="业主于十五日内支付尾款 9000 元，装修队返修卫生间防水。",
            applicant_confirmed=True,
            respondent_confirmed=True,
        )
        agreed = act(agreed, "fulfil", mediator)
        if worker is not None:
            agreed = Case.objects.get(pk=agreed.pk)
            steps.do_record_visit(
                agreed,
                actor=worker,
                expected_version=agreed.version,
                visited_on="",
                result="partial",
                note="已支付一半，余款约定月底付清。",
            )
        failed = accept(
            register(
                "借款纠纷", "借款五万元到期未还，双方对利息有争议。", "debt", amount="50000", parties=(8, 9)
            )
        )
        failed = act(failed, "start", mediator)
        failed = act(failed, "fail", mediator, note="双方对利息分歧较大，调解不成。")
        act(
            failed,
            "refer",
            mediator,
            referral_channel="litigation",
            referral_to="区人民法院立案庭",
            referral_receipt="立案庭窗口签收",
        )
    return created
