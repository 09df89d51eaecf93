from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    verbose_name = _("用户与权限")

    def ready(self):
        from .roles import sync_system_roles_after_migrate

        # Infrastructure, not business logic: keep the built-in role catalogue in step with the code.
        # Roles name permissions of apps installed after this one, which Django creates in each app's
        # own post_migrate, so the sync runs once, after the last app's.
        post_migrate.connect(sync_system_roles_after_migrate, dispatch_uid="civicgrid.sync_system_roles")
