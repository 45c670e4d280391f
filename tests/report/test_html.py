"""report.html from executed notebooks: the page is the same whether each notebook's body was rendered ahead
(notebook_html, as `jinlin run` does while notebook 50 runs) or all at the end."""

from __future__ import annotations

import nbformat
import pytest

from evaluation.report.html import notebook_html, render_html


def _notebook(title: str, text: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    shown = nbformat.v4.new_code_cell("display(...)")
    shown.outputs = [nbformat.v4.new_output("display_data", data={
        "text/markdown": f"## {title}\n\n{text}", "text/plain": "md"})]
    table = nbformat.v4.new_code_cell("table")
    table.outputs = [nbformat.v4.new_output("display_data", data={
        "text/html": "<table><tr><th>社区</th><td>43</td></tr></table>", "text/plain": "table"})]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}"), params, shown, table]
    return nb


NOTEBOOKS = [_notebook("数据质量", "共 20 张表。"), _notebook("数据质量", "重名的标题 <b>x</b>"),
             _notebook("Impact", "<script>alert(1)</script> & <img src='http://h/x.png'>")]
LEAD = [nbformat.v4.new_markdown_cell("# 摘要\n\n要点。")]


@pytest.mark.parametrize("ahead", [[0, 1, 2], [0, 2], [], [1]])
def test_bodies_rendered_ahead_give_the_same_page(ahead):
    whole = render_html(NOTEBOOKS, "报告", "zh", LEAD)
    bodies = [notebook_html(nb) if i in ahead else None for i, nb in enumerate(NOTEBOOKS)]
    assert render_html(NOTEBOOKS, "报告", "zh", LEAD, bodies) == whole
    # the table of contents numbers repeated headings across notebooks, whoever rendered them
    assert 'href="#数据质量"' in whole and 'href="#数据质量-2"' in whole


def test_a_body_is_cleaned_on_its_own():
    body = notebook_html(NOTEBOOKS[2])
    assert "<script>" not in body and "&lt;script&gt;" in body and "http://h" not in body
    assert "x = 1" not in body  # the parameters cell is not shown


def test_bodies_must_match_the_notebooks():
    with pytest.raises(ValueError, match="2 rendered bodies for 3 notebooks"):
        render_html(NOTEBOOKS, "报告", "zh", bodies=[None, None])


def test_the_pieces_join_to_what_the_one_merged_notebook_gives():
    """The independent reference for rendering one notebook at a time: nbconvert on the single merged notebook (lead
    cells first), as the page was rendered before the pieces existed."""
    from evaluation.report.html import _cleaned_body, report_notebook

    merged = nbformat.v4.new_notebook(cells=list(LEAD) + report_notebook(NOTEBOOKS).cells)
    pieces = [_cleaned_body(nbformat.v4.new_notebook(cells=list(LEAD)))] + [notebook_html(nb) for nb in NOTEBOOKS]
    assert "".join(pieces) == _cleaned_body(merged)
