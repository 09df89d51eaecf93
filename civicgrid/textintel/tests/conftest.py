"""Fixtures of the text layer's tests: model files under a temporary directory, the process cache
emptied around each test, and the textintel permissions on the administrator role (the change
requested for accounts/roles.py: administrators hold textintel.add/activate/view_textmodel)."""

from __future__ import annotations

import pytest

from civicgrid.textintel import services, urgency

MANAGER_PERMISSIONS = ("add_textmodel", "activate_textmodel", "view_textmodel", "change_textmodel")


@pytest.fixture(autouse=True)
def _text_state(settings, tmp_path):
    settings.CIVICGRID_TEXT_MODEL_DIR = str(tmp_path / "textmodels")
    services.forget_loaded_models()
    urgency.rule_cache.clear()
    yield
    services.forget_loaded_models()
    urgency.rule_cache.clear()


def grant_model_management(world):
    from django.contrib.auth.models import Permission

    from civicgrid.accounts.models import Role

    role = Role.objects.get(code="administrator")
    role.permissions.add(
        *Permission.objects.filter(content_type__app_label="textintel", codename__in=MANAGER_PERMISSIONS)
    )
    for user in world.users.values():
        user.clear_scope_cache()
    return world
