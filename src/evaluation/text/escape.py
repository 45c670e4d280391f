"""Escaping of data text for the report: Markdown notices, HTML tables and the final HTML page.

Text from a district's exports (category codes, community and unit names, the district name in ``dataset.yaml``)
reaches the report through three doors, and each is closed here (issue 13, point 6):

- Markdown notices: :func:`markdown_text` turns a value into Markdown that renders as the same literal text, never as
  raw HTML, a link or an image (HTML-escape ``& < >``; backslash-escape the Markdown punctuation that could start a
  link, an image, code, a table cell or emphasis). :func:`evaluation.text.i18n.t` applies it to every string it
  interpolates into a catalogue text.
- pandas ``Styler`` tables: escaped by ``Styler.format(escape="html")`` (:func:`evaluation.report.display.table_view`,
  and the ``styler.format.escape`` option set by :func:`evaluation.report.style.use_style`).
- the finished page: :func:`sanitize_html` keeps an allow-list of tags and attributes and escapes everything else,
  so a path that was missed still cannot run script, load a remote image or link to ``javascript:``. Pictures are
  kept only as ``data:image/…`` URIs, which the report embeds anyway; pandoc then has nothing to fetch.

References
----------
CommonMark 0.31, §2.4 (backslash escapes) and §6.6 (raw HTML). OWASP Cross Site Scripting Prevention Cheat Sheet,
rule #1 (HTML-encode data placed in element content) and the allow-list approach to sanitising HTML.
"""

from __future__ import annotations

import re

__all__ = ["markdown_text", "sanitize_html", "ALLOWED_TAGS", "ALLOWED_ATTRIBUTES"]

# Enough to stop raw HTML (< > &), links and images ([ ]), code spans, emphasis and table cells; parentheses and the
# like stay as they are, because the same texts also title charts, where a backslash would show.
_MD_PUNCT = re.compile(r"([\\`*\[\]|])")


def markdown_text(value: object) -> str:
    """``value`` as Markdown that renders as exactly that text.

    Examples
    --------
    >>> print(markdown_text('<script>alert(1)</script> ![x](http://h/x.png) a|b'))
    &lt;script&gt;alert(1)&lt;/script&gt; !\\[x\\](http://h/x.png) a\\|b
    """
    text = str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCT.sub(r"\\\1", text)


ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div", "dl",
    "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p",
    "pre", "s", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul",
})
_COMMON = ("class", "id", "title", "lang", "dir", "data-mime-type")
ALLOWED_ATTRIBUTES = {
    "*": list(_COMMON),
    "a": [*_COMMON, "href"],
    "img": [*_COMMON, "src", "alt", "width", "height"],
    "td": [*_COMMON, "colspan", "rowspan", "align"],
    "th": [*_COMMON, "colspan", "rowspan", "align", "scope"],
    "col": [*_COMMON, "span"],
    "ol": [*_COMMON, "start"],
}
_DATA_URI = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+")
# Styler writes an (empty or id-scoped) <style> block before each table; only such blocks are kept.
_STYLER_CSS = re.compile(r'<style type="text/css">(?:\s*#T_[A-Za-z0-9_]+[^{}<>@]*\{[^{}<>@]*\})*\s*</style>')


def _attribute_ok(tag: str, name: str, value: str) -> bool:
    if name not in ALLOWED_ATTRIBUTES.get(tag, ALLOWED_ATTRIBUTES["*"]) and name not in _COMMON:
        return False
    v = value.strip()
    if tag == "img" and name == "src":
        return re.fullmatch(r"jinlin:uri-[0-9]+", v) is not None  # only the data: URIs set aside before cleaning
    if name == "href":
        # The report links only within itself (table of contents, heading anchors); a link out can only have come
        # from the data (a bare URL that Markdown turned into a link, a javascript: URL).
        return v.startswith("#")
    return True


def sanitize_html(body: str) -> str:
    """Clean an HTML fragment with an allow-list: known tags and attributes stay, anything else is escaped.

    ``<script>``, ``<iframe>``, ``<style>`` (other than Styler's id-scoped rules without ``url()``), ``<svg>``,
    event handler attributes (``onmouseover=``) and every link that leaves the page (``javascript:``, ``http:``) are
escaped or dropped; an
    ``<img>`` is kept only if its ``src`` is a ``data:image/…;base64`` URI. The base64 payloads are set aside while
    the rest is parsed, so a report of hundreds of charts is cleaned in seconds.

    Examples
    --------
    >>> sanitize_html('<p onmouseover="x()">a<script>b()</script><img src="http://h/x.png"></p>')
    '<p>a&lt;script&gt;b()&lt;/script&gt;</p>'
    """
    import bleach

    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"jinlin:uri-{len(kept) - 1}"

    styles: list[str] = []

    def keep_style(m: re.Match[str]) -> str:
        if "url(" in m.group(0).lower():
            return m.group(0)
        styles.append(m.group(0))
        return f"jinlin-css-{len(styles) - 1}."

    # Placeholders in plain words (html5lib drops NUL characters); a data value that spells one out merely gets a
    # chart or an empty style block of this very report in its place.
    text = _DATA_URI.sub(keep, body)
    text = _STYLER_CSS.sub(keep_style, text)
    clean = bleach.clean(text, tags=ALLOWED_TAGS, attributes=_attribute_ok, strip=False, strip_comments=True,
                         protocols=["jinlin"])
    clean = re.sub(r"jinlin-css-([0-9]+)\.", lambda m: styles[int(m.group(1))] if int(m.group(1)) < len(styles)
                   else "", clean)
    clean = re.sub(r'src="jinlin:uri-([0-9]+)"', lambda m: f'src="{kept[int(m.group(1))]}"'
                   if int(m.group(1)) < len(kept) else "", clean)
    # A picture whose source was dropped is dropped too: an empty <img> would only be counted as a lost chart.
    return re.sub(r'<img(?![^>]*\ssrc="data:image/)[^>]*>', "", clean)
