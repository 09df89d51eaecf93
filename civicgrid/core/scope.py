"""Area scope, expressed once.

A user's grants are (role, area) pairs; the role gives permissions (Django permission strings such as
"areas.view_grid"), the area gives a subtree, written as a materialized path ("11/1101/110101/").
`ScopedQuerySet.restrict(user, action)` keeps the rows whose path starts with one of the user's paths
for that action. Base views, viewsets and form fields call it; views never filter by hand.

`core` does not import `accounts`: the user model provides `get_scope_paths(action)`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.http import Http404

ALL = object()  # sentinel: the user may act everywhere (superuser)


def collapse_paths(paths) -> list[str]:
    """Drop paths that lie under another path of the list: "11/" covers "11/1101/"."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return kept


def scope_paths(user, action: str):
    """The subtrees in which `user` may perform `action`: ALL, or a list of paths (maybe empty)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    if user.is_superuser:
        return ALL
    getter = getattr(user, "get_scope_paths", None)
    if getter is None:
        return []
    return collapse_paths(getter(action))


def path_in_scope(user, action: str, path: str | None) -> bool:
    """True when `path` lies within the user's scope for `action`."""
    paths = scope_paths(user, action)
    if paths is ALL:
        return True
    if not path:
        return False
    return any(path.startswith(p) for p in paths)


def path_q(field: str, paths) -> Q:
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


class ScopedQuerySet(models.QuerySet):
    def restrict(self, user, action: str):
        """Rows the user may perform `action` on. Empty for anonymous and inactive users."""
        paths = scope_paths(user, action)
        if paths is ALL:
            return self
        if not paths:
            return self.none()
        return self.filter(path_q(self.model.scope_path_field, paths))


def get_scoped_or_404(queryset_or_model, user, action: str, **lookup):
    """The one way to load a scoped object by id: missing and forbidden are the same 404."""
    qs = queryset_or_model if isinstance(queryset_or_model, models.QuerySet) else queryset_or_model.objects
    try:
        return qs.restrict(user, action).get(**lookup)
    except (qs.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def perm_name(model, verb: str) -> str:
    """Django permission string for a model verb: perm_name(Grid, "view") == "areas.view_grid"."""
    meta = model._meta
    return f"{meta.app_label}.{verb}_{meta.model_name}"
