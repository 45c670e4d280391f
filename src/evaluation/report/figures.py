"""``figures.xlsx``: the recorded figures of a run as an Excel workbook, one sheet per chapter, for offices that paste.

Each row is one figure of ``results.json``: its name (the summary page's label for a headline figure, otherwise the
figure's key), key, value, 95% interval, unit, n, definition, and whether small-cell suppression withheld it. A
suppressed figure shows the marker "不予公布" where the value would be, never a number (``results.json`` already holds
``null`` for it; :mod:`evaluation.report.record`). Shares are written as Excel numbers with a percent format, so a pasted
cell keeps its value. Units and definitions are by the kind of figure the key ends with (``.share``, ``.per_10k`` …),
from the catalogue (resources/i18n/figures.yaml).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..text.i18n import plain, t
from .summary import HEADLINES

__all__ = ["write_figures_xlsx", "figure_rows", "CHAPTERS"]

# First key segment -> chapter (the notebooks' order).
CHAPTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("data", ("data",)),
    ("organisation", ("organisation", "participation")),
    ("survey", ("survey",)),
    ("services", ("grid", "petitions", "service_circle")),
    ("impact", ("impact",)),
    ("claims", ("claims",)),
)


def _chapter(key: str) -> str:
    head = key.split(".", 1)[0]
    for name, prefixes in CHAPTERS:
        if head in prefixes:
            return name
    return "other"


def _kind(key: str) -> str:
    parts = key.split(".")
    for kind in ("per_10k", "per_1k", "per_100", "per_community"):
        if any(p.startswith(kind) for p in parts[1:]):
            return kind
    if key.startswith("impact.") and parts[-1] == "att":
        return "effect"
    if key.startswith("survey.satisfaction_index"):
        return "index"
    if "hours" in parts[-1]:
        return "hours"
    if parts[-1] in ("share", "rate") or parts[-1].endswith("_share") or ".share" in key or "_rate" in key:
        return "share"
    if parts[-1] == "count" or ".count." in key:
        return "count"
    return "other"


def _number(v: Any) -> float | int | str | None:
    if v is None or isinstance(v, bool):
        return None if v is None else str(v)
    if isinstance(v, (int, float)):
        return None if isinstance(v, float) and math.isnan(v) else v
    return str(v)


def figure_rows(results: Mapping[str, Mapping[str, Any]], lang: str) -> dict[str, list[dict[str, Any]]]:
    """The workbook's rows, by chapter: headline figures first (in the summary page's order), then the rest by key."""
    labels = {h.key: t(h.label, lang) for h in HEADLINES}
    order = {h.key: i for i, h in enumerate(HEADLINES)}
    marker = t("fig.suppressed_marker", lang)
    out: dict[str, list[dict[str, Any]]] = {}
    for key in sorted(results, key=lambda k: (k not in order, order.get(k, 0), k)):
        r = results[key]
        kind = _kind(key)
        status = r.get("suppressed")
        value = marker if status else _number(r.get("value"))
        lo, hi = r.get("ci_low"), r.get("ci_high")
        interval = ""
        if not status and isinstance(lo, (int, float)) and isinstance(hi, (int, float)):
            interval = (plain("punct.range", lang, lo=f"{lo:.1%}", hi=f"{hi:.1%}") if kind == "share"
                        else plain("punct.range", lang, lo=f"{lo:,.4g}", hi=f"{hi:,.4g}"))
        out.setdefault(_chapter(key), []).append({
            "name": labels.get(key, key), "key": key, "value": value, "interval": interval,
            "unit": t(f"fig.unit.{kind}", lang), "n": None if status else _number(r.get("n")),
            "definition": t(f"fig.def.{kind}", lang),
            "suppression": t(f"fig.suppressed.{status}" if status in ("primary", "secondary")
                             else "fig.suppressed.none", lang),
            "headline": key in order, "share": kind == "share",
        })
    return out


def write_figures_xlsx(results: Mapping[str, Mapping[str, Any]], out_path: str | Path, lang: str = "zh") -> Path:
    """Write ``figures.xlsx`` (see the module docstring) with openpyxl; return its path.

    ``results`` is the ``results`` mapping of ``results.json``. The workbook is written to a temporary name and moved
    into place, so a failure leaves no half file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if lang not in ("zh", "en"):
        raise ValueError("lang must be 'zh' or 'en'")
    rows = figure_rows(results, lang) or {"other": []}  # a run that recorded nothing still gets a (header-only) sheet
    wb = Workbook()
    wb.remove(wb.active)
    cols = ("name", "key", "value", "interval", "unit", "n", "definition", "suppression")
    widths = (34, 44, 14, 24, 16, 12, 40, 22)
    for chapter in [c for c, _ in CHAPTERS] + ["other"]:
        if chapter not in rows:
            continue
        ws = wb.create_sheet(t(f"fig.sheet.{chapter}", lang)[:31])
        ws.append([t(f"fig.col.{c}", lang) for c in cols])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for r in rows[chapter]:
            ws.append([r[c] for c in cols])
            row = ws.max_row
            if r["headline"]:
                ws.cell(row, 1).font = Font(bold=True)
            if r["share"] and isinstance(r["value"], (int, float)):
                ws.cell(row, 3).number_format = "0.0%"
            elif isinstance(r["value"], float):
                ws.cell(row, 3).number_format = "#,##0.00"
            elif isinstance(r["value"], int):
                ws.cell(row, 3).number_format = "#,##0"
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    wb.save(tmp)
    tmp.replace(out)
    return out
