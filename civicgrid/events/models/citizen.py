"""What the citizen pages keep beside an event reported through them (channel "citizen").

`CitizenAccess` holds the hash of the query code (查询码) the citizen received, never the code
itself: following the case needs the number and the code (or the phone used to report), and the
hash is Django's password hasher (Argon2 here), so it needs no secret of the installation and
survives a SECRET_KEY rotation. It also remembers the citizen's rating of the current closure
(rate once per closure; a reopened and closed-again case may be rated again).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CitizenAccess(models.Model):
    """One row per event reported on the citizen page; written only by `events.citizen_services`."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("案件"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="citizen_access",
    )
    code_hash = models.CharField(_("查询码摘要"), max_length=200)
    created_at = models.DateTimeField(_("创建时间"))
    rated_at = models.DateTimeField(_("群众评价时间"), null=True, blank=True)
    rating_count = models.PositiveIntegerField(_("群众评价次数"), default=0)

    class Meta:
        verbose_name = _("群众查询凭证")
        verbose_name_plural = pgettext_lazy("plural", "群众查询凭证")

    def __str__(self):
        return str(self.case_id)
