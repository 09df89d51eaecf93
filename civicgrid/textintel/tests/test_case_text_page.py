"""The case-page fragment: flags with their reasons, escaped, and the routing line."""

from __future__ import annotations

from types import SimpleNamespace

from django.template.loader import render_to_string


def test_flags_render_with_reasons_and_are_escaped():
    flag = SimpleNamespace(
        kind="violence",
        reason="<script>x</script>理由",
        matched=["砍人"],
        get_kind_display=lambda: "生命安全或暴力威胁",
    )
    analysis = SimpleNamespace(
        predictions=[{"label": "0101", "confidence": 0.9}],
        model_version=3,
        confidence=0.9,
        get_routing_display=lambda: "已预选分类",
    )
    html = render_to_string("textintel/_case_text.html", {"text": {"flags": [flag], "analysis": analysis}})
    assert 'data-flag="violence"' in html and "砍人" in html and "v3" in html
    assert "<script>x" not in html and "&lt;script&gt;" in html
    assert render_to_string("textintel/_case_text.html", {"text": {}}).strip() == ""
