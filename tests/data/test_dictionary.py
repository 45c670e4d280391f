"""The committed data dictionary is exactly what the contract generates (it cannot drift)."""

from __future__ import annotations

from conftest import ROOT

from evaluation.data.contract import TABLES
from evaluation.data.dictionary import render_dictionary


def test_committed_dictionary_matches_contract():
    for lang in ("en", "zh"):
        committed = (ROOT / "data" / f"dictionary.{lang}.md").read_text(encoding="utf-8")
        assert committed == render_dictionary(lang), f"run `jinlin dictionary` to refresh dictionary.{lang}.md"


def test_contract_covers_shared_data_model():
    """Every table and column of ../shared/design/data-model.md is in the contract, with its Chinese header."""
    import re

    model = (ROOT.parent / "shared" / "design" / "data-model.md")
    if not model.exists():
        import pytest
        pytest.skip("shared/ design notes are not beside this clone")
    text = model.read_text(encoding="utf-8")
    names = {t.name for t in TABLES}
    for m in re.finditer(r"^### (\w+) \(", text, flags=re.M):
        assert m.group(1) in names
    for t in TABLES:
        for c in t.columns:
            if c.required and not t.added and c.name != "person_key":
                assert f"**{c.name}**" in text or f"**{c.name}** (" in text, f"{t.name}.{c.name}"


def test_chinese_dictionary_has_chinese_notes():
    """Issue 17: dictionary.zh.md carried the tables' notes in English."""
    from evaluation.data.contract import NOTES_ZH, TABLES
    from evaluation.data.dictionary import render_dictionary

    for t in TABLES:
        assert len(t.notes_in("zh")) == len(t.notes), t.name  # one Chinese note for each English one
    assert set(NOTES_ZH) <= {t.name for t in TABLES}
    zh = render_dictionary("zh")
    assert "合并或拆分过的社区仍保留在名录中" in zh
    assert not [n for t in TABLES for n in t.notes if n in zh]
