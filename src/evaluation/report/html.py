"""Render executed notebooks as one self-contained HTML report: code hidden, table of contents, no CDN.

nbconvert's ``basic`` template gives the cell bodies without any ``<script src=…>``; this module wraps them in a page
with inline CSS and a table of contents built from the headings, so the report opens offline. The body is cleaned with
an allow-list (:func:`evaluation.text.escape.sanitize_html`) before it is wrapped: data text is escaped where it
enters (Markdown and tables), and whatever slipped through still cannot run script or fetch anything.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Sequence

import nbformat

from ..text.escape import sanitize_html
from ..text.i18n import plain
from .record import MIME

__all__ = ["report_notebook", "render_html", "notebook_html"]

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:980px;
margin:2em auto;padding:0 1.5em;color:#222;line-height:1.6}
nav.toc{border:1px solid #ddd;background:#fafafa;padding:.6em 1.2em;margin-bottom:2em}
nav.toc ul{margin:.2em 0;padding-left:1.2em} nav.toc li{list-style:none}
h1{border-bottom:2px solid #b22;padding-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.1em}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em} th,td{border:1px solid #ccc;padding:.25em .6em;
text-align:right} th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
img{max-width:100%;height:auto} .notice{background:#fff4e5;border-left:4px solid #f90;padding:.5em 1em}
pre{background:#f6f6f6;padding:.5em;overflow-x:auto} .jp-OutputPrompt,.jp-InputPrompt{display:none}
.jp-RenderedText pre{background:none}
"""


def report_notebook(notebooks: Sequence[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    """Merge executed notebooks into one, dropping what a reader should not see: parameters, records, notes."""
    merged = nbformat.v4.new_notebook()
    for nb in notebooks:
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if tags & {"parameters", "injected-parameters", "remove-cell", "researcher-note"}:
                continue
            cell = copy.deepcopy(cell)
            if cell.cell_type == "code":
                cell.outputs = [o for o in cell.get("outputs", [])
                                if MIME not in o.get("data", {}) and o.get("output_type") != "stream"
                                or o.get("output_type") == "error"]
                if not cell.outputs:
                    continue
            merged.cells.append(cell)
    return merged


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^\w\u4e00-\u9fff-]+", "-", text.strip().lower()).strip("-") or "section"
    slug, i = base, 2
    while slug in used:
        slug, i = f"{base}-{i}", i + 1
    used.add(slug)
    return slug


def notebook_html(notebook: nbformat.NotebookNode) -> str:
    """The cleaned HTML of one executed notebook as the report shows it (:func:`report_notebook`'s cells, code
    hidden, :func:`~evaluation.text.escape.sanitize_html`), before headings get their anchors.

    :func:`render_html` joins these, one per notebook: nbconvert renders each cell on its own, so the pieces join to
    what the merged notebook gives. ``jinlin run`` renders the notebooks that have finished while the last one runs.
    """
    return _cleaned_body(report_notebook([notebook]))


def _cleaned_body(nb: nbformat.NotebookNode) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    return sanitize_html(body)


def render_html(notebooks: Sequence[nbformat.NotebookNode], title: str, lang: str = "zh",
                lead: Sequence[nbformat.NotebookNode] = (), bodies: Sequence[str | None] | None = None) -> str:
    """One HTML page of the executed notebooks, with code hidden and a table of contents; ``lead`` cells (e.g. the
    summary page) come first.

    ``bodies``: :func:`notebook_html` of the notebooks, where already rendered (None where not), one per notebook.
    """
    if bodies is not None and len(bodies) != len(notebooks):
        raise ValueError(f"{len(bodies)} rendered bodies for {len(notebooks)} notebooks")
    parts = [_cleaned_body(nbformat.v4.new_notebook(cells=list(lead)))] if lead else []
    parts += [b if bodies is not None and (b := bodies[i]) is not None else notebook_html(nb)
              for i, nb in enumerate(notebooks)]
    body = "".join(parts)
    used: set[str] = set()
    toc: list[tuple[int, str, str]] = []

    def anchor(m: re.Match[str]) -> str:
        level, attrs, inner = m.group(1), m.group(2), m.group(3)
        text = html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("¶", "").strip()
        slug = _slug(text, used)
        toc.append((int(level), text, slug))
        attrs = re.sub(r'\s*id="[^"]*"', "", attrs)
        inner = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", inner)
        return f'<h{level}{attrs} id="{slug}">{inner}</h{level}>'

    body = re.sub(r"<h([1-3])([^>]*)>(.*?)</h\1>", anchor, body, flags=re.S)
    items = "\n".join(f'<li style="margin-left:{(lvl - 1) * 1.2}em"><a href="#{slug}">{html.escape(text)}</a></li>'
                      for lvl, text, slug in toc)
    html_lang = "zh" if lang == "zh" else "en"  # nbconvert pitfall: zh-CN falls back to English
    toc_title = html.escape(plain("report.toc", html_lang))
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            f'<nav class="toc"><strong>{toc_title}</strong>\n<ul>\n{items}\n</ul></nav>\n{body}\n</body>\n</html>\n')
