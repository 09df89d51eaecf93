"""Choices of the petition kind (信访工作条例 2022): channels, classes, the handling organ's
opinion, review outcomes, the petitioner's rating and the party roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    ONLINE = "online", _("网上信访")
    LETTER = "letter", _("来信")
    PHONE = "phone", _("来电")
    VISIT = "visit", _("来访")
    FAX = "fax", _("传真")


class PetitionClass(models.TextChoices):
    SUGGESTION = "suggestion", _("建议意见")
    ACCUSATION = "accusation", _("检举控告")  # confidential: only the discipline-inspection role sees it
    CLAIM = "claim", _("申诉求决")


class TransferMode(models.TextChoices):
    TRANSFER = "transfer", _("转送")  # to the competent organ
    ASSIGN = "assign", _("交办")  # a significant matter, the office follows it


class Opinion(models.TextChoices):
    """The outcome of 处理意见书 (Art.32)."""

    SUPPORT = "support", _("支持")
    EXPLAIN = "explain", _("解释说明")
    NOT_SUPPORT = "not_support", _("不予支持")


class ReviewOutcome(models.TextChoices):
    """复查 / 复核 outcome."""

    UPHELD = "upheld", _("维持")
    CHANGED = "changed", _("变更")
    REVOKED = "revoked", _("撤销")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class PartyRole(models.TextChoices):
    PETITIONER = "petitioner", _("信访人")
    ACCUSED = "accused", _("被反映人")


COLLECTIVE_SIZE = 5  # five or more people: 集体访
