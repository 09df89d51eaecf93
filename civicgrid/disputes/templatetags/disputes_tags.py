"""Template filters other apps' templates use to offer dispute steps (the event panel's
"转为矛盾纠纷" link)."""

from django import template

from civicgrid.core.scope import path_in_scope

register = template.Library()


@register.filter
def may_convert_to_dispute(case, user) -> bool:
    """The user may register disputes where the event lies, and it was not converted yet."""
    from civicgrid.disputes.models import DisputeDetails

    if (
        case is None
        or getattr(case, "kind", "") != "event"
        or not path_in_scope(user, "disputes.report_dispute", case.path)
    ):
        return False
    return not DisputeDetails.objects.filter(source_case_id=case.pk).exists()


@register.filter
def converted_dispute(case):
    """The dispute an event was converted into (or None)."""
    from civicgrid.disputes.models import DisputeDetails

    found = (
        DisputeDetails.objects.filter(source_case_id=getattr(case, "pk", None)).select_related("case").first()
    )
    return found.case if found is not None else None
