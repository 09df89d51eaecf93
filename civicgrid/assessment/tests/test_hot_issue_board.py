"""The hot-issue board (热点问题) on the leaders' dashboard: who may see it, a township officer sees
only its township's clusters and gets 404 on another township's, the drill-down lists only visible
events with the reporter masked, bad filters are clear errors, the cache follows new events."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.test import Client
from django.utils import timezone

from civicgrid.events.taxonomy_file import read_taxonomy_file
from civicgrid.events.taxonomy_services import do_load_taxonomy
from civicgrid.events.tests.test_event_workflow import IN_GRID, report
from tests.world import NAMES

pytestmark = pytest.mark.django_db

BOARD = "/dashboard/hot-issues/"
IN_B1 = (120.21, 30.02)


def seed_hot_issues(w):
    """Three reports of one rubbish pile in 东湖 (A1), a lone street-light report there, and two
    reports of one polluted river in 北山 (B1). Also used by the browser test."""
    do_load_taxonomy(read_taxonomy_file(), actor=None)
    w.a1 = [
        report(
            w, title=title, description="路边有一堆生活垃圾没人清理", reporter_name=name, reporter_phone=phone
        ).case
        for title, name, phone in (
            ("东湖社区东湖路暴露垃圾", "张三", "13911110001"),
            ("东湖社区东湖路生活垃圾堆放", "李四", "13911110002"),
            ("东湖社区东湖路垃圾没人清理", "王五", "13911110003"),
        )
    ]
    w.a1_other = report(w, title="路灯不亮", description="晚上一片漆黑", lon=IN_GRID[0] + 0.01).case
    w.b1 = [
        report(
            w,
            user="outsider",
            title=title,
            description="村里河道污水直排，臭味很大",
            lon=IN_B1[0],
            lat=IN_B1[1],
            reporter_name="赵六",
            reporter_phone=phone,
        ).case
        for title, phone in (("北山村河道污水直排", "13922220001"), ("北山村河道污水直排发臭", "13922220002"))
    ]
    return w


@pytest.fixture
def hot_world(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    caches["default"].clear()
    return seed_hot_issues(world)


def period_params(**extra):
    today = timezone.localdate()
    return {"kind": "custom", "start": str(today - dt.timedelta(days=2)), "end": str(today), **extra}


def client_for(world, username):
    client = Client()
    client.force_login(world.user(username))
    return client


def board_keys(response) -> list[str]:
    return re.findall(r'<li data-key="([0-9a-f]+)"', response.content.decode())


def keys_of(world, username, **extra) -> list[str]:
    response = client_for(world, username).get(BOARD, period_params(**extra))
    assert response.status_code == 200
    return board_keys(response)


def test_anonymous_and_roleless_users_are_kept_out(hot_world):
    response = Client().get(BOARD)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(hot_world, "nobody").get(BOARD).status_code == 403
    assert client_for(hot_world, "nobody").get(f"{BOARD}0123456789abcdef/").status_code == 403


def test_leader_sees_both_townships_and_a_township_only_its_own(hot_world):
    w = hot_world
    leader = client_for(w, "leader").get(BOARD, period_params())
    html = leader.content.decode()
    assert len(board_keys(leader)) == 2
    assert "东湖" in html and "北山" in html and "路灯不亮" not in html  # a single event is no hot issue
    township = client_for(w, "township").get(BOARD, period_params()).content.decode()
    assert len(board_keys(client_for(w, "township").get(BOARD, period_params()))) == 1
    assert "北山" not in township and "东湖" in township
    outsider = client_for(w, "outsider").get(BOARD, period_params()).content.decode()
    assert "东湖" not in outsider and "北山" in outsider


def test_another_townships_cluster_is_a_404(hot_world):
    w = hot_world
    (a1_key,) = keys_of(w, "township")
    (b1_key,) = keys_of(w, "outsider")
    assert set(keys_of(w, "leader")) == {a1_key, b1_key}
    township = client_for(w, "township")
    assert township.get(f"{BOARD}{a1_key}/", period_params()).status_code == 200
    assert township.get(f"{BOARD}{b1_key}/", period_params()).status_code == 404
    assert client_for(w, "outsider").get(f"{BOARD}{a1_key}/", period_params()).status_code == 404
    # Another township's area in the filters: not a board the reader has.
    b1_area = w.area(NAMES.township_b1).pk
    assert township.get(f"{BOARD}{b1_key}/", period_params(area=b1_area)).status_code == 404
    response = township.get(BOARD, period_params(area=b1_area))
    assert response.status_code == 200 and 'id="hot-errors"' in response.content.decode()
    assert board_keys(response) == []
    for bad in ("nothex", "0" * 16, "../../admin", "%00"):
        assert township.get(f"{BOARD}{bad}/", period_params()).status_code == 404


def test_drill_down_lists_the_cluster_with_reporters_masked(hot_world):
    w = hot_world
    (a1_key,) = keys_of(w, "township")
    response = client_for(w, "township").get(f"{BOARD}{a1_key}/", period_params())
    html = response.content.decode()
    numbers = re.findall(r'<tr data-number="([^"]+)"', html)
    assert numbers == [c.number for c in w.a1]
    assert w.a1_other.number not in html
    assert "张*" in html and "李*" in html
    for secret in ("张三", "李四", "王五", "13911110001", "1391111"):
        assert secret not in html
    assert "东湖路" in html and "垃圾" in html


def test_drill_down_rechecks_scope_even_from_a_shared_cache(hot_world):
    """A leader's board and a township's differ in scope: their cache entries differ too."""
    w = hot_world
    (b1_key,) = keys_of(w, "outsider")
    keys_of(w, "leader")  # the leader's board, holding the B1 cluster, is now cached
    assert client_for(w, "township").get(f"{BOARD}{b1_key}/", period_params()).status_code == 404


def test_bad_filters_are_clear_errors_never_500(hot_world):
    client = client_for(hot_world, "leader")
    for params in (
        {"kind": "month", "month": "2026-13"},
        {"kind": "custom", "start": "2026-11-30", "end": "2026-11-01"},
        {"kind": "custom", "start": "nonsense"},
        {"kind": "quarter", "quarter": "2026-Q9"},
        {"area": "999999"},
        {"area": "abc"},
        {"category": "no-such"},
    ):
        response = client.get(BOARD, params)
        assert response.status_code == 200, params
        assert 'id="hot-errors"' in response.content.decode(), params
        assert client.get(f"{BOARD}0123456789abcdef/", params).status_code == 404


def test_a_new_event_shows_at_once_despite_the_cache(hot_world):
    w = hot_world
    client = client_for(w, "township")
    before = client.get(BOARD, period_params()).content.decode()
    assert "3 件事件" in before
    report(
        w,
        title="东湖社区东湖路垃圾又堆起来了",
        description="路边有一堆生活垃圾",
        reporter_phone="13911110009",
    )
    after = client.get(BOARD, period_params()).content.decode()
    assert "4 件事件" in after


def test_default_period_and_the_dashboard_links_to_the_board(hot_world):
    client = client_for(hot_world, "leader")
    assert client.get(BOARD).status_code == 200
    dashboard = client.get("/dashboard/", {"kind": "month", "month": "2026-11"}).content.decode()
    assert 'id="hot-issues-link"' in dashboard and "/dashboard/hot-issues/?kind=month" in dashboard


def test_titles_are_escaped_on_the_board_and_the_drill_down(hot_world):
    w = hot_world
    for phone in ("13933330001", "13933330002"):
        report(
            w, title="<script>alert(1)</script>南岸小区井盖丢失", description="井盖丢失", reporter_phone=phone
        )
    client = client_for(w, "township")
    response = client.get(BOARD, period_params())
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    for key in board_keys(response):
        detail = client.get(f"{BOARD}{key}/", period_params()).content.decode()
        assert "<script>alert(1)</script>" not in detail
    assert "&lt;script&gt;" in "".join(
        client.get(f"{BOARD}{key}/", period_params()).content.decode() for key in board_keys(response)
    )
