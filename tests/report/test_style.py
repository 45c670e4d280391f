"""Charts draw Chinese glyphs from the pip-installed font: a missing glyph is a failure, not a warning."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from evaluation.report.i18n import CATALOGUE, t  # noqa: E402
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
