"""The default urgency word rules (data/urgency_rules.json); administrators edit them afterwards."""

import json
from pathlib import Path

from django.db import migrations

RULES = Path(__file__).resolve().parent.parent / "data" / "urgency_rules.json"


def add_rules(apps, schema_editor):
    UrgencyRule = apps.get_model("textintel", "UrgencyRule")
    for rule in json.loads(RULES.read_text(encoding="utf-8")):
        UrgencyRule.objects.get_or_create(
            name=rule["name"],
            defaults={k: rule[k] for k in ("kind", "words", "exclude", "reason")},
        )


class Migration(migrations.Migration):
    dependencies = [("textintel", "0001_initial")]
    operations = [migrations.RunPython(add_rules, migrations.RunPython.noop)]
