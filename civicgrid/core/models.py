"""Abstract base models. `core` defines no tables of its own."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .scope import ScopedQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class ScopedModel(models.Model):
    """A model whose rows belong to a place in the area tree.

    Subclasses name the field that holds the row's materialized path in `scope_path_field`
    (a field lookup such as "path" or "area__path"); `objects.restrict(user, action)` then keeps
    only rows under an area the user holds `action` in.
    """

    scope_path_field = "path"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        abstract = True
