import base64
import io
import json
import zlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from PIL import Image, PngImagePlugin  # noqa: E402

from evaluation.privacy.scan import (  # noqa: E402
    PersonalDataLeak,
    assert_clean,
    collect_personal_values,
    png_text_chunks,
    scan_artefacts,
)

NAME, PHONE, ID, EMAIL = "张三丰", "13812345678", "11010519491231002X", "zhangsan@example.com"
KNOWN = {NAME, "李四", "王五", PHONE, "138-1234-5678", ID}
RAW = (NAME, PHONE, ID, EMAIL, "李四", "王五")


def _png(**text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        if v.isascii():
            info.add_text(k, v)
        else:
            info.add_itxt(k, v)
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _ztxt_png(key: str, value: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text(key, value, zip=True)
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _figure_png() -> bytes:
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.bar(["C01", "C02"], [16295, 20241231])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _leaky_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"contact_id": ID}}
    code = nbformat.v4.new_code_cell("df.head()")
    code.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=f"联系电话 {PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}\n"),
        nbformat.v4.new_output("display_data", data={
            "image/png": base64.b64encode(_png(Author=NAME)).decode(), "text/plain": "<Figure>"}),
        nbformat.v4.new_output("execute_result", execution_count=1,
                               data={"text/html": "<td>&#26446;&#22235;</td>", "text/plain": "..."}),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad row",
                               traceback=[f"\x1b[0;31mValueError\x1b[0m: row of {EMAIL}"]),
    ]
    return nb.__class__(nb, cells=[nbformat.v4.new_markdown_cell("# 报告"), code])


@pytest.fixture()
def run_dir(tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    nbformat.write(_leaky_notebook(), d / "10_report.ipynb")
    png_uri = "data:image/png;base64," + base64.b64encode(_png(Description=f"tel {PHONE}")).decode()
    (d / "report.html").write_text(
        f'<html><body><p>共16295件</p>\n<img src="{png_uri}">\n<script>var x = "\\u738b\\u4e94";</script>'
        "\n</body></html>", encoding="utf-8")
    (d / "results.json").write_text(json.dumps({"grid": {"events_closed": {"value": 16295}},
                                                "rows": [{"who": "x", "tel": int(PHONE)}]}))
    (d / "table.csv").write_text(f"community_id,note\nC01,ok\nC02,身份证{ID.lower()}\n", encoding="utf-8")
    (d / "notes.md").write_text(f"# Notes\n\nWrite to {EMAIL}.\n", encoding="utf-8")
    (d / "figure.svg").write_text(f'<svg xmlns="http://www.w3.org/2000/svg"><metadata>{NAME}</metadata></svg>',
                                  encoding="utf-8")
    (d / "plot.png").write_bytes(_ztxt_png("Comment", f"phone {PHONE}"))

    import docx
    doc = docx.Document()
    p = doc.add_paragraph(f"电话：{PHONE}")
    table = doc.add_table(rows=2, cols=2)
    table.cell(1, 1).text = f"负责人{NAME}"
    doc.sections[0].header.is_linked_to_previous = False
    doc.sections[0].header.paragraphs[0].text = f"contact {EMAIL}"
    doc.core_properties.author = "李四"
    doc.add_comment(p.runs, text="已核实", author="王五", initials="W")
    doc.save(d / "report.docx")
    return d


def test_every_leak_is_found_where_it_is(run_dir):
    f = scan_artefacts(run_dir, KNOWN)
    got = {(p.rsplit("/", 1)[-1], loc, kind) for p, loc, kind, _ in f.itertuples(index=False)}
    expected = {
        ("10_report.ipynb", "notebook metadata papermill.parameters.contact_id", "id_number"),
        ("10_report.ipynb", "cell 1 (code) output 0 stdout", "phone"),
        ("10_report.ipynb", "cell 1 (code) output 1 image/png PNG iTXt Author", "known_value"),
        ("10_report.ipynb", "cell 1 (code) output 2 text/html", "known_value"),
        ("10_report.ipynb", "cell 1 (code) output 3 traceback", "email"),
        ("report.html", "line 2 data URI 0 PNG tEXt Description", "phone"),
        ("report.html", "line 3", "known_value"),
        ("results.json", "$.rows[0].tel", "phone"),
        ("table.csv", "row 2 column note", "id_number"),
        ("notes.md", "line 3", "email"),
        ("figure.svg", "line 1", "known_value"),
        ("plot.png", "PNG zTXt Comment", "phone"),
        ("report.docx", "paragraph 1", "phone"),
        ("report.docx", "table 1 row 2 cell 2", "known_value"),
        ("report.docx", "section 1 header paragraph 1", "email"),
        ("report.docx", "properties author", "known_value"),
        ("report.docx", "word/comments.xml attribute author", "known_value"),
    }
    assert got == expected


def test_excerpts_and_messages_never_show_a_full_value(run_dir):
    f = scan_artefacts(run_dir, KNOWN)
    text = "\n".join(f["excerpt"])
    assert "1**********" in text and "张**" in text
    with pytest.raises(PersonalDataLeak) as err:
        assert_clean(run_dir, KNOWN)
    message = str(err.value)
    assert "report.docx" in message and "table 1 row 2 cell 2" in message
    for value in RAW:
        assert value not in text and value not in message
    assert len(err.value.findings) == len(f)


def test_clean_artefacts_pass(tmp_path):
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("summary")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data={
            "image/png": base64.b64encode(_figure_png()).decode(), "text/plain": "<Figure size 200x100>"}),
        nbformat.v4.new_output("execute_result", execution_count=1, data={
            "text/plain": "events closed 16295, 2024-12-31, p = 0.13912345678, n = 12345678901234567"}),
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# 大亚湾 近邻党建 评估"), cell]
    nbformat.write(nb, tmp_path / "run.ipynb")
    body, _ = HTMLExporter().from_notebook_node(nb)
    (tmp_path / "run.html").write_text(body, encoding="utf-8")
    (tmp_path / "results.json").write_text(json.dumps({"grid.events_closed.count": {"value": 16295},
                                                       "x": 0.13812345678, "big": 1101051949123100210}))
    (tmp_path / "fig.png").write_bytes(_figure_png())
    assert scan_artefacts(tmp_path, KNOWN).empty
    assert_clean([tmp_path / "run.html", tmp_path / "fig.png"], KNOWN)


def test_unscannable_files_are_flagged_unless_skipped(tmp_path):
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7\n" + zlib.compress(PHONE.encode()) + bytes(range(256)))
    f = scan_artefacts(tmp_path)
    assert f[["location", "kind"]].values.tolist() == [["whole file", "unscannable"]]
    assert scan_artefacts(tmp_path, unscannable="skip").empty
    with pytest.raises(FileNotFoundError):
        scan_artefacts(tmp_path / "missing.html")


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04" + bytes(64)])
def test_a_damaged_docx_is_flagged_not_raised(tmp_path, content):
    (tmp_path / "report.docx").write_bytes(content)
    f = scan_artefacts(tmp_path)
    assert f[["file", "location", "kind"]].values.tolist()[0][1:] == ["whole file", "unscannable"]


def test_a_file_name_can_leak_too(tmp_path):
    (tmp_path / f"回访_{NAME}.txt").write_text("ok", encoding="utf-8")
    assert scan_artefacts(tmp_path, KNOWN)[["location", "kind"]].values.tolist() == [["file name", "known_value"]]


def test_png_chunk_reader_against_pillow():
    data = _png(Software="matplotlib", Author=NAME)
    chunks = dict(png_text_chunks(data))
    assert chunks["tEXt Software"] == "matplotlib" and chunks["iTXt Author"].strip() == NAME
    assert Image.open(io.BytesIO(data)).text == {"Software": "matplotlib", "Author": NAME}
    assert png_text_chunks(b"not a png") == []


def test_collect_personal_values():
    df = pd.DataFrame({
        "姓名": ["张三", "王", "无", None],
        "手机号": ["138-1234-5678", "+86 139 1234 5678", "", None],
        "身份证号": ["11010519491231002x", None, None, None],
        "community_id": ["C01", "C02", "C03", "C04"],
        "comment": ["好", "好", "好", "好"],
    })
    assert collect_personal_values(df) == {
        "张三", "138-1234-5678", "13812345678", "+86 139 1234 5678", "13912345678",
        "11010519491231002x", "11010519491231002X"}


def test_excel_cells_and_properties(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws["A1"], ws["B2"], ws["C3"] = "community", 16295, int(PHONE)
    wb.properties.creator = "李四"
    wb.save(tmp_path / "t.xlsx")
    f = scan_artefacts(tmp_path, KNOWN)
    assert f[["location", "kind"]].values.tolist() == [["汇总!C3", "phone"], ["properties creator", "known_value"]]


def test_a_merged_word_cell_is_read_once(tmp_path):
    """A merged cell repeats in every grid position it spans; its text is scanned (and reported) once, at its first
    position, and the cells after it keep their places."""
    import docx

    doc = docx.Document()
    table = doc.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "联系 13812345678"
    table.cell(0, 2).text = "13912345678"
    table.cell(1, 1).text = "13712345678"
    doc.save(tmp_path / "report.docx")
    found = scan_artefacts(tmp_path / "report.docx")
    places = sorted(found.loc[found["kind"] == "phone", "location"])
    assert places == ["table 1 row 1 cell 1", "table 1 row 1 cell 3", "table 1 row 2 cell 2"]
