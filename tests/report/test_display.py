"""evaluation.report.display: the catalogue's Markdown outputs and interval cells the section modules share."""

from __future__ import annotations

import pandas as pd

from evaluation.report.display import md, shown, span


def test_md_is_the_catalogue_text_as_markdown_with_its_values_escaped():
    out = md("svc.suppression", "en", min_cell=5)
    assert type(out).__name__ == "Markdown" and "5" in out.data
    assert md("real_notice", "zh", label="<b>").data.count("<b>") == 0  # data text is escaped, as t() does


def test_span_writes_each_end_and_a_dash_for_a_missing_one():
    assert span([1.0, 2.25], [1.5, 3.0]) == ["1.0 – 1.5", "2.2 – 3.0"]
    assert span(pd.Series([-0.1]), pd.Series([0.2]), "{:+.1f}") == ["-0.1 – +0.2"]
    assert span([0.1, None], [0.2, 0.3], lambda v: f"{v:.0%}") == ["10% – 20%", "—"]
    assert span([float("nan")], [1.0]) == ["—"]


def test_shown_heads_columns_from_the_section_prefix_in_the_order_asked():
    frame = pd.DataFrame({"item": ["a"], "community_ci": ["1 – 2"], "other": [0]})
    assert list(shown(frame, ["community_ci", "item"], "profile", "en").columns) == ["community 95% CI", "item"]
    assert list(shown(frame, ["item"], "profile", "zh").columns) == ["项目"]
