"""The auditors' history: field diffs of every write (ObjectChange) and every read of personal data
(AccessLog). Each log is a hash chain: a row's digest covers its content and the previous row's
digest, and `ChainHead` holds the last digest and count, so editing, inserting or deleting any row
(the last one included) is detected by `manage.py verify_audit`.

Rows are written only by `audit.services`; the actor is kept as id and username (not a foreign key)
so that deleting a user can neither cascade into nor break the chain.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ChangeAction(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")


class ChainedRow(models.Model):
    time = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.BigIntegerField(_("操作人编号"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("操作人"), max_length=150, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=100, db_index=True)  # "areas.grid"
    object_id = models.CharField(_("对象编号"), max_length=64, db_index=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=128)
    hash = models.CharField(max_length=128, unique=True)
    hash_alg = models.CharField(max_length=16, default="sm3")

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.object_type}:{self.object_id} by {self.actor_username or '-'}"


class ObjectChange(ChainedRow):
    action = models.CharField(_("操作"), max_length=10, choices=ChangeAction.choices)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)

    CHAIN = "object_change"
    HASHED_FIELDS = (
        "time",
        "actor_id",
        "actor_username",
        "request_id",
        "object_type",
        "object_id",
        "object_repr",
        "action",
        "before",
        "after",
    )

    class Meta(ChainedRow.Meta):
        verbose_name = _("变更记录")
        verbose_name_plural = pgettext_lazy("plural", "变更记录")
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]
        permissions = [("verify_audit", _("可校验审计链"))]


class AccessLog(ChainedRow):
    """One read of personal data: who saw which fields of which record, and why."""

    fields = models.JSONField(_("字段"), default=list)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)

    CHAIN = "access_log"
    HASHED_FIELDS = (
        "time",
        "actor_id",
        "actor_username",
        "request_id",
        "object_type",
        "object_id",
        "object_repr",
        "fields",
        "purpose",
    )

    class Meta(ChainedRow.Meta):
        verbose_name = _("个人信息访问记录")
        verbose_name_plural = pgettext_lazy("plural", "个人信息访问记录")
        permissions = [("reveal_personal_data", _("可查看未脱敏的个人信息"))]


class ChainHead(models.Model):
    """The tip of one hash chain. Locking this row serialises appends on every database."""

    name = models.CharField(max_length=32, primary_key=True)
    last_hash = models.CharField(max_length=128)
    last_id = models.BigIntegerField(default=0)
    count = models.BigIntegerField(default=0)

    def __str__(self):
        return f"{self.name}: {self.count} rows"
