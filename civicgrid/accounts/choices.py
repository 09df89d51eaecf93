from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    COMMAND_CENTRE = "command_centre", _("指挥中心")
    GOVERNMENT_OFFICE = "government_office", _("党委政府/街乡办公室")
    DEPARTMENT = "department", _("职能部门")
    VILLAGE_COMMITTEE = "village_committee", _("村/居委会")
    OTHER = "other", _("其他")
