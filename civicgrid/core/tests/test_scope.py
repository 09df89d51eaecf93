"""Area scope: path collapsing, restrict, get_scoped_or_404."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from civicgrid.core.scope import ALL, collapse_paths, get_scoped_or_404, path_in_scope, scope_paths


# `core` sits below every app (import-linter layers): reach the models through the registry.
def _models():
    return apps.get_model("areas", "Area"), apps.get_model("areas", "Grid")


def test_collapse_paths_drops_covered_paths():
    assert collapse_paths(["11/1101/", "11/", "12/1201/", "12/1201/120101/"]) == ["11/", "12/1201/"]
    # A prefix of the text that is not a path prefix is not covering: "11/11" vs "11/1101/".
    assert collapse_paths(["11/1101/", "11/1102/"]) == ["11/1101/", "11/1102/"]


@pytest.mark.django_db
def test_restrict_by_role_and_area(world):
    Area, Grid = _models()
    township = world.user("township")
    codes = list(Area.objects.restrict(township, "areas.view_area").values_list("code", flat=True))
    assert codes == ["338001001000", "338001001001", "338001001002"]
    assert list(
        Grid.objects.restrict(world.user("gridworker"), "areas.view_grid").values_list("code", flat=True)
    ) == ["338001001001001"]
    assert Area.objects.restrict(world.user("gridworker"), "areas.view_area").count() == 0
    assert Area.objects.restrict(world.user("nobody"), "areas.view_area").count() == 0
    assert Area.objects.restrict(AnonymousUser(), "areas.view_area").count() == 0
    assert Grid.objects.restrict(township, "areas.change_grid").count() == 3
    assert Grid.objects.restrict(township, "areas.delete_grid").count() == 0


@pytest.mark.django_db
def test_inactive_users_and_superusers(world):
    township = world.user("township")
    township.is_active = False
    assert scope_paths(township, "areas.view_area") == []
    root = get_user_model().objects.create_superuser("root", password="x-Long-Pass-1")
    assert scope_paths(root, "anything.at_all") is ALL
    assert path_in_scope(root, "areas.view_area", None) is True


@pytest.mark.django_db
def test_get_scoped_or_404_treats_forbidden_as_missing(world):
    Area, _grid = _models()
    outsider = world.user("outsider")
    own = world.area("338002101000")
    assert get_scoped_or_404(Area, outsider, "areas.view_area", pk=own.pk) == own
    for lookup in ({"pk": world.area("338001001000").pk}, {"pk": 999999}, {"pk": "not-a-number"}):
        with pytest.raises(Http404):
            get_scoped_or_404(Area, outsider, "areas.view_area", **lookup)
