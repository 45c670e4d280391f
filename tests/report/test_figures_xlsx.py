"""figures.xlsx: one sheet per chapter, labelled columns, every headline figure with its label, suppression applied."""

from __future__ import annotations

import openpyxl
import pytest

from evaluation.report.figures import write_figures_xlsx
from evaluation.text.i18n import t
from evaluation.report.summary import HEADLINES


def _results():
    res = {h.key: {"value": 0.5 + i, "n": 100 + i} for i, h in enumerate(HEADLINES)}
    res["survey.satisfaction_index.mean"] = {"value": 69.9, "ci_low": 68.6, "ci_high": 71.2, "n": 2150}
    res["grid.on_time_rate.share"] = {"value": 0.895, "ci_low": 0.891, "ci_high": 0.9, "n": 16295}
    res["grid.events_reported.count.labour"] = {"value": None, "suppressed": "primary"}
    res["grid.events_reported.count.other"] = {"value": None, "suppressed": "secondary"}
    res["data.rows.grid_events"] = {"value": 72717}
    return res


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_workbook_sheets_columns_headlines_and_suppression(tmp_path, lang):
    out = write_figures_xlsx(_results(), tmp_path / "run" / "figures.xlsx", lang)
    assert out.is_file() and not list(out.parent.glob("*.part"))
    wb = openpyxl.load_workbook(out)
    want = [t(f"fig.sheet.{c}", lang) for c in ("data", "organisation", "survey", "services", "impact", "claims")]
    assert wb.sheetnames == want
    header = [t(f"fig.col.{c}", lang) for c in ("name", "key", "value", "interval", "unit", "n", "definition",
                                                  "suppression")]
    rows = {}
    for ws in wb.worksheets:
        assert [c.value for c in ws[1]] == header
        for r in ws.iter_rows(min_row=2, values_only=True):
            rows[r[1]] = r
    for h in HEADLINES:  # every headline key is on the workbook with its label
        assert rows[h.key][0] == t(h.label, lang)
    sat = rows["survey.satisfaction_index.mean"]
    # a range is the catalogue's (punct.range): 至 in Chinese, "to" in English, never an inline dash
    to = {"zh": " 至 ", "en": " to "}[lang]
    assert sat[2] == 69.9 and sat[3] == f"68.6{to}71.2" and sat[5] == 2150
    assert rows["grid.on_time_rate.share"][3] == f"89.1%{to}90.0%"
    for key, status in (("grid.events_reported.count.labour", "primary"),
                        ("grid.events_reported.count.other", "secondary")):
        assert rows[key][2] == t("fig.suppressed_marker", lang) and rows[key][5] is None
        assert rows[key][7] == t(f"fig.suppressed.{status}", lang)
    assert rows["data.rows.grid_events"][7] == t("fig.suppressed.none", lang)
    # the share keeps its value, shown as a percent
    ws = wb[t("fig.sheet.services", lang)]
    cell = next(r[2] for r in ws.iter_rows(min_row=2) if r[1].value == "grid.on_time_rate.share")
    assert cell.value == 0.895 and cell.number_format == "0.0%"


def test_bad_language_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_figures_xlsx({}, tmp_path / "f.xlsx", "fr")


def test_a_run_without_figures_gets_a_header_only_sheet(tmp_path):
    wb = openpyxl.load_workbook(write_figures_xlsx({}, tmp_path / "f.xlsx", "zh"))
    assert wb.sheetnames == [t("fig.sheet.other", "zh")] and wb.worksheets[0].max_row == 1
