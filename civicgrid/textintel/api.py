"""The text layer's API.

* models (administrators holding `textintel.activate_textmodel` over the whole city; everybody else
  403, the answer does not depend on an object): list, activate one, deactivate all, set the
  confidence threshold;
* `classify`: try the active model on a text (staff who may report or view cases somewhere);
* per case: the analysis, urgency flags and corrections of a case the user can view — a case out
  of reach is a 404 like a missing one; the classification queue and the flagged cases, both
  restricted to the user's cases.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.cases.models import Case
from civicgrid.core.scope import ALL, scope_paths

from . import services
from .models import CaseText, Routing, TextCorrection, TextModel, UrgencyFlag, UrgencyKind

LIST_LIMIT = 200


class ManagesModels(permissions.BasePermission):
    message = _("管理文本分类模型需要全市范围的系统管理权限。")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated) and services.can_manage_models(user, "activate")


class SeesCases(permissions.BasePermission):
    """Staff who may view or report cases somewhere (per-case scope is checked on each row)."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        for action in ("cases.view_case", "cases.report_case"):
            paths = scope_paths(user, action)
            if paths is ALL or paths:
                return True
        return False


class TextModelSerializer(serializers.ModelSerializer):
    created_by = serializers.StringRelatedField()

    class Meta:
        model = TextModel
        fields = [
            "id",
            "version",
            "source",
            "format_version",
            "checksum",
            "training_summary",
            "metrics",
            "confidence_threshold",
            "is_active",
            "created_by",
            "created_at",
            "activated_at",
        ]


def _model_or_404(pk) -> TextModel:
    try:
        return TextModel.objects.get(pk=int(pk))
    except (TextModel.DoesNotExist, TypeError, ValueError):
        raise NotFound() from None


class ModelList(APIView):
    permission_classes = [permissions.IsAuthenticated, ManagesModels]

    @extend_schema(operation_id="textintel_models_list", responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rows = TextModel.objects.select_related("created_by")[:LIST_LIMIT]
        return Response(
            {
                "default_threshold": services.default_threshold(),
                "results": TextModelSerializer(rows, many=True).data,
            }
        )


class ModelDetail(APIView):
    permission_classes = [permissions.IsAuthenticated, ManagesModels]

    @extend_schema(
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)], responses=TextModelSerializer
    )
    def get(self, request, pk):
        return Response(TextModelSerializer(_model_or_404(pk)).data)

    @extend_schema(
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        request=OpenApiTypes.OBJECT,
        responses=TextModelSerializer,
    )
    def patch(self, request, pk):
        model = _model_or_404(pk)
        if "confidence_threshold" in request.data:
            model = services.do_set_threshold(model, request.data["confidence_threshold"], actor=request.user)
        return Response(TextModelSerializer(model).data)


class ModelActivate(APIView):
    permission_classes = [permissions.IsAuthenticated, ManagesModels]

    @extend_schema(
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH)],
        request=None,
        responses=TextModelSerializer,
    )
    def post(self, request, pk):
        model = services.do_activate_model(_model_or_404(pk), actor=request.user)
        return Response(TextModelSerializer(model).data)


class ModelsDeactivate(APIView):
    permission_classes = [permissions.IsAuthenticated, ManagesModels]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        return Response({"deactivated": services.do_deactivate_models(actor=request.user)})


class Classify(APIView):
    permission_classes = [permissions.IsAuthenticated, SeesCases]

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        title, body = request.data.get("title", ""), request.data.get("body", "")
        if not isinstance(title, str) or not isinstance(body, str):
            return Response({"body": [_("标题和内容应为文本")], "error_code": "invalid"}, status=400)
        analysis = services.classify_message(title, body)
        if not analysis.predictions:
            routing = Routing.RULES
        else:
            routing = Routing.PRESELECTED if analysis.confident else Routing.QUEUE
        hits = services.analyse_message(title, body, classify=False).hits
        return Response(
            {
                "model_version": analysis.model_version,
                "threshold": analysis.threshold,
                "predictions": [{"label": label, "confidence": conf} for label, conf in analysis.predictions],
                "routing": routing,
                "flags": [{"kind": h.kind, "reason": h.reason, "matched": list(h.matched)} for h in hits],
            }
        )


def flag_data(flag: UrgencyFlag) -> dict:
    return {
        "kind": flag.kind,
        "kind_display": str(UrgencyKind(flag.kind).label) if flag.kind in UrgencyKind.values else flag.kind,
        "reason": flag.reason,
        "matched": flag.matched,
        "created_at": flag.created_at,
    }


def case_text_data(case, text: CaseText | None, flags, corrections) -> dict:
    return {
        "case": case.pk,
        "number": case.number,
        "routing": text.routing if text else None,
        "routing_display": text.get_routing_display() if text else None,
        "needs_review": bool(text and text.needs_review),
        "model_version": text.model_version if text else None,
        "predictions": text.predictions if text else [],
        "confidence": text.confidence if text else None,
        "flags": [flag_data(f) for f in flags],
        "corrections": [
            {
                "suggested": c.suggested,
                "chosen": c.chosen,
                "model_version": c.model_version,
                "actor": str(c.actor) if c.actor else None,
                "created_at": c.created_at,
            }
            for c in corrections
        ],
    }


class CaseTextDetail(APIView):
    permission_classes = [permissions.IsAuthenticated, SeesCases]

    @extend_schema(
        parameters=[OpenApiParameter("case_id", int, OpenApiParameter.PATH)], responses=OpenApiTypes.OBJECT
    )
    def get(self, request, case_id):
        try:
            case = services.cases_visible_to(request.user).get(pk=int(case_id))
        except (ValueError, TypeError, Case.DoesNotExist):
            raise NotFound() from None
        text = CaseText.objects.filter(case=case).first()
        flags = UrgencyFlag.objects.filter(case=case)
        corrections = TextCorrection.objects.filter(case=case).select_related("actor")
        return Response(case_text_data(case, text, flags, corrections))


class ClassificationQueue(APIView):
    """Events the model was not confident about, waiting for a dispatcher to classify them."""

    permission_classes = [permissions.IsAuthenticated, SeesCases]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rows = (
            CaseText.objects.filter(
                needs_review=True,
                case__in=services.cases_visible_to(request.user),
                case__closed_at__isnull=True,
            )
            .select_related("case")
            .order_by("-created_at")[:LIST_LIMIT]
        )
        return Response(
            {
                "results": [
                    {
                        "case": t.case_id,
                        "number": t.case.number,
                        "title": t.case.title,
                        "predictions": t.predictions,
                        "confidence": t.confidence,
                        "created_at": t.created_at,
                    }
                    for t in rows
                ]
            }
        )


class FlaggedCases(APIView):
    """Open cases with urgency flags, newest first."""

    permission_classes = [permissions.IsAuthenticated, SeesCases]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        flags = (
            UrgencyFlag.objects.filter(
                case__in=services.cases_visible_to(request.user), case__closed_at__isnull=True
            )
            .select_related("case")
            .order_by("-created_at", "-id")[:LIST_LIMIT]
        )
        return Response(
            {
                "results": [
                    {"case": f.case_id, "number": f.case.number, "title": f.case.title, **flag_data(f)}
                    for f in flags
                ]
            }
        )
