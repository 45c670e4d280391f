"""Compare two runs' ``results.json``: what moved, and which *conclusions* changed.

A reviewer comparing the published report with a re-run (other cut-off, other control group…) cares less about a
figure moving in its fourth digit than about a conclusion turning over. :func:`diff_results` therefore flags three
kinds of conclusion change next to the raw differences:

- ``sign_changed``: the estimate went from positive to negative or back (a zero on either side is not a sign);
- ``significance_changed``: whether the confidence interval excludes 0 differs between the runs. The interval is the
  recorded ``ci_low``/``ci_high``; where only ``se`` was recorded, the Wald interval value ± z₁₋α/₂·se is used;
- ``verdict_changed``: a claim verdict (a text value under ``claims.``) differs.

Keys present in only one run are kept, with ``only_in`` saying which. A figure whose small-cell suppression differs
(``suppressed`` set in one run only, or a count of suppressed cells that moved) is flagged ``suppression_changed``.
:func:`diff_runs` also reads each run's ``manifest.json`` where it is beside ``results.json``: the renderings then list
the parameter differences first and say when the input data differ (issue 17: a ``min_cell=10`` re-run must not read
"no differences"), in the runs' language. Two renderings serve the CLI: an aligned terminal table (East Asian
characters counted as two columns) and a self-contained HTML page.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from ..text.terminal import display_width, pad
from .runfiles import read_run_file

__all__ = ["diff_results", "diff_runs", "read_results", "check_results", "diff_table_text", "diff_html",
           "manifest_differences", "DIFF_COLUMNS"]

DIFF_COLUMNS = ("key", "value_a", "value_b", "abs_change", "rel_change", "ci_low_a", "ci_high_a", "ci_low_b",
                "ci_high_b", "significant_a", "significant_b", "changed", "sign_changed", "significance_changed",
                "verdict_changed", "conclusion_changed", "only_in", "suppressed_a", "suppressed_b",
                "suppression_changed")
# results.json keeps 10 significant digits; anything closer than this is the same figure.
_RTOL = 1e-9


def _body(results: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    # Accept the whole results.json body or just its "results" mapping: a dotted key can never be "results".
    inner = results.get("results") if isinstance(results, Mapping) else None
    return inner if isinstance(inner, Mapping) else results


def _number(v: Any) -> float | None:
    if isinstance(v, (bool, np.bool_)) or v is None:
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    return None


def _interval(entry: Mapping[str, Any], z: float) -> tuple[float | None, float | None]:
    lo, hi = _number(entry.get("ci_low")), _number(entry.get("ci_high"))
    if lo is not None and hi is not None:
        return lo, hi
    value, se = _number(entry.get("value")), _number(entry.get("se"))
    if value is not None and se is not None:
        return value - z * se, value + z * se
    return None, None


def _significant(lo: float | None, hi: float | None) -> bool | None:
    if lo is None or hi is None:
        return None
    return bool(lo > 0 or hi < 0)


def _same(x: Any, y: Any) -> bool:
    fx, fy = _number(x), _number(y)
    if fx is not None and fy is not None:
        return math.isclose(fx, fy, rel_tol=_RTOL, abs_tol=0.0)
    return x == y


def diff_results(a: Mapping[str, Any], b: Mapping[str, Any], confidence: float = 0.95) -> pd.DataFrame:
    """One row per key in either result set: values, changes and conclusion flags.

    Parameters
    ----------
    a, b
        ``results.json`` bodies (``{"results": {key: {value, se?, ci_low?, ci_high?, n?}}}``) or their inner mapping.
    confidence
        Coverage of the Wald interval built from ``se`` when a key has no recorded ``ci_low``/``ci_high``.

    Returns
    -------
    DataFrame
        Columns :data:`DIFF_COLUMNS`, sorted by key. ``abs_change`` is b − a and ``rel_change`` (b − a)/|a| for
        numeric values (NaN otherwise, or when a is 0). ``significant_a``/``_b`` are NA where no interval is known.
        ``changed`` is true when the value or the interval differs (beyond results.json's 10 digits) or the key is in
        one run only; ``conclusion_changed`` when the sign, the significance or a claim verdict changed.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    z = float(norm.ppf((1 + confidence) / 2))
    ra, rb = _body(a), _body(b)
    rows = []
    for key in sorted(set(ra) | set(rb)):
        ea, eb = ra.get(key), rb.get(key)
        va = ea.get("value") if ea is not None else None
        vb = eb.get("value") if eb is not None else None
        fa, fb = _number(va), _number(vb)
        lo_a, hi_a = _interval(ea, z) if ea is not None else (None, None)
        lo_b, hi_b = _interval(eb, z) if eb is not None else (None, None)
        sig_a, sig_b = _significant(lo_a, hi_a), _significant(lo_b, hi_b)
        only_in = "a" if eb is None else "b" if ea is None else None
        both_numeric = fa is not None and fb is not None
        abs_change = fb - fa if both_numeric else math.nan
        rel_change = (fb - fa) / abs(fa) if both_numeric and fa != 0 else math.nan
        sign_changed = bool(both_numeric and fa * fb < 0)
        significance_changed = bool(sig_a is not None and sig_b is not None and sig_a != sig_b)
        verdict_changed = bool(only_in is None and key.startswith("claims.") and isinstance(va, str)
                               and isinstance(vb, str) and va != vb)
        changed = bool(only_in is not None or not _same(va, vb) or not _same(lo_a, lo_b) or not _same(hi_a, hi_b))
        sup_a = ea.get("suppressed") if ea is not None else None
        sup_b = eb.get("suppressed") if eb is not None else None
        # a key counting suppressed cells (survey.suppressed.cells) that moved is a suppression change too
        counts_cells = ".suppressed" in key and only_in is None and not _same(va, vb)
        suppression_changed = bool(only_in is None and (bool(sup_a) != bool(sup_b) or counts_cells))
        rows.append({
            "key": key, "value_a": va, "value_b": vb, "abs_change": abs_change, "rel_change": rel_change,
            "ci_low_a": lo_a, "ci_high_a": hi_a, "ci_low_b": lo_b, "ci_high_b": hi_b,
            "significant_a": sig_a, "significant_b": sig_b, "changed": changed, "sign_changed": sign_changed,
            "significance_changed": significance_changed, "verdict_changed": verdict_changed,
            "conclusion_changed": sign_changed or significance_changed or verdict_changed, "only_in": only_in,
            "suppressed_a": sup_a or None, "suppressed_b": sup_b or None, "suppression_changed": suppression_changed,
        })
    df = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    for c in ("value_a", "value_b"):
        df[c] = df[c].astype(object)
    for c in ("abs_change", "rel_change", "ci_low_a", "ci_high_a", "ci_low_b", "ci_high_b"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    for c in ("significant_a", "significant_b"):
        df[c] = df[c].astype("boolean")
    for c in ("changed", "sign_changed", "significance_changed", "verdict_changed", "conclusion_changed",
              "suppression_changed"):
        df[c] = df[c].astype(bool)
    for c in ("suppressed_a", "suppressed_b"):
        df[c] = df[c].astype(object)
    df["only_in"] = df["only_in"].astype("string")
    return df


_NUMERIC_FIELDS = ("se", "ci_low", "ci_high", "n")
_SHOWN_PROBLEMS = 20


def check_results(body: Mapping[str, Any], source: str) -> None:
    """Refuse a results mapping whose entries a comparison would misread, naming each key, field and the fix.

    Every entry must be a mapping with a ``value`` (any JSON value: a number, a verdict text, null for a withheld
    figure); ``se``, ``ci_low``, ``ci_high`` and ``n``, where present, must be numbers or null. A figure written as
    text (``"0.5"``) is refused rather than read as a number, and a missing value rather than read as null.
    """
    from ..errors import JinlinError

    problems: list[str] = []
    problems_zh: list[str] = []
    for key, entry in _body(body).items():
        if not isinstance(entry, Mapping):
            problems.append(f"  {key}: the entry is {type(entry).__name__} {_short(entry)}, not a mapping "
                            '{"value": …, "se": …}')
            problems_zh.append(f"  {key}：该条目是 {type(entry).__name__} {_short(entry)}，不是映射 "
                               '{"value": …, "se": …}')
            continue
        if "value" not in entry:
            problems.append(f"  {key}: no value field (fields: {', '.join(map(str, entry)) or 'none'})")
            problems_zh.append(f"  {key}：没有 value 字段（现有字段：{', '.join(map(str, entry)) or '无'}）")
        for field in _NUMERIC_FIELDS:
            v = entry.get(field)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                problems.append(f"  {key}, field {field}: {_short(v)} is not a number")
                problems_zh.append(f"  {key}，{field} 字段：{_short(v)} 不是数字")
    if problems:
        more = len(problems) - _SHOWN_PROBLEMS
        shown = problems[:_SHOWN_PROBLEMS] + ([f"  … and {more} more"] if more > 0 else [])
        shown_zh = problems_zh[:_SHOWN_PROBLEMS] + ([f"  ……另有 {more} 处"] if more > 0 else [])
        raise JinlinError(f"{source}: {len(problems)} malformed entr{'y' if len(problems) == 1 else 'ies'}:\n"
                          + "\n".join(shown) + "\nfix: compare the results.json files written by jinlin run; if "
                          "one was edited, restore it (each entry is {\"value\": …} with numeric se, ci_low, "
                          "ci_high and n)",
                          zh=f"{source}：{len(problems)} 个条目格式有误：\n" + "\n".join(shown_zh)
                          + "\n修改：对照 jinlin run 写出的 results.json；如有文件被改动过，请还原（每个条目为 "
                          '{"value": …}，且 se、ci_low、ci_high 和 n 均为数字）')


def _short(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "…"


def read_results(run: str | Path) -> dict[str, Any]:
    """The ``results.json`` body of a run, given its report folder or the file itself; malformed entries refused."""
    body = read_run_file(run, "results.json", lambda b: isinstance(b, dict) and isinstance(b.get("results"), dict),
                         'not a results file: it has no "results" mapping',
                         '不是结果文件：其中没有 "results" 映射')
    path = Path(run) / "results.json" if Path(run).is_dir() else Path(run)
    check_results(body, str(path))
    return body


def _manifest(run: str | Path) -> dict[str, Any] | None:
    folder = Path(run) if Path(run).is_dir() else Path(run).parent
    path = folder / "manifest.json"
    if not path.is_file():
        return None
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


def manifest_differences(ma: Mapping[str, Any], mb: Mapping[str, Any]) -> dict[str, Any]:
    """What differs between two runs' manifests: ``params`` as ``[(name, a, b)]`` (sorted by name, a parameter
    missing from one manifest shown as None), ``data_files`` (the input tables whose sha256 differ or that only one
    run read) and ``lang`` (the language of run A, else B, else ``en``)."""
    pa, pb = dict(ma.get("params") or {}), dict(mb.get("params") or {})
    params = [(k, pa.get(k), pb.get(k)) for k in sorted(set(pa) | set(pb))
              if json.dumps(pa.get(k), sort_keys=True, default=str) != json.dumps(pb.get(k), sort_keys=True,
                                                                                  default=str)]
    fa = (ma.get("data") or {}).get("files") or {}
    fb = (mb.get("data") or {}).get("files") or {}
    files = sorted(k for k in set(fa) | set(fb)
                   if (fa.get(k) or {}).get("sha256") != (fb.get(k) or {}).get("sha256"))
    lang = pa.get("language") or pb.get("language") or "en"
    return {"params": params, "data_files": files, "lang": lang if lang in ("zh", "en") else "en"}


def diff_runs(run_a_dir: str | Path, run_b_dir: str | Path, confidence: float = 0.95) -> pd.DataFrame:
    """:func:`diff_results` of two runs' ``results.json`` (each given as its report folder or the file).

    Where both runs have their ``manifest.json`` beside ``results.json``, :func:`manifest_differences` goes into
    ``attrs["manifest"]``, and the renderings list it first, in the runs' language.
    """
    df = diff_results(read_results(run_a_dir), read_results(run_b_dir), confidence)
    df.attrs["run_a"], df.attrs["run_b"] = str(run_a_dir), str(run_b_dir)
    ma, mb = _manifest(run_a_dir), _manifest(run_b_dir)
    if ma is not None and mb is not None:
        df.attrs["manifest"] = manifest_differences(ma, mb)
    return df


# ---------------------------------------------------------------- rendering


def _fmt(v: Any) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.6g}"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _with_ci(value: Any, lo: Any, hi: Any, sig: Any) -> str:
    text = _fmt(value)
    if lo is not None and not (isinstance(lo, float) and math.isnan(lo)):
        text += f" [{_fmt(lo)}, {_fmt(hi)}]"
        if sig is True:
            text += "*"
    return text


def _what(row: Mapping[str, Any], lang: str = "en") -> str:
    """The conclusion change of one row, in words (empty when none)."""
    from ..text.i18n import plain, t

    out = []
    if row["only_in"] == "a":
        out.append(t("diff.what.only_a", lang))
    elif row["only_in"] == "b":
        out.append(t("diff.what.only_b", lang))
    if row["sign_changed"]:
        out.append(t("diff.what.sign", lang))
    if row["significance_changed"]:
        out.append(t("diff.what.sig_gained" if row["significant_b"] else "diff.what.sig_lost", lang))
    if row["verdict_changed"]:
        out.append(t("diff.what.verdict", lang))
    if row.get("suppression_changed") and bool(row.get("suppressed_a")) != bool(row.get("suppressed_b")):
        out.append(t("diff.what.suppressed" if row.get("suppressed_b") else "diff.what.unsuppressed", lang))
    return plain("punct.list", lang).join(out)


def _lang(df: pd.DataFrame) -> str:
    return (df.attrs.get("manifest") or {}).get("lang", "en")


def _preamble(df: pd.DataFrame) -> list[str]:
    """The lines that come before the figures: parameter differences, whether the data differ, suppression."""
    from ..text.i18n import t

    lang = _lang(df)
    lines = []
    m = df.attrs.get("manifest")
    if m is None:
        if df.attrs.get("run_a") or df.attrs.get("run_b"):
            lines.append(t("diff.params_unknown", lang))
    else:
        if m["params"]:
            lines.append(t("diff.params_head", lang))
            lines += [f"  {name}: {json.dumps(a, ensure_ascii=False, default=str)} → "
                      f"{json.dumps(b, ensure_ascii=False, default=str)}" for name, a, b in m["params"]]
        else:
            lines.append(t("diff.params_none", lang))
        lines.append(t("diff.data_differs", lang, files=", ".join(m["data_files"])) if m["data_files"]
                     else t("diff.data_same", lang))
    sup = df[df["suppression_changed"]] if "suppression_changed" in df else df.iloc[0:0]
    if len(sup):
        added = int((sup["suppressed_b"].notna() & sup["suppressed_a"].isna()).sum())
        removed = int((sup["suppressed_a"].notna() & sup["suppressed_b"].isna()).sum())
        lines.append(t("diff.suppression", lang, n=len(sup), added=added, removed=removed,
                       counts=len(sup) - added - removed))
    return lines


def _display_rows(df: pd.DataFrame, only_changed: bool) -> list[dict[str, Any]]:
    view = df[df["changed"] | df["conclusion_changed"]] if only_changed else df
    rows = []
    for r in view.to_dict("records"):
        # NA does not answer == or truth tests; plain None/bool keep the renderers simple.
        r = {k: (None if v is pd.NA else v) for k, v in r.items()}
        r["significant_a"] = None if r["significant_a"] is None else bool(r["significant_a"])
        r["significant_b"] = None if r["significant_b"] is None else bool(r["significant_b"])
        rows.append({
            "mark": ">>" if r["conclusion_changed"] else "",
            "key": r["key"],
            "a": _with_ci(r["value_a"], r["ci_low_a"], r["ci_high_a"], r["significant_a"]),
            "b": _with_ci(r["value_b"], r["ci_low_b"], r["ci_high_b"], r["significant_b"]),
            # below results.json's precision a difference is noise: show it as none
            "change": _fmt(r["abs_change"]) if r["changed"] or math.isnan(r["abs_change"]) else "0",
            "rel": "" if math.isnan(r["rel_change"]) else f"{r['rel_change'] if r['changed'] else 0.0:+.1%}",
            "what": _what(r, _lang(df)),
            "conclusion": bool(r["conclusion_changed"]),
        })
    return rows


def _summary(df: pd.DataFrame) -> str:
    from ..text.i18n import t

    n, changed, concl = len(df), int(df["changed"].sum()), int(df["conclusion_changed"].sum())
    only_a, only_b = int((df["only_in"] == "a").sum()), int((df["only_in"] == "b").sum())
    return t("diff.summary", _lang(df), n=n, changed=changed, concl=concl, only_a=only_a, only_b=only_b)


def diff_table_text(df: pd.DataFrame, only_changed: bool = True) -> str:
    """An aligned terminal table of a :func:`diff_results` frame; rows whose conclusion changed start with ``>>``.

    ``A``/``B`` show the value and, where known, the interval (``*`` = excludes 0). With ``only_changed`` (the
    default), unchanged keys are left out; a summary line ends the table either way.
    """
    from ..text.i18n import t

    lang = _lang(df)
    rows = _display_rows(df, only_changed)
    head = {"mark": "", "key": t("diff.col.key", lang), "a": "A", "b": "B", "change": t("diff.col.change", lang),
            "rel": t("diff.col.rel", lang), "what": t("diff.col.what", lang)}
    cols = ["mark", "key", "a", "b", "change", "rel", "what"]
    right = {"a", "b", "change", "rel"}
    widths = {c: max([display_width(head[c])] + [display_width(r[c]) for r in rows]) for c in cols}
    lines = []
    if df.attrs.get("run_a") or df.attrs.get("run_b"):
        lines += [f"A = {df.attrs.get('run_a', '')}", f"B = {df.attrs.get('run_b', '')}", ""]
    pre = _preamble(df)
    if pre:
        lines += pre + [""]
    if rows:
        fmt = lambda r: "  ".join(pad(r[c], widths[c], c in right) for c in cols).rstrip()  # noqa: E731
        lines.append(fmt(head))
        lines.append("  ".join("-" * widths[c] for c in cols).rstrip())
        lines += [fmt(r) for r in rows]
        lines.append("")
    else:
        lines.append(t("diff.no_differences", lang) if only_changed else "no keys")
    lines.append(_summary(df))
    if any(r["conclusion"] for r in rows):
        lines.append(t("diff.legend", lang))
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:1100px;
margin:2em auto;padding:0 1.5em;color:#222;line-height:1.5}
table{border-collapse:collapse;font-size:.9em;width:100%} th,td{border:1px solid #ccc;padding:.25em .6em}
th{background:#f3f3f3;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.conclusion{background:#fdecea} tr.conclusion td.what{color:#b00020;font-weight:bold}
tr.only td.what{color:#8a6d00} .summary{background:#f6f6f6;padding:.5em 1em;border-left:4px solid #888}
code{font-size:.95em}
"""


def diff_html(df: pd.DataFrame, title: str, only_changed: bool = False) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no CDN) of a :func:`diff_results` frame.

    Rows whose conclusion changed are highlighted and listed first; all keys are shown unless ``only_changed``.
    """
    rows = _display_rows(df, only_changed)
    rows.sort(key=lambda r: (not r["conclusion"], r["key"]))
    body = []
    for r in rows:
        cls = "conclusion" if r["conclusion"] else "only" if r["what"].startswith("only") else ""
        cells = (f'<td><code>{html.escape(r["key"])}</code></td>'
                 + "".join(f'<td class="num">{html.escape(r[c])}</td>' for c in ("a", "b", "change", "rel"))
                 + f'<td class="what">{html.escape(r["what"])}</td>')
        body.append(f'<tr class="{cls}">{cells}</tr>' if cls else f"<tr>{cells}</tr>")
    runs = ""
    if df.attrs.get("run_a") or df.attrs.get("run_b"):
        runs = (f"<p>A = <code>{html.escape(str(df.attrs.get('run_a', '')))}</code><br>"
                f"B = <code>{html.escape(str(df.attrs.get('run_b', '')))}</code></p>\n")
    from ..text.i18n import plain, t

    lang = _lang(df)
    heads = "".join(f"<th>{html.escape(h)}</th>" for h in (t("diff.col.key", lang), "A", "B", "B − A",
                                                            t("diff.col.rel", lang), t("diff.col.what", lang)))
    table = ("<table>\n<thead><tr>" + heads + "</tr></thead>\n<tbody>\n" + "\n".join(body)
             + "\n</tbody>\n</table>\n") if rows else f"<p>{html.escape(t('diff.html_none', lang))}</p>\n"
    pre = "".join(f"<p>{html.escape(line)}</p>\n" for line in _preamble(df))
    return (f'<!DOCTYPE html>\n<html lang="{_lang(df)}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{runs}{pre}<p class=\"summary\">{html.escape(_summary(df))}"
            f"{html.escape(plain('punct.full_stop', lang))}{html.escape(t('diff.html_legend', lang))}</p>\n" + table
            + "</body>\n</html>\n")
