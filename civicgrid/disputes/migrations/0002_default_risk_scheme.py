"""Seed the default three-colour risk scheme (红/黄/绿), active, and an inactive four-colour one
(红/橙/黄/蓝) an administrator may switch to. The values are copied here (not imported) so the
migration never changes when the code's defaults do."""

from django.db import migrations

WEIGHTS = {"threat_words": 6, "repeat_parties": 3, "overdue": 2, "failed": 3, "high_risk_type": 2, "group": 3}
WORDS = ["威胁", "砍", "杀", "同归于尽", "跳楼", "报复", "弄死", "拼命", "炸", "放火", "喝农药"]
TYPES = ["family", "neighbour", "debt", "labour", "land"]
SCHEMES = [
    (
        "三色预警（默认）",
        True,
        [
            {"code": "green", "label": "绿", "min_score": 0},
            {"code": "yellow", "label": "黄", "min_score": 3},
            {"code": "red", "label": "红", "min_score": 6},
        ],
    ),
    (
        "四色预警",
        False,
        [
            {"code": "blue", "label": "蓝", "min_score": 0},
            {"code": "yellow", "label": "黄", "min_score": 2},
            {"code": "orange", "label": "橙", "min_score": 4},
            {"code": "red", "label": "红", "min_score": 6},
        ],
    ),
]


def seed(apps, schema_editor):
    RiskScheme = apps.get_model("disputes", "RiskScheme")
    for name, active, levels in SCHEMES:
        RiskScheme.objects.get_or_create(
            name=name,
            defaults={
                "levels": levels,
                "weights": WEIGHTS,
                "threat_words": WORDS,
                "high_risk_types": TYPES,
                "group_size": 5,
                "repeat_threshold": 2,
                "is_active": active and not RiskScheme.objects.filter(is_active=True).exists(),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
