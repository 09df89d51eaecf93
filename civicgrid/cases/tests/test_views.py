"""Command-centre pages: the inbox (queues, filters, pagination, query counts), the case page
(404 rule, only the allowed actions, deadline colours, masked names) and action POSTs (success,
conflict, denial, illegal — a refusal changes nothing)."""

import datetime as dt
import re

import django_filters
import pytest
import time_machine
from django import forms as django_forms
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from civicgrid.cases import services
from civicgrid.cases.forms import ActionForm, KindPages, register_kind_pages, unregister_kind_pages
from civicgrid.cases.models import Case, TimelineEntry

TZ = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
INBOX = "/cases/"


class FakeDispatchForm(ActionForm):
    """The fake kind's dispatch inputs: its handler reads `lead` (a unit id)."""

    lead = django_forms.IntegerField(label="主办单位")

    def action_data(self):
        return {"lead": self.cleaned_data["lead"]}


@pytest.fixture(autouse=True)
def fake_pages():
    register_kind_pages(
        KindPages(
            "fake",
            action_forms={"dispatch": FakeDispatchForm},
            inbox_filters={
                "urged": lambda: django_filters.NumberFilter(
                    label="催办次数", field_name="urge_count", lookup_expr="gte"
                )
            },
        )
    )
    yield
    unregister_kind_pages("fake")


def act(world, case, action, user, **kw):
    case.refresh_from_db()
    return services.do_apply_action(case, action, actor=world.user(user), expected_version=case.version, **kw)


def client_for(world, username):
    client = Client()
    client.force_login(world.user(username))
    return client


@pytest.fixture
def inbox(world, open_case):
    with time_machine.travel(T0, tick=False):
        reported = open_case(title="待立案")
        registered = act(world, open_case(title="待派遣"), "register", "township")
        dispatched = act(
            world, open_case(title="已派遣", grid="338001001002001", actor="township"), "register", "township"
        )
        dispatched = act(world, dispatched, "dispatch", "county", lead=world.units["chengguan"].pk)
        far = open_case(grid="338002101201001", actor="outsider", title="外区")
        supervised = services.do_supervise(
            open_case(title="督办"), "daily", actor=world.user("leader"), expected_version=1
        )
    return {
        "reported": reported,
        "registered": registered,
        "dispatched": dispatched,
        "far": far,
        "sup": supervised,
    }


def rows(response):
    return sorted(item["case"].title for item in response.context["items"])


def tab_counts(response):
    return {tab.name: tab.count for tab in response.context["tabs"]}


# --- inbox ---------------------------------------------------------------------------------------


def test_every_queue_shows_exactly_its_cases(world, inbox):
    county, handler = client_for(world, "county"), client_for(world, "handler")
    leader, outsider = client_for(world, "leader"), client_for(world, "outsider")
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        assert rows(county.get(INBOX, {"queue": "to_register"})) == ["待立案", "督办"]
        assert rows(county.get(INBOX, {"queue": "to_dispatch"})) == ["待派遣"]
        assert rows(handler.get(INBOX, {"queue": "my_unit"})) == ["已派遣"]
        assert rows(leader.get(INBOX, {"queue": "supervised"})) == ["督办"]
        assert rows(outsider.get(INBOX, {"queue": "to_register"})) == ["外区"]
        assert rows(county.get(INBOX, {"queue": "all"})) == ["已派遣", "待派遣", "待立案", "督办"]
        assert rows(county.get(INBOX, {"queue": "due_soon"})) == []
        assert rows(county.get(INBOX, {"queue": "overdue"})) == []
        response = county.get(INBOX, {"queue": "to_register"})
        assert tab_counts(response) == {
            "to_register": 2,
            "to_dispatch": 1,
            "my_unit": 0,
            "due_soon": 0,
            "overdue": 0,
            "supervised": 1,
            "all": None,
        }
    # Response clocks run 2 hours from T0: yellow from 10:36, red from 11:00.
    with time_machine.travel(T0 + dt.timedelta(minutes=100), tick=False):
        response = county.get(INBOX, {"queue": "due_soon"})
        assert rows(response) == ["待立案", "督办"]
        assert [i["deadline"] for i in response.context["items"]] == ["yellow", "yellow"]
        assert "即将到期" in response.content.decode()
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        response = county.get(INBOX, {"queue": "overdue"})
        assert rows(response) == ["待立案", "督办"]
        assert {i["deadline"] for i in response.context["items"]} == {"red"}
        assert rows(county.get(INBOX, {"queue": "due_soon"})) == []


@time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False)
def test_default_queue_is_the_first_with_work(world, inbox):
    assert client_for(world, "county").get(INBOX).context["queue"] == "to_register"
    assert client_for(world, "handler").get(INBOX).context["queue"] == "my_unit"
    assert client_for(world, "auditor").get(INBOX).context["queue"] == "supervised"
    assert client_for(world, "mediator").get(INBOX).context["queue"] == "supervised"


def test_inbox_needs_the_view_permission_somewhere(world, inbox):
    assert client_for(world, "nobody").get(INBOX).status_code == 403
    assert client_for(world, "admin").get(INBOX).status_code == 403  # 三员分立: no cases
    anonymous = Client().get(INBOX)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "registered"}, ["待派遣"]),
        ({"status": "reported"}, ["待立案", "督办"]),
        ({"area": "338001001002"}, ["已派遣"]),  # village A1b's subtree
        ({"area": "338001001000"}, ["已派遣", "待派遣", "待立案", "督办"]),
        ({"q": "派"}, ["已派遣", "待派遣"]),
        ({"kind": "fake"}, ["已派遣", "待派遣", "待立案", "督办"]),
        ({"supervision": "daily"}, ["督办"]),
        (
            {"opened_after": "2026-03-02", "opened_before": "2026-03-02"},
            ["已派遣", "待派遣", "待立案", "督办"],
        ),
        ({"opened_after": "2026-03-03"}, []),
        ({"opened_before": "2026-03-01"}, []),
        ({"urged": "1"}, ["待派遣"]),  # a filter the kind contributed
    ],
)
def test_filters(world, inbox, params, expected):
    services.do_urge(inbox["registered"], actor=world.user("county"), expected_version=2)
    response = client_for(world, "county").get(INBOX, {"queue": "all", **params})
    assert response.status_code == 200
    assert response.context["filterset"].is_valid()
    assert rows(response) == expected


def test_number_filter_and_area_out_of_reach(world, inbox):
    county = client_for(world, "county")
    number = inbox["registered"].number
    assert rows(county.get(INBOX, {"queue": "all", "q": number})) == ["待派遣"]
    # County B's area is outside the county dispatcher's reach: refused like an unknown code.
    for code in ("338002101000", "999999999999"):
        response = county.get(INBOX, {"queue": "all", "area": code})
        assert response.context["filterset"].errors["area"]
        assert rows(response) == []
        assert "筛选条件有误" in response.content.decode()


def test_pagination_keeps_queue_and_filters(world, open_case):
    with time_machine.travel(T0, tick=False):
        for i in range(23):
            open_case(title=f"案件{i:02d}")
        open_case(title="其他", grid="338001002201001", actor="county")
    county = client_for(world, "county")
    first = county.get(INBOX, {"queue": "to_register", "area": "338001001001"})
    assert first.context["page"].paginator.count == 23
    assert len(first.context["items"]) == 20
    assert "?queue=to_register&amp;page=2&amp;area=338001001001" in first.content.decode()
    second = county.get(INBOX, {"queue": "to_register", "area": "338001001001", "page": 2})
    assert rows(second) == ["案件00", "案件01", "案件02"]


def test_inbox_query_count_does_not_grow(world, open_case, inbox):
    county = client_for(world, "county")
    county.get(INBOX, {"queue": "all"})  # warm sessions and content types
    with CaptureQueriesContext(connection) as small:
        county.get(INBOX, {"queue": "all", "status": "reported"})
    with time_machine.travel(T0, tick=False):
        for i in range(8):
            open_case(title=f"多{i}", grid="338001001002001", actor="township")
    with CaptureQueriesContext(connection) as large:
        response = county.get(INBOX, {"queue": "all", "status": "reported"})
    assert len(response.context["items"]) == 10
    assert len(large) == len(small)
    # session + user, scope grants, 6 queue counts, page count, page rows
    assert len(large) <= 14, [q["sql"] for q in large.captured_queries]


# --- the case page -------------------------------------------------------------------------------


def detail(case):
    return f"/cases/{case.number}/"


def without_token(response):
    # The token and the language form's return path differ per request, not per case.
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    return re.sub(r'name="next" value="[^"]+"', "", body)


def test_missing_and_out_of_scope_are_the_same_404(world, inbox):
    outsider = client_for(world, "outsider")
    out_of_scope = outsider.get(detail(inbox["reported"]))
    missing = outsider.get("/cases/2026338001999999/")
    assert out_of_scope.status_code == missing.status_code == 404
    assert without_token(out_of_scope) == without_token(missing)
    assert client_for(world, "outsider").get(detail(inbox["far"])).status_code == 200
    # The handler's unit holds an assignment on this case: assignment-based access.
    assert client_for(world, "handler").get(detail(inbox["dispatched"])).status_code == 200
    assert client_for(world, "handler").get(detail(inbox["reported"])).status_code == 200  # in area
    assert client_for(world, "nobody").get(detail(inbox["reported"])).status_code == 404


def action_names(response):
    return [item["action"] for item in response.context["actions"]]


def test_only_the_actions_the_reader_may_take(world, inbox):
    reported, dispatched = inbox["reported"], inbox["dispatched"]
    assert action_names(client_for(world, "township").get(detail(reported))) == [
        "register",
        "reject",
        "urge",
        "escalate",
    ]
    assert action_names(client_for(world, "county").get(detail(reported))) == [
        "register",
        "reject",
        "urge",
        "supervise",
        "escalate",
    ]
    assert action_names(client_for(world, "leader").get(detail(reported))) == ["urge", "supervise"]
    assert action_names(client_for(world, "auditor").get(detail(reported))) == []
    # The handling unit may ask for more time on the handling clock (it allows extensions).
    assert action_names(client_for(world, "handler").get(detail(dispatched))) == [
        "accept",
        "request_extension",
    ]
    page = client_for(world, "handler").get(detail(dispatched)).content.decode()
    assert f'action="/cases/{dispatched.number}/actions/accept/"' in page
    assert 'name="accept-expected_version" value="3"' in page
    assert "csrfmiddlewaretoken" in page
    assert "您当前没有可执行的操作" in client_for(world, "auditor").get(detail(reported)).content.decode()


def test_case_page_shows_status_deadline_assignments_timeline(world, inbox):
    case = inbox["dispatched"]
    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False):
        response = client_for(world, "county").get(detail(case))
    body = response.content.decode()
    assert response.context["status_label"] == "已派遣"
    assert response.context["status_class"] == "open"
    assert response.context["deadline"] == "green"
    assert 'id="case-status">已派遣<' in body
    assert [(a.unit.name, a.role, a.status) for a in response.context["assignments"]] == [
        ("江东区城市管理局", "lead", "pending")
    ]
    assert [(d["label"], d["row"].state, d["due_text"]) for d in response.context["deadlines"]] == [
        ("响应时限", "met", "2026-03-02 11:00"),
        ("办理时限", "running", "2026-03-09 24:00"),  # the last day ends at 24:00
    ]
    assert "截止 2026-03-09 24:00" in body
    timeline = [(r["what"], r["from"], r["to"], r["actor"]) for r in response.context["timeline"]]
    assert timeline == [
        ("创建", "", "已上报", "李**（东湖街道办事处）"),
        ("立案", "已上报", "已立案", "李**（东湖街道办事处）"),
        ("派遣", "", "", "赵**（临江市社会治理指挥中心）"),
        ("派遣", "已立案", "已派遣", "赵**（临江市社会治理指挥中心）"),
    ]
    assert "李综治" not in body  # staff names masked (the header shows the reader's own)
    assert response.context["map_data"]["grid"]["properties"]["code"] == "338001001002001"
    # Yellow and red from the handling clock (5 working days from Monday 2026-03-02 → 03-09 24:00).
    with time_machine.travel(dt.datetime(2026, 3, 9, 12, 0, tzinfo=TZ), tick=False):
        assert client_for(world, "county").get(detail(case)).context["deadline"] == "yellow"
    with time_machine.travel(dt.datetime(2026, 3, 10, 0, 1, tzinfo=TZ), tick=False):
        response = client_for(world, "county").get(detail(case))
        assert response.context["deadline"] == "red"
        assert 'class="deadline deadline--red"' in response.content.decode()


def test_supervision_flag_and_kernel_timeline_labels(world, inbox):
    response = client_for(world, "county").get(detail(inbox["sup"]))
    assert 'id="case-supervision">日常督办<' in response.content.decode()
    assert [(r["what"], r["from"], r["to"]) for r in response.context["timeline"]][-1] == (
        "督办",
        "未督办",
        "日常督办",
    )


def test_case_page_query_count_is_fixed(world, inbox):
    county = client_for(world, "county")
    case = inbox["dispatched"]
    county.get(detail(case))
    with CaptureQueriesContext(connection) as before:
        county.get(detail(case))
    for _ in range(4):
        services.do_urge(
            case, actor=world.user("county"), expected_version=Case.objects.get(pk=case.pk).version
        )
    with CaptureQueriesContext(connection) as after:
        response = county.get(detail(case))
    assert len(response.context["timeline"]) == 8
    assert len(after) == len(before)
    assert len(after) <= 16, [q["sql"] for q in after.captured_queries]


# --- actions -------------------------------------------------------------------------------------


def state(case):
    row = Case.objects.get(pk=case.pk)
    return row.status, row.version, row.supervision, TimelineEntry.objects.filter(case=case).count()


def post(client, case, action, version, **fields):
    data = {f"{action}-expected_version": version, **{f"{action}-{k}": v for k, v in fields.items()}}
    return client.post(f"/cases/{case.number}/actions/{action}/", data)


def test_register_succeeds_and_redirects(world, inbox):
    case = inbox["reported"]
    response = post(client_for(world, "township"), case, "register", 1, note="属实，立案")
    assert response.status_code == 303
    assert response["Location"] == detail(case)
    assert state(case) == ("registered", 2, "none", 2)
    entry = TimelineEntry.objects.filter(case=case).last()
    assert (entry.action, entry.note, entry.actor.username) == ("register", "属实，立案", "township")
    page = client_for(world, "township").get(detail(case)).content.decode()
    assert "已完成“立案”" not in page  # the message was for the redirect's page, shown once
    follow = client_for(world, "township").post(
        f"/cases/{case.number}/actions/reject/",
        {"reject-expected_version": 2, "reject-note": "x"},
        follow=True,
    )
    assert follow.status_code == 400  # registered cases cannot be rejected


def test_success_message_after_redirect(world, inbox):
    client = client_for(world, "county")
    response = client.post(
        f"/cases/{inbox['registered'].number}/actions/dispatch/",
        {"dispatch-expected_version": 2, "dispatch-lead": world.units["chengguan"].pk},
        follow=True,
    )
    assert response.status_code == 200
    assert "已完成“派遣”" in response.content.decode()
    assert state(inbox["registered"])[:2] == ("dispatched", 3)


def test_stale_version_is_a_conflict_and_changes_nothing(world, inbox):
    case = inbox["reported"]
    first, second = client_for(world, "township"), client_for(world, "county")
    assert post(first, case, "register", 1).status_code == 303
    before = state(case)
    response = post(second, case, "reject", 1, note="重复")
    assert response.status_code == 409
    body = response.content.decode()
    assert "已被他人修改（当前版本 2，您看到的是版本 1）" in body
    assert "页面已显示案件的最新状态" in body
    assert response.context["status_label"] == "已立案"
    assert state(case) == before


def test_forbidden_action_changes_nothing(world, inbox):
    case = inbox["reported"]
    before = state(case)
    response = post(client_for(world, "leader"), case, "register", 1, note="越权")
    assert response.status_code == 403
    assert "您无权对该案件执行“立案”" in response.content.decode()
    assert state(case) == before
    # Out of reach: the same 404 as a missing case, nothing changed.
    response = post(client_for(world, "outsider"), case, "register", 1)
    assert response.status_code == 404
    assert state(case) == before


def test_illegal_and_invalid_actions_change_nothing(world, inbox):
    case, township = inbox["reported"], client_for(world, "township")
    before = state(case)
    response = post(township, case, "close", 1)
    assert response.status_code == 400
    assert "当前状态“已上报”下不能执行“结案”" in response.content.decode()
    response = post(township, case, "launch", 1)
    assert response.status_code == 400
    assert "未知的操作“launch”" in response.content.decode()
    response = post(township, case, "reject", 1)  # a rejection needs a reason
    assert response.status_code == 400
    assert response.context["actions"][1]["form"].errors["note"] == ["请填写说明"]
    assert response.context["actions"][1]["open"] is True
    response = township.post(f"/cases/{case.number}/actions/register/", {})  # no version at all
    assert response.status_code == 400
    assert "表单缺少案件版本" in response.content.decode()
    response = post(client_for(world, "county"), inbox["registered"], "dispatch", 2, lead="x")
    assert response.status_code == 400
    assert state(case) == before
    assert state(inbox["registered"])[:2] == ("registered", 2)
    assert client_for(world, "township").get(f"/cases/{case.number}/actions/register/").status_code == 405


def test_kernel_actions_from_the_page(world, inbox):
    case, leader = inbox["reported"], client_for(world, "leader")
    assert post(leader, case, "supervise", 1, level="listed", note="挂牌").status_code == 303
    assert state(case) == ("reported", 2, "listed", 2)
    assert post(leader, case, "urge", 2).status_code == 303
    assert Case.objects.get(pk=case.pk).urge_count == 1
    response = post(leader, case, "supervise", 3, level="listed")
    assert response.status_code == 400
    assert "督办级别未改变" in response.content.decode()
    response = post(leader, case, "escalate", 3)  # leaders may not escalate
    assert response.status_code == 403
    assert state(case) == ("reported", 3, "listed", 3)
    assert post(client_for(world, "township"), case, "escalate", 3).status_code == 303
    assert Case.objects.get(pk=case.pk).handling_level == "township"


def test_actions_need_the_csrf_token(world, inbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("township"))
    case = inbox["reported"]
    response = client.post(f"/cases/{case.number}/actions/register/", {"register-expected_version": 1})
    assert response.status_code == 403
    assert state(case) == ("reported", 1, "none", 1)


def test_deadline_periods_read_in_their_own_unit():
    from civicgrid.cases.models import CaseDeadline

    texts = [
        CaseDeadline(amount=5, unit=unit, extension_granted=2).period_display
        for unit in ("days", "working_days", "hours", "working_hours")
    ]
    assert texts == ["5 日", "5 个工作日", "5 小时", "5 个工作小时"]
    assert (
        CaseDeadline(amount=5, unit="working_hours", extension_granted=2).extension_display == "2 个工作小时"
    )


def test_extension_requested_and_decided_from_the_page(world, inbox):
    """延期: the handler asks with a reason and an amount in the clock's unit; an approver decides;
    a refused or invalid request changes nothing; one without the approval permission cannot decide."""
    from civicgrid.cases.models import CaseDeadline

    case, township = inbox["registered"], client_for(world, "township")

    def clock():
        return CaseDeadline.objects.get(case=case, name="handling", state="running")

    due = clock().due_at
    names = action_names(township.get(detail(case)))
    assert "request_extension" in names and "decide_extension" not in names
    response = post(township, case, "request_extension", 2, clock="handling", amount=2)
    assert response.status_code == 400
    assert response.context["failed"]["form"].errors["note"] == ["请填写延期理由"]
    response = post(township, case, "request_extension", 2, clock="handling", amount=9, note="材料未到")
    assert response.status_code == 400  # past the limit's maximum (5 working days)
    response = post(township, case, "request_extension", 2, clock="response", amount=1, note="x")
    assert response.status_code == 400  # not an open clock of this case
    assert clock().pending_extension is None and state(case)[1] == 2
    assert (
        post(township, case, "request_extension", 2, clock="handling", amount=2, note="材料未到").status_code
        == 303
    )
    assert (clock().pending_extension, clock().pending_extension_reason) == (2, "材料未到")
    names = action_names(township.get(detail(case)))
    assert "decide_extension" in names and "request_extension" not in names  # one request at a time
    before = state(case)
    response = post(
        client_for(world, "gridworker"), case, "decide_extension", 3, clock="handling", decision="approve"
    )
    assert response.status_code in (403, 404)
    assert state(case) == before and clock().pending_extension == 2
    assert (
        post(township, case, "decide_extension", 3, clock="handling", decision="approve").status_code == 303
    )
    after = clock()
    assert (after.pending_extension, after.extension_granted) == (None, 2)
    assert after.due_at > due
