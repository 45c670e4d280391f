"""Charts draw Chinese glyphs from the pip-installed font: a missing glyph is a failure, not a warning."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evaluation.text.i18n import CATALOGUE, t  # noqa: E402
from evaluation.report.style import cjk_font_path, use_style  # noqa: E402


def test_font_comes_from_the_pip_package_not_the_system():
    path = cjk_font_path()
    assert "site-packages" in str(path) and path.name == "NotoSansCJKsc-Regular.otf"


def test_every_chinese_label_renders_without_missing_glyphs():
    family = use_style()
    assert "CJK" in family
    labels = [e["zh"] for k, e in CATALOGUE.items() if k.startswith(("axis.", "fig.", "col."))]
    fig, ax = plt.subplots()
    ax.set_title("；".join(labels[:12]))
    ax.set_xlabel("".join(labels[12:]))
    ax.plot([0, 1], [-1, 1])  # a minus sign on the axis, the classic missing glyph
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        fig.savefig(io.BytesIO(), format="png")
    plt.close(fig)


def test_catalogue_has_both_languages_and_formats():
    for key, entry in CATALOGUE.items():
        assert set(entry) == {"zh", "en"}, key
    assert "43" in t("dq.lineage_note", "en", n_from=10, n_to=43, date="2020-01-01")
    with pytest.raises(KeyError, match="catalogue"):
        t("no.such.key", "zh")


@pytest.mark.parametrize("lo, hi", [(1.0, 1.6), (0.7, 1.4), (0.2, 8.0), (0.01, 50.0)])
def test_log_axis_reads_as_plain_decimals(lo, hi):
    """Odds ratios on a log axis read 1.1, 1.2 …, never matplotlib's "1.1 × 10⁰" (issue 17)."""
    from evaluation.report.style import plain_log_axis

    use_style()
    fig, ax = plt.subplots()
    ax.errorbar([lo * 1.05, hi / 1.05], [0, 1], xerr=[[lo * 0.05, 0], [0, hi * 0.04]], fmt="o")
    ax.set_xscale("log")
    plain_log_axis(ax.xaxis)
    fig.canvas.draw()
    labels = [x.get_text() for x in ax.xaxis.get_majorticklabels() + ax.xaxis.get_minorticklabels()]
    shown = [x for x in labels if x]
    plt.close(fig)
    assert shown and not [x for x in shown if "10" in x and ("^" in x or "times" in x or "×" in x)]
    assert all(float(x) > 0 for x in shown)  # each is a plain number
    if hi / lo < 10:
        assert len(shown) >= 3  # a narrow range is labelled inside, not only at 1
