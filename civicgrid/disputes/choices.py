"""Choices of the dispute kind (矛盾纠纷多元化解): types, sources, party roles, mediation
organisations, referral channels and follow-up results. Statuses live in `workflow.py`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DisputeType(models.TextChoices):
    FAMILY = "family", _("婚姻家庭")
    NEIGHBOUR = "neighbour", _("邻里")
    LABOUR = "labour", _("劳动/劳资")
    LAND = "land", _("土地/宅基地")
    EXPROPRIATION = "expropriation", _("征地拆迁")
    PROPERTY_MGMT = "property_mgmt", _("物业")
    MEDICAL = "medical", _("医疗")
    CONSUMER = "consumer", _("消费")
    DEBT = "debt", _("债务")
    OTHER = "other", _("其他")


# GLOSSARY (民转刑 prevention): 婚恋家庭, 邻里, 债务, 劳资, 土地 are the high-risk types. The active risk
# scheme may name others (RiskScheme.high_risk_types); this is the default it is seeded with.
HIGH_RISK_TYPES = ("family", "neighbour", "debt", "labour", "land")


class DisputeSource(models.TextChoices):
    WALK_IN = "walk_in", _("来访")  # the party came to the centre or the committee
    GRID = "grid", _("网格员排查")  # found by a grid worker's screening (排查)
    EVENT = "event", _("事件转入")  # converted from an event (source_case is the event)
    POLICE = "police", _("警调对接")  # handed over by the police (110 非警务纠纷)
    COURT = "court", _("诉调对接")  # a court's pre-litigation mediation (诉前调解)
    PETITION = "petition", _("访调对接")  # handed over by the petition office


class PartyRole(models.TextChoices):
    """CaseParty.role for disputes."""

    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD = "third", _("第三人")


class OrganisationKind(models.TextChoices):
    VILLAGE = "village_committee", _("村（社区）人民调解委员会")
    TOWNSHIP = "township_committee", _("乡镇（街道）人民调解委员会")
    INDUSTRY = "industry_committee", _("行业性、专业性人民调解委员会")
    ADMINISTRATIVE = "administrative", _("行政调解")
    COURT = "court_linked", _("法院特邀调解（诉调对接）")


class ReferralChannel(models.TextChoices):
    """Where a failed mediation is guided (引导分流)."""

    LITIGATION = "litigation", _("诉讼")
    ARBITRATION = "arbitration", _("仲裁")
    PETITION = "petition", _("信访")
    ADMINISTRATIVE = "administrative", _("行政处理")


class FulfilmentResult(models.TextChoices):
    """A follow-up visit's finding on the agreement's performance (履行情况)."""

    FULFILLED = "fulfilled", _("已履行")
    PARTIAL = "partial", _("部分履行")
    NOT_FULFILLED = "not_fulfilled", _("未履行")


class CourtResult(models.TextChoices):
    CONFIRMED = "confirmed", _("确认有效")
    REJECTED = "rejected", _("驳回申请")
    DECLINED = "declined", _("不予受理")
