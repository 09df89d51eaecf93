"""Choices of the one-stop centre (综治中心 / 矛调中心 一站式受理)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

GROUP_VISIT_SIZE = 5  # five or more people: a group visit (集体访), as for disputes and petitions


class VisitStatus(models.TextChoices):
    PENDING = "pending", _("待分流")  # registered, in the desk's queue
    ROUTED = "routed", _("已分流")  # a case was opened from it (it keeps the link)
    ANSWERED = "answered", _("当场答复")  # answered at the desk, no case needed


class Route(models.TextChoices):
    """Where the desk sends a walk-in: the three case kinds of the platform."""

    DISPUTE = "dispute", _("调解（矛盾纠纷）")
    PETITION = "petition", _("信访")
    EVENT = "event", _("事件办理")


class VisitAction(models.TextChoices):
    """Steps of a visit's own history (desk.VisitEntry)."""

    REGISTERED = "registered", _("来访登记")
    ROUTED = "routed", _("分流")
    REROUTED = "rerouted", _("再次分流")
    ANSWERED = "answered", _("当场答复")
    URGED = "urged", _("催办")
    RECEIPT = "receipt", _("出具回执")


class VisitorRole(models.TextChoices):
    """A party's role as the desk records it; each route maps it to its kind's own role."""

    VISITOR = "visitor", _("来访人")
    OTHER_PARTY = "other_party", _("对方当事人")
