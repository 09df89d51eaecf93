"""The inbox filter form's selects render in Python (`QuickSelect`) exactly as Django's widget
templates render them: values, labels, attributes, the selected option and optgroups, escaped."""

import re

import pytest
from django import forms

from civicgrid.cases.filtersets import QuickSelect, inbox_filterset_class

CHOICES = [
    ("", "---------"),
    ("a", "甲 <b>&"),
    ('x"y', "引号"),
    ("组", [("g1", "组一"), ("g2", "组二 <i>")]),
]


def normal(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize("value", [None, "", "a", 'x"y', "g2", "missing"])
def test_quick_select_renders_like_django(value):
    attrs = {"id": "id_f", "class": "c<1>", "data-x": 'q"'}
    expected = forms.Select(attrs=attrs, choices=CHOICES).render("f", value)
    assert normal(QuickSelect(attrs=attrs, choices=CHOICES).render("f", value)) == normal(expected)


@pytest.mark.django_db
def test_the_inbox_filter_form_uses_it_and_keeps_the_choice(world, rf):
    request = rf.get("/cases/", {"priority": "high"})
    request.user = world.user("township")
    filterset = inbox_filterset_class()(request.GET, request=request)
    widgets = {name: type(field.widget) for name, field in filterset.form.fields.items()}
    assert widgets["priority"] is QuickSelect and widgets["status"] is QuickSelect
    html = str(filterset.form["priority"])
    assert '<option value="high" selected>' in html
    assert filterset.form.is_valid()
