"""Confidential cases (检举控告) and case parties: the kernel's rules for every kind, tried against
everyone who should not get through."""

import pytest

from civicgrid.audit.models import AccessLog
from civicgrid.cases import parties, queries, services
from civicgrid.cases.models import Case, CaseParty
from civicgrid.core.errors import NotPermitted, ServiceError

VIEW = "cases.view_case"
GOOD_ID = "11010519491231002X"
GOOD_ORG = "91350100M000100Y43"


def test_confidential_case_is_seen_only_by_the_confidential_role(world, open_case):
    secret = open_case(actor="township", title="检举某科长", confidential=True)
    ordinary = open_case(actor="township")
    inspector = world.user("inspector")
    for name in ("township", "county", "city", "leader", "gridworker", "handler", "petition", "outsider"):
        user = world.user(name)
        assert not Case.objects.restrict(user, VIEW).filter(pk=secret.pk).exists(), name
        assert not services.can_act(user, VIEW, secret), name
        assert secret.pk not in set(queries.all_cases(user).values_list("pk", flat=True)), name
    assert Case.objects.restrict(world.user("county"), VIEW).filter(pk=ordinary.pk).exists()
    assert Case.objects.restrict(inspector, VIEW).filter(pk=secret.pk).exists()
    assert services.can_act(inspector, VIEW, secret)
    assert secret.pk in set(queries.all_cases(inspector).values_list("pk", flat=True))
    # The inspector's role gives no sight of ordinary cases beyond what view_case gives.
    assert Case.objects.restrict(inspector, VIEW).filter(pk=ordinary.pk).exists()


def test_confidential_case_never_reached_through_an_assignment(world, open_case):
    """The accused's unit must not see a 检举控告 by being dispatched to."""
    secret = open_case(actor="city", confidential=True, grid="338002101201001")  # county B
    case = Case.objects.get(pk=secret.pk)
    services.assign_units(case, world.units["chengguan"], [], actor=None, now=case.opened_at)
    services.sync_case_units(case)
    handler = world.user("handler")
    assert not Case.objects.restrict(handler, VIEW).filter(pk=secret.pk).exists()
    assert not Case.objects.restrict(handler, "cases.handle_case").filter(pk=secret.pk).exists()
    assert not services.can_act(handler, "cases.handle_case", case)
    with pytest.raises(NotPermitted):
        services.do_apply_action(case, "register", actor=world.user("county"), expected_version=case.version)
    assert Case.objects.get(pk=secret.pk).status == "reported"


def test_inbox_queues_leave_confidential_cases_out(world, open_case):
    secret = open_case(actor="township", confidential=True)
    for user in ("township", "county"):
        page = queries.inbox_page(world.user(user), "to_register")
        assert secret.pk not in [c.pk for c in page.object_list]


def test_parties_checked_stored_masked_and_revealed_with_a_log(world, open_case):
    case = open_case(actor="township")
    party = parties.do_add_party(
        case,
        actor=world.user("township"),
        expected_version=case.version,
        role="applicant",
        name="张三丰",
        id_card=GOOD_ID.lower(),
        phone="13912345678",
        address="东湖区建设路街道幸福里3栋",
    )
    assert (party.id_card, len(party.id_digest), party.digest_alg) == (GOOD_ID, 64, "sm3")
    rows = parties.party_rows(Case.objects.get(pk=case.pk), world.user("gridworker"))
    assert rows[0] | {"data": {}} == {
        "id": party.pk,
        "role": "applicant",
        "kind": "person",
        "kind_display": "自然人",
        "name": "张**",
        "id_card": "110105********002X",
        "phone": "139****5678",
        "address": "东湖区建设路****",
        "org_code": "",
        "masked": True,
        "data": {},
    }
    with pytest.raises(NotPermitted):  # a grid worker may not reveal
        parties.do_reveal_party(party, actor=world.user("gridworker"))
    with pytest.raises(NotPermitted):  # an outsider may not even read
        parties.party_rows(case, world.user("outsider"))
    assert AccessLog.objects.count() == 0
    shown = parties.do_reveal_party(party, actor=world.user("township"), purpose="调解联系")
    assert (shown["name"], shown["id_card"], shown["masked"]) == ("张三丰", GOOD_ID, False)
    log = AccessLog.objects.get()
    assert (log.purpose, sorted(log.fields)) == ("调解联系", ["address", "id_card", "name", "phone"])
    assert parties.cases_with_person(GOOD_ID) == [case.pk]
    assert parties.cases_with_person(GOOD_ID, exclude_case=case.pk) == []


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"role": "applicant", "name": "张三", "id_card": "110105194912310021"}, "id_card"),  # bad check
        ({"role": "applicant", "name": "张三", "id_card": "11010519491231"}, "id_card"),
        ({"role": "applicant", "name": "", "id_card": GOOD_ID}, "name"),
        ({"role": "", "name": "张三"}, "role"),
        ({"role": "applicant", "name": "张三", "phone": "12345"}, "phone"),
        (
            {"role": "applicant", "kind": "organisation", "name": "某公司", "org_code": "91350100M000100Y44"},
            "org_code",
        ),
        ({"role": "applicant", "kind": "organisation", "name": "某公司", "id_card": GOOD_ID}, "id_card"),
        ({"role": "applicant", "kind": "robot", "name": "某"}, "kind"),
        ({"role": "applicant", "name": "张" * 101}, "name"),
    ],
)
def test_bad_party_refused_naming_the_field_and_nothing_written(world, open_case, raw, field):
    case = open_case(actor="township")
    with pytest.raises(ServiceError) as caught:
        parties.do_add_party(case, actor=world.user("township"), expected_version=case.version, **raw)
    assert caught.value.field == field
    assert CaseParty.objects.count() == 0
    assert Case.objects.get(pk=case.pk).version == case.version
    with pytest.raises(ServiceError) as caught:
        parties.clean_parties([{"role": "x", "name": "a"}, raw])
    assert caught.value.field == f"parties[1].{field}"


def test_organisation_party_and_removal(world, open_case):
    case = open_case(actor="township")
    party = parties.do_add_party(
        case,
        actor=world.user("township"),
        expected_version=case.version,
        role="respondent",
        kind="organisation",
        name="某物业公司",
        org_code=GOOD_ORG,
    )
    case.refresh_from_db()
    with pytest.raises(ServiceError) as caught:
        parties.do_remove_party(party, actor=world.user("township"), expected_version=case.version, note=" ")
    assert caught.value.field == "note"
    parties.do_remove_party(
        party, actor=world.user("township"), expected_version=case.version, note="登记错误"
    )
    assert CaseParty.objects.count() == 0
    assert list(case.timeline.filter(kind="party").values_list("action", flat=True)) == [
        "party_added",
        "party_removed",
    ]


def test_a_kind_names_its_clocks_steps_and_extension_permission(world, open_case, fake_kind, client):
    """The case page shows a kind's clock and step names; asking for an extension needs the
    kind's permission (a kind that names one the requester lacks refuses with 404, nothing changed)."""
    import dataclasses

    from django.test import RequestFactory
    from django.utils import timezone

    from civicgrid.cases import timeline
    from civicgrid.cases.kinds import register_kind, unregister_kind
    from civicgrid.cases.views import case_context
    from civicgrid.core.errors import NotPermitted

    named = dataclasses.replace(
        fake_kind,
        clock_labels={"response": "首次响应"},
        record_labels={"risk_changed": "风险等级变更"},
        extension_permission="cases.supervise_case",
    )
    unregister_kind("fake")
    register_kind(named)
    case = open_case(actor="township")
    timeline.record(case, None, timezone.now(), "risk_changed", data={"to": "red"})
    request = RequestFactory().get("/")
    request.user = world.user("township")
    context = case_context(request, Case.objects.get(pk=case.pk))
    assert [d["label"] for d in context["deadlines"]] == ["首次响应"]
    assert [r["what"] for r in context["timeline"]][-1] == "风险等级变更"
    with pytest.raises(NotPermitted):  # the township officer does not supervise
        services.do_request_extension(
            case, "response", 1, actor=world.user("township"), expected_version=case.version, reason="忙"
        )
    with pytest.raises(ServiceError) as refused:  # the county does: past the permission, on to the limit
        services.do_request_extension(
            case, "response", 1, actor=world.user("county"), expected_version=case.version, reason="忙"
        )
    assert not isinstance(refused.value, NotPermitted)
    assert Case.objects.get(pk=case.pk).version == case.version


def test_an_inspector_who_is_a_party_never_sees_the_confidential_case(world, open_case):
    """An accusation against a discipline inspector: the inspector (matched by ID number) is kept
    out everywhere, while a colleague with the same role sees it."""
    from civicgrid.accounts.models import RoleAssignment, User

    inspector = world.user("inspector")
    inspector.id_card = "330101199001011238"
    inspector.save(update_fields=["id_card"])
    colleague = User.objects.create_user(username="inspector2", password="x", id_card="11010519491231002X")
    RoleAssignment.objects.create(
        user=colleague,
        role=world.roles["discipline_inspector"],
        area=world.area("338001000000"),
        scope_path=world.area("338001000000").path,
    )
    secret = open_case(actor="township", confidential=True)
    assert Case.objects.restrict(inspector, VIEW).filter(pk=secret.pk).exists()
    parties.add_parties(
        secret,
        parties.clean_parties([{"role": "accused", "name": "蒋纪检", "id_card": "330101199001011238"}]),
        actor=None,
    )
    assert not Case.objects.restrict(inspector, VIEW).filter(pk=secret.pk).exists()
    assert not services.can_act(inspector, VIEW, secret)
    assert secret.pk not in set(queries.all_cases(inspector).values_list("pk", flat=True))
    assert Case.objects.restrict(colleague, VIEW).filter(pk=secret.pk).exists()
    assert services.can_act(colleague, VIEW, secret)


def test_the_case_page_removes_a_party_with_a_reason(world, open_case, client):
    """The page's remove form: outsiders get 404 and nothing changes; no reason or a stale
    version is refused on the page; the reason lands on the timeline."""
    case = open_case(actor="township")
    party = parties.do_add_party(
        case, actor=world.user("township"), expected_version=case.version, role="applicant", name="张三"
    )
    case.refresh_from_db()
    url = f"/cases/{case.number}/parties/{party.pk}/remove/"
    client.force_login(world.user("outsider"))
    assert client.post(url, {"expected_version": case.version, "note": "错"}).status_code == 404
    client.force_login(world.user("handler"))  # may view the county's cases, not report on them
    assert client.post(url, {"expected_version": case.version, "note": "错"}).status_code == 403
    client.force_login(world.user("township"))
    assert client.post(url, {"expected_version": case.version, "note": " "}).status_code == 400
    assert client.post(url, {"expected_version": case.version - 1, "note": "错"}).status_code == 409
    assert client.post(url, {"note": "错"}).status_code == 400
    assert CaseParty.objects.filter(pk=party.pk).exists()
    assert Case.objects.get(pk=case.pk).version == case.version
    response = client.post(url, {"expected_version": case.version, "note": "登记错误"})
    assert response.status_code == 303
    assert not CaseParty.objects.filter(pk=party.pk).exists()
    entry = case.timeline.filter(action="party_removed").get()
    assert entry.note == "登记错误"
    assert client.post(url, {"expected_version": case.version + 1, "note": "再删"}).status_code == 404
