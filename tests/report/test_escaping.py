"""Script injection (issue 13, point 6): markup in the data never survives as markup in report.html, and pandoc
fetches nothing while it builds report.docx."""

from __future__ import annotations

import http.server
import threading
import zipfile
from html.parser import HTMLParser

import nbformat
import pandas as pd
import pytest

from evaluation.report.display import table_view
from evaluation.report.docx import render_docx
from evaluation.text.escape import markdown_text, sanitize_html
from evaluation.report.html import render_html
from evaluation.text.i18n import t

# One of each way markup gets in: elements, attributes that break out of a tag or a cell, URLs, entities, Markdown.
PAYLOADS = [
    "<script>alert('x')</script>",
    "<SCRIPT SRC=http://127.0.0.1:9/x.js></SCRIPT>",
    '"><svg onload=alert(1)>',
    "<img src=http://127.0.0.1:9/x.png?who=a>",
    '<img src="x" onerror="alert(1)">',
    "<a href=\"javascript:alert(1)\">click</a>",
    "[click](javascript:alert(1))",
    "![x](http://127.0.0.1:9/beacon.png)",
    "<iframe src=http://127.0.0.1:9/></iframe>",
    "<div onmouseover=alert(1)>hover</div>",
    "</td></tr></table><script>alert(1)</script>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<style>body{background:url(http://127.0.0.1:9/c.png)}</style>",
    "<!-- <script>x</script> -->",
    "<object data=http://127.0.0.1:9/o></object>",
    "<link rel=stylesheet href=http://127.0.0.1:9/s.css>",
    "<meta http-equiv=refresh content='0;url=http://127.0.0.1:9/'>",
    "<base href=http://127.0.0.1:9/>",
    "`code` **bold** | pipe |",
    "<http://127.0.0.1:9/auto>",
]


class _Markup(HTMLParser):
    """Collects the elements and attributes a browser would act on."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in {"script", "iframe", "svg", "object", "embed", "link", "base", "form", "input"}:
            self.bad.append(tag)
        if tag == "meta" and [name for name, _ in attrs] != ["charset"]:
            self.bad.append(tag)
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on"):
                self.bad.append(f"{tag}[{name}]")
            if name in ("href", "src", "action", "data") and not (v.startswith("#") or v.startswith("data:image/")):
                self.bad.append(f"{tag}[{name}={v[:30]}]")


def _markup_of(page: str) -> _Markup:
    p = _Markup()
    p.feed(page)
    return p


def _notebook(payload: str) -> nbformat.NotebookNode:
    df = pd.DataFrame({"category": [payload, "sanitation"], "n": [12, 30]}, index=[payload, "x"])
    df = df.rename(columns={"n": payload})
    styled = table_view(df, "en", {payload: "{:,}"}, caption=payload)
    plain = df.style  # a notebook styling a frame itself (use_style sets the escaping option)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={"text/markdown": t("real_notice", "en", label=payload),
                                                      "text/plain": ""}),
        nbformat.v4.new_output("display_data", data={"text/html": styled.to_html(), "text/plain": ""}),
        nbformat.v4.new_output("display_data", data={"text/html": plain.to_html(), "text/plain": ""}),
        nbformat.v4.new_output("display_data", data={"text/html": df.to_html(), "text/plain": ""}),
        nbformat.v4.new_output("display_data", data={"text/markdown": t("impact.outcome_heading", "en",
                                                                        label=payload), "text/plain": ""}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Report"), cell]
    return nb


@pytest.fixture(autouse=True)
def _escaping_styler():
    from evaluation.report.style import use_style

    with pd.option_context("styler.format.escape", None):
        use_style()
        yield


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_as_markup_in_the_html_report(payload):
    page = render_html([_notebook(payload)], title=payload, lang="en")
    found = _markup_of(page)
    assert found.bad == [], found.bad
    # Only the page's own structure and the tables' elements exist; the payload shows as text.
    assert set(found.tags) <= {"html", "head", "meta", "title", "style", "body", "nav", "strong", "ul", "li", "a", "div",
                               "h1", "h2", "p", "table", "thead", "tbody", "tr", "th", "td", "caption", "em", "span",
                               "code", "pre"}, found.tags
    assert page.count("<style") == 1 + page.count('<style type="text/css">')


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_text_renders_as_the_literal_text(payload):
    import mistune

    rendered = mistune.html(markdown_text(payload))
    found = _markup_of(rendered)
    assert set(found.tags) <= {"p"}, (payload, rendered)
    # What a reader sees is the payload itself, character for character.
    import html as html_mod
    import re

    assert html_mod.unescape(re.sub(r"</?p>", "", rendered)).strip() == payload.strip()


def test_the_sanitizer_catches_markup_that_slipped_past_escaping():
    raw = "".join(PAYLOADS)
    found = _markup_of(sanitize_html(f"<div>{raw}</div>"))
    assert found.bad == []
    assert "img" not in found.tags


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    _Counter.hits = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", _Counter.hits
    srv.shutdown()
    srv.server_close()


def test_pandoc_fetches_nothing_for_the_report(tmp_path, counting_server):
    base, hits = counting_server
    payloads = [p.replace("http://127.0.0.1:9", base) for p in PAYLOADS]
    nb = _notebook(" ".join(payloads))
    page = render_html([nb], title="report", lang="en")
    (tmp_path / "report.html").write_text(page, encoding="utf-8")
    render_docx(tmp_path / "report.html", tmp_path / "report.docx", "en")
    assert hits == []
    with zipfile.ZipFile(tmp_path / "report.docx") as z:
        assert not [n for n in z.namelist() if n.startswith("word/media/")]
        rels = z.read("word/_rels/document.xml.rels").decode()
    assert "127.0.0.1" not in rels or 'TargetMode="External"' in rels


def test_pandoc_is_sandboxed_even_for_a_hostile_page(tmp_path, counting_server):
    # A page that bypassed the report's escaping: pandoc must still not fetch the image (--sandbox).
    base, hits = counting_server
    (tmp_path / "report.html").write_text(f'<html><body><p>x</p><img src="{base}/x.png?who=wang"></body></html>',
                                          encoding="utf-8")
    from evaluation.errors import JinlinError

    with pytest.raises(JinlinError, match="fetch|image"):
        render_docx(tmp_path / "report.html", tmp_path / "report.docx", "en")
    assert hits == []
    assert not (tmp_path / "report.docx").exists()


def test_bundled_pandoc_has_the_sandbox():
    import pypandoc

    major, minor = (int(x) for x in pypandoc.get_pandoc_version().split(".")[:2])
    assert (major, minor) >= (2, 15)
