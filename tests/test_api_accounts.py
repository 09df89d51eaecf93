"""REST API for people and access: masking and audited reveal, users, grants without privilege
escalation, API tokens (secret shown once, revocable, expiring), CSRF on session requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.test import APIClient

from civicgrid.accounts.models import ApiToken, RoleAssignment, User
from civicgrid.accounts.roles import SYSTEM_ROLES
from civicgrid.audit.models import AccessLog, ObjectChange
from tests.world import NAMES, PASSWORD

pytestmark = pytest.mark.django_db


def _results(response):
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


# --- masking and reveal ---------------------------------------------------------------------------


def test_user_list_is_masked_and_scoped(world, api_client_for):
    response = api_client_for("township").get("/api/v1/users/", {"username": "gridworker"})
    assert response.status_code == 200
    [row] = _results(response)
    assert row["display_name"] == "王**"
    assert row["phone"] == "138****1111"
    assert row["id_card"] == "330101********123X"
    # The township officer sees the people managed within the township only.
    names = {r["username"] for r in _results(api_client_for("township").get("/api/v1/users/"))}
    assert names == {"gridworker", "township", "mediator"}


def test_reveal_returns_plain_values_and_logs_the_access(world, api_client_for):
    target = world.user("gridworker")
    response = api_client_for("township").post(f"/api/v1/users/{target.pk}/reveal/", {"purpose": "核实身份"})
    assert response.status_code == 200
    assert response.json() == {
        "id": target.pk,
        "display_name": "王网格",
        "phone": "13800001111",
        "id_card": "33010119900101123X",
    }
    [log] = AccessLog.objects.all()
    assert (log.actor_username, log.object_type, log.object_id) == (
        "township",
        "accounts.user",
        str(target.pk),
    )
    assert log.fields == ["display_name", "id_card", "phone"]
    assert log.purpose == "核实身份"


def test_reveal_without_the_permission_is_refused_and_not_logged(world, api_client_for):
    # The administrator manages accounts but may not read personal data (三员分立).
    target = world.user("gridworker")
    response = api_client_for("admin").post(f"/api/v1/users/{target.pk}/reveal/")
    assert response.status_code == 403
    assert response.json() == {"detail": "您无权查看此人未脱敏的个人信息。"}
    assert AccessLog.objects.count() == 0


def test_reveal_out_of_scope_looks_like_a_missing_user(world, api_client_for):
    client = api_client_for("outsider")
    out_of_scope = client.post(f"/api/v1/users/{world.user('gridworker').pk}/reveal/")
    missing = client.post("/api/v1/users/999999/reveal/")
    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert AccessLog.objects.count() == 0


# --- users ----------------------------------------------------------------------------------------


def test_create_user_checks_the_password_and_names_the_field(world, api_client_for):
    client = api_client_for("admin")
    area = world.area(NAMES.township_a1)
    weak = client.post("/api/v1/users/", {"username": "newbie", "password": "12345678", "area": area.pk})
    assert weak.status_code == 400
    assert weak.json()["error_code"] == "password_invalid"
    assert list(weak.json()) == ["password", "error_code"]
    assert not User.objects.filter(username="newbie").exists()
    ok = client.post(
        "/api/v1/users/",
        {
            "username": "newbie",
            "password": "Lin-Jiang-2026!",
            "area": area.pk,
            "phone": "13912345678",
            "display_name": "新同事",
        },
    )
    assert ok.status_code == 201, ok.json()
    assert ok.json()["phone"] == "139****5678"
    assert ok.json()["display_name"] == "新**"
    user = User.objects.get(username="newbie")
    assert user.check_password("Lin-Jiang-2026!")
    change = ObjectChange.objects.get(object_type="accounts.user", object_id=str(user.pk))
    assert change.action == "create" and change.actor_username == "admin"
    assert "password" not in change.after


def test_create_user_in_an_area_out_of_scope_is_refused(world, api_client_for):
    response = api_client_for("county_admin").post(
        "/api/v1/users/",
        {"username": "spy", "password": "Lin-Jiang-2026!", "area": world.area(NAMES.county_b).pk},
    )
    assert response.status_code == 400
    assert response.json() == {"area": [f"对象“{world.area(NAMES.county_b).pk}”不存在。"]}
    assert not User.objects.filter(username="spy").exists()


def test_bad_phone_and_id_card_name_their_fields(world, api_client_for):
    client = api_client_for("admin")
    target = world.user("gridworker")
    phone = client.patch(f"/api/v1/users/{target.pk}/", {"phone": "12345"})
    assert phone.status_code == 400
    assert phone.json() == {
        "phone": ["电话号码“12345”格式不正确，应为 11 位手机号或带区号的固话。"],
        "error_code": "phone_invalid",
    }
    card = client.patch(f"/api/v1/users/{target.pk}/", {"id_card": "110101199001011234"})
    assert card.status_code == 400
    assert card.json() == {"id_card": ["身份证号校验位不正确。"], "error_code": "id_card_invalid"}
    target.refresh_from_db()
    assert (target.phone, target.id_card) == ("13800001111", "33010119900101123X")


def test_deactivating_a_user_revokes_their_tokens(world, api_client_for):
    from civicgrid.accounts.services import do_create_api_token

    target = world.user("handler")
    token, raw = do_create_api_token(actor=None, user=target, name="sync")
    response = api_client_for("admin").delete(f"/api/v1/users/{target.pk}/")
    assert response.status_code == 204
    target.refresh_from_db()
    token.refresh_from_db()
    assert target.is_active is False
    assert token.revoked_at is not None
    assert APIClient().get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


# --- role assignments -----------------------------------------------------------------------------


def test_grant_on_a_grid_scopes_to_the_grid_path(world, api_client_for):
    from civicgrid.accounts.services import do_create_user

    newcomer = do_create_user(actor=None, username="newworker", area=world.area(NAMES.village_a1a))
    grid = world.grids[NAMES.grid_a1a_2]
    response = api_client_for("admin").post(
        "/api/v1/role-assignments/",
        {"user": newcomer.pk, "role": world.roles["grid_worker"].pk, "grid": grid.pk},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["scope_path"] == grid.path == "33/3380/338001/338001001/338001001001/338001001001002/"
    assert body["area"] == world.area(NAMES.village_a1a).pk
    assert newcomer.get_scope_paths("areas.view_grid") == [grid.path]


def test_grant_cannot_hand_out_more_than_the_grantor_holds(world, api_client_for):
    # The county administrator holds add_roleassignment in county A but not the auditor's
    # permissions (audit.view_objectchange …): granting the auditor role is escalation.
    target = world.user("handler")
    before = RoleAssignment.objects.count()
    response = api_client_for("county_admin").post(
        "/api/v1/role-assignments/",
        {"user": target.pk, "role": world.roles["auditor"].pk, "area": world.area(NAMES.county_a).pk},
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "privilege_escalation"
    assert list(response.json()) == ["role", "error_code"]
    assert RoleAssignment.objects.count() == before
    assert not ObjectChange.objects.filter(object_type="accounts.roleassignment").exists()


def test_grant_of_a_role_the_grantor_holds_succeeds_and_is_audited(world, api_client_for):
    target = world.user("handler")
    response = api_client_for("county_admin").post(
        "/api/v1/role-assignments/",
        {"user": target.pk, "role": world.roles["leader"].pk, "area": world.area(NAMES.township_a2).pk},
    )
    assert response.status_code == 201, response.json()
    assignment = RoleAssignment.objects.get(pk=response.json()["id"])
    assert assignment.scope_path == "33/3380/338001/338001002/"
    change = ObjectChange.objects.get(object_type="accounts.roleassignment", object_id=str(assignment.pk))
    assert (change.action, change.actor_username) == ("create", "county_admin")


def test_grant_in_another_county_is_refused_like_a_missing_area(world, api_client_for):
    target = world.user("handler")
    area_b = world.area(NAMES.county_b)
    response = api_client_for("county_admin").post(
        "/api/v1/role-assignments/", {"user": target.pk, "role": world.roles["leader"].pk, "area": area_b.pk}
    )
    assert response.status_code == 400
    assert response.json() == {"area": [f"对象“{area_b.pk}”不存在。"]}


def test_revoke_a_grant(world, api_client_for):
    assignment = RoleAssignment.objects.get(user=world.user("township"))
    response = api_client_for("county_admin").delete(f"/api/v1/role-assignments/{assignment.pk}/")
    assert response.status_code == 204
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    change = ObjectChange.objects.get(object_type="accounts.roleassignment", object_id=str(assignment.pk))
    assert change.action == "delete"
    assert change.before["scope_path"] == "33/3380/338001/338001001/"


def test_role_assignments_have_no_update(world, api_client_for):
    assignment = RoleAssignment.objects.get(user=world.user("township"))
    response = api_client_for("admin").patch(f"/api/v1/role-assignments/{assignment.pk}/", {"area": 1})
    assert response.status_code == 405


# --- roles ----------------------------------------------------------------------------------------


def test_roles_are_read_by_staff_and_written_by_superusers_only(world, api_client_for):
    listing = api_client_for("gridworker").get("/api/v1/roles/")
    assert listing.status_code == 200
    assert len(_results(listing)) == len(SYSTEM_ROLES)
    assert api_client_for("nobody").get("/api/v1/roles/").status_code == 403
    denied = api_client_for("admin").post("/api/v1/roles/", {"code": "x", "name": "X"})
    assert denied.status_code == 403
    root = User.objects.create_superuser("root", password=PASSWORD)
    client = APIClient()
    client.force_authenticate(root)
    created = client.post(
        "/api/v1/roles/",
        {"code": "viewer", "name": "只读", "permissions": ["areas.view_area"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["permissions"] == ["areas.view_area"]
    system = client.patch(f"/api/v1/roles/{world.roles['leader'].pk}/", {"name": "改"}, format="json")
    assert system.status_code == 400
    assert system.json() == {
        "non_field_errors": ["内置角色不能修改，请复制后修改。"],
        "error_code": "invalid",
    }


# --- API tokens -----------------------------------------------------------------------------------


def test_token_secret_is_shown_once_and_authenticates(world, api_client_for):
    client = api_client_for("admin")
    created = client.post("/api/v1/api-tokens/", {"name": "12345 接口"})
    assert created.status_code == 201, created.json()
    raw = created.json()["token"]
    assert raw.startswith("cg_" + created.json()["prefix"] + "_")
    token = ApiToken.objects.get(pk=created.json()["id"])
    assert raw not in token.digest and token.hash_alg in ("sm3", "sha256")
    listing = client.get("/api/v1/api-tokens/")
    assert [row["id"] for row in _results(listing)] == [token.pk]
    assert "token" not in _results(listing)[0]
    machine = APIClient()
    response = machine.get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert len(_results(response)) == 10


def test_revoked_and_expired_tokens_are_refused(world, api_client_for):
    from civicgrid.accounts.services import do_create_api_token

    admin = world.user("admin")
    _token, raw = do_create_api_token(actor=admin, user=admin, name="a")
    revoke = api_client_for("admin").delete(f"/api/v1/api-tokens/{_token.pk}/")
    assert revoke.status_code == 204
    refused = APIClient().get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"
    assert refused.json() == {"detail": "令牌无效、已过期或已吊销。"}
    expiring, raw2 = do_create_api_token(
        actor=admin, user=admin, name="b", expires_at=timezone.now() + dt.timedelta(hours=1)
    )
    assert APIClient().get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 200
    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert APIClient().get("/api/v1/areas/", HTTP_AUTHORIZATION=f"Bearer {raw2}").status_code == 401
    assert APIClient().get("/api/v1/areas/", HTTP_AUTHORIZATION="Bearer cg_bogus_x").status_code == 401


def test_a_token_of_a_deactivated_user_and_the_last_used_time(world, time_machine):
    """The one-query token lookup (accounts.authentication) refuses an inactive user's token even
    when it was not revoked, and writes "last used" at most once a minute."""
    from civicgrid.accounts.services import do_create_api_token

    token, raw = do_create_api_token(actor=None, user=world.user("city"), name="c")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    time_machine.move_to(timezone.now())
    assert APIClient().get("/api/v1/areas/", **auth).status_code == 200
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    time_machine.shift(dt.timedelta(seconds=30))
    assert APIClient().get("/api/v1/areas/", **auth).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    time_machine.shift(dt.timedelta(seconds=31))
    assert APIClient().get("/api/v1/areas/", **auth).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first
    User.objects.filter(username="city").update(is_active=False)
    assert APIClient().get("/api/v1/areas/", **auth).status_code == 401


def test_only_token_administrators_create_tokens_but_everyone_sees_their_own(world, api_client_for):
    from civicgrid.accounts.services import do_create_api_token

    denied = api_client_for("township").post("/api/v1/api-tokens/", {"name": "mine"})
    assert denied.status_code == 403
    token, _raw = do_create_api_token(actor=None, user=world.user("township"), name="issued")
    own = api_client_for("township").get("/api/v1/api-tokens/")
    assert [row["id"] for row in _results(own)] == [token.pk]
    assert _results(api_client_for("outsider").get("/api/v1/api-tokens/")) == []
    # The county administrator manages accounts in county A, so sees and may revoke this token.
    assert [r["id"] for r in _results(api_client_for("county_admin").get("/api/v1/api-tokens/"))] == [
        token.pk
    ]
    assert api_client_for("outsider").delete(f"/api/v1/api-tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_for_a_user_out_of_scope_is_refused(world, api_client_for):
    outsider = world.user("outsider")
    response = api_client_for("county_admin").post("/api/v1/api-tokens/", {"name": "x", "user": outsider.pk})
    assert response.status_code == 400
    assert response.json() == {"user": [f"对象“{outsider.pk}”不存在。"]}
    assert ApiToken.objects.count() == 0


# --- CSRF -----------------------------------------------------------------------------------------


def test_session_writes_need_the_csrf_token_but_token_requests_do_not(world):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(request=HttpRequest(), username="admin", password=PASSWORD)
    payload = {"code": "csrf-test", "name": "测试单位", "area": world.area(NAMES.county_a).pk}
    refused = client.post("/api/v1/units/", payload)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF")
    assert not world.units["centre"].__class__.objects.filter(code="csrf-test").exists()
    # Reading is safe without the token.
    assert client.get("/api/v1/units/").status_code == 200
    client.get("/api/v1/units/")  # sets no cookie by itself; fetch the token as a browser page would
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    ok = client.post("/api/v1/units/", payload, HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret))
    assert ok.status_code == 201, ok.json()

    from civicgrid.accounts.services import do_create_api_token

    _token, raw = do_create_api_token(actor=None, user=world.user("admin"), name="machine")
    machine = APIClient(enforce_csrf_checks=True)
    response = machine.post(
        "/api/v1/units/", {**payload, "code": "csrf-token"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 201, response.json()
