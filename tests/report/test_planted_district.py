"""Issue 13, "Done when": the bundled district, planted with markup in every text and label column and with personal
data in its free text and personal columns, goes through `jinlin run`; no output file (report.html, report.docx and
its XML, results.json, manifest.json, the notebooks, and any `.failed/` or temporary folder under reports/) holds a
planted payload as markup or a planted personal value at all, and pandoc fetches nothing. Personal data in a label
column is refused on loading, with the value masked in the message."""

from __future__ import annotations

import http.server
import json
import shutil
import threading
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import ROOT

from evaluation.errors import DataValidationError
from evaluation.run.runner import run

SYNTHETIC = ROOT / "data" / "synthetic"

# Personal values, in the formats of issue 13 point 7; each must be absent from every output.
NAMES = ["王建国", "欧阳娜娜"]
PERSONAL_TEXT = [
    "联系人：王建国，电话138.1234.5678",
    "姓名：欧阳娜娜 手机 139 - 8765 - 4321",
    "请联系 +86 137 1111 2222 或座机 0752-2345678",
    "座机(0752)3456789，微信号 li_na_88",
    "wxid_wang1958 反映噪音",
    "身份证110105194912310021（校验位错）",
    "老身份证110105491231002",
    "证件11010519491231002X，邮箱 wjg@example.com",
]
PERSONAL_VALUES = ["王建国", "欧阳娜娜", "138.1234.5678", "139 - 8765 - 4321", "+86 137 1111 2222", "0752-2345678",
                   "(0752)3456789", "li_na_88", "wxid_wang1958", "110105194912310021", "110105491231002",
                   "11010519491231002X", "wjg@example.com", "13812345678", "13987654321", "13711112222"]


def _markup(base: str) -> list[str]:
    return [
        "<script>alert('x1')</script>",
        f"<img src={base}/x.png?who=planted>",
        f"![beacon]({base}/b.png)",
        '"><svg onload=alert(2)>',
        "<a href=\"javascript:alert(3)\">x3</a>",
        "</td></tr></table><iframe src=javascript:alert(4)></iframe>",
        "<div onmouseover=alert(5)>x5</div>",
        f"<link rel=stylesheet href={base}/s.css>",
    ]


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).hits.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def counting_server():
    _Counter.hits = []
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", _Counter.hits
    srv.shutdown()
    srv.server_close()


def _plant_rows(frame: pd.DataFrame, column: str, values: list[str], start: int = 0) -> None:
    rows = frame.index[start:start + len(values)]
    frame[column] = frame[column].astype(object)
    frame.loc[rows, column] = values[:len(rows)]


def _planted_copy(folder: Path, markup: list[str]) -> Path:
    shutil.copytree(SYNTHETIC, folder)
    meta = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    meta["name"] = markup[3] + markup[0]
    meta["synthetic"] = False  # so the district name is printed as it is ("数据来源：{label}")
    (folder / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")

    free = [f"{p} {m}" for p, m in zip(PERSONAL_TEXT, markup)]
    grid = pd.read_parquet(folder / "grid_events.parquet")
    grid["description"] = pd.Series([free[i % len(free)] for i in range(len(grid))], index=grid.index)
    grid["姓名"] = [NAMES[i % 2] for i in range(len(grid))]
    grid["联系电话"] = ["13812345678" if i % 2 else "139 8765 4321" for i in range(len(grid))]
    _plant_rows(grid, "category", markup, start=100)
    _plant_rows(grid, "source", markup, start=300)
    grid.to_parquet(folder / "grid_events.parquet", index=False)

    survey = pd.read_csv(folder / "survey_responses.csv", dtype=str, keep_default_na=False)
    survey["comment"] = [free[i % len(free)] for i in range(len(survey))]
    survey.to_csv(folder / "survey_responses.csv", index=False)

    for table, columns in {"petitions": ["category", "channel"],
                           "activities": ["activity_type", "organiser_type", "co_organisers", "target_group"],
                           "pairings": ["unit_name"], "committee_members": ["source_unit"],
                           "grid_staff": ["department"], "communities": ["name_zh"]}.items():
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        for k, col in enumerate(columns):
            _plant_rows(frame, col, markup, start=7 * k)
        frame.to_csv(folder / f"{table}.csv", index=False)
    panel = pd.read_csv(folder / "district_panel.csv", dtype=str, keep_default_na=False)
    other = sorted(panel["district_id"].unique())[1]
    panel.loc[panel["district_id"] == other, "name_zh"] = markup[5]
    panel.to_csv(folder / "district_panel.csv", index=False)
    return folder


class _Markup(HTMLParser):
    BAD_TAGS = {"script", "iframe", "svg", "object", "embed", "link", "base", "form", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BAD_TAGS or (tag == "meta" and [n for n, _ in attrs] != ["charset"]):
            self.bad.append(tag)
        for name, value in attrs:
            v = (value or "").strip().lower()
            if name.startswith("on") or (name in ("href", "src") and not (v.startswith("#")
                                                                            or v.startswith("data:image/"))):
                self.bad.append(f"{tag}[{name}={v[:40]}]")


def _texts_of(path: Path) -> list[tuple[str, str, bool]]:
    """(where, text, is_markup) for every part of an output file: markup parts are read by a browser or Word."""
    if path.suffix == ".docx":
        with zipfile.ZipFile(path) as z:
            return [(f"{path.name}:{n}", z.read(n).decode("utf-8", "replace"), False) for n in z.namelist()
                    if n.endswith((".xml", ".rels"))]
    text = path.read_bytes().decode("utf-8", "replace")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        out = [(f"{path.name} (whole file)", text, False)]
        for i, cell in enumerate(nb.get("cells", [])):
            if cell.get("cell_type") == "markdown":
                out.append((f"{path.name} cell {i} source", "".join(cell["source"]), True))
            for j, o in enumerate(cell.get("outputs", [])):
                for mime, payload in (o.get("data") or {}).items():
                    if mime in ("text/html", "text/markdown"):
                        out.append((f"{path.name} cell {i} output {j} {mime}", "".join(payload), True))
        return out
    return [(path.name, text, path.suffix in (".html", ".htm", ".md", ".svg"))]


def _outputs(out_root: Path) -> list[Path]:
    # every file, hidden folders (.<run>.tmp-<pid>) and .failed folders included
    return sorted(p for p in out_root.rglob("*") if p.is_file() and not p.name.endswith(".lock"))


def _assert_nothing_planted(out_root: Path, markup: list[str]) -> list[Path]:
    import mistune

    files = _outputs(out_root)
    assert files
    tags = [m for m in markup if "<" in m]  # markup in HTML; the Markdown ones are text there
    for path in files:
        for where, text, is_markup in _texts_of(path):
            for value in PERSONAL_VALUES:
                assert value not in text, f"personal value {value[:1]}… in {where}"
            if not is_markup:
                continue
            markdown = where.endswith("text/markdown") or where.endswith("source") or where.endswith(".md")
            for payload in tags:
                assert payload not in text, f"raw markup {payload[:12]}… in {where}"
            found = _Markup()
            found.feed(mistune.html(text) if markdown else text)
            assert found.bad == [], (where, found.bad)
    return files


@pytest.mark.notebook
def test_a_planted_district_publishes_no_markup_and_no_personal_data(tmp_path, counting_server):
    base, hits = counting_server
    markup = _markup(base)
    folder = _planted_copy(tmp_path / "district", markup)
    params = tmp_path / "planted.yaml"
    params.write_text(f"data_dir: {folder}\n", encoding="utf-8")
    out_root = tmp_path / "reports"
    result = run(params, out_root=out_root, workers=2)

    names = {p.name for p in result.out_dir.iterdir()}
    assert {"report.html", "report.docx", "results.json", "manifest.json", "30_service_outcomes.ipynb"} <= names
    files = _assert_nothing_planted(out_root, markup)
    assert hits == [], hits  # pandoc (and nothing else) fetched the planted images and style sheets

    # The planted markup did reach the report, as text: the test looked where the payloads go.
    page = (result.out_dir / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#x27;x1&#x27;)&lt;/script&gt;" in page or "&lt;script&gt;alert('x1')" in page
    results = json.loads((result.out_dir / "results.json").read_text(encoding="utf-8"))["results"]
    assert not [k for k in results if "script" in k or "wxid" in k]
    assert "petitions.received.count.labour" in results  # codes still make keys
    assert len(files) >= 10
    _assert_no_internal_codes(result.out_dir / "report.docx", markup)


def _assert_no_internal_codes(path: Path, markup: list[str]) -> None:
    """Issue 17, "Done when": the Chinese Word report of the bundled district carries no Latin-letter code (dotted
    keys, `unspecified`, `dr` …) outside the short allow-list. This run is the default one (Chinese, every notebook,
    the bundled data) with payloads planted in it: the payloads' own words are Latin by design and are allowed; any
    other Latin word is text of the package's making."""
    import docx

    from evaluation.text.i18n import LATIN_ALLOWED, latin_codes

    doc = docx.Document(str(path))
    text = "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for tbl in doc.tables for row in tbl.rows for c in row.cells])
    planted = set(latin_codes(" ".join(markup + PERSONAL_TEXT)))
    assert "摘要" in text and len(text) > 20000  # the whole report was read
    assert latin_codes(text, LATIN_ALLOWED | planted) == []


def test_personal_data_in_a_label_column_is_refused_with_the_value_masked(tmp_path):
    folder = tmp_path / "district"
    shutil.copytree(SYNTHETIC, folder)
    pet = pd.read_csv(folder / "petitions.csv", dtype=str, keep_default_na=False)
    planted = ["wxid_wang1958", "138.1234.5678", "110105194912310021", "联系人：王建国", "0752-2345678"]
    _plant_rows(pet, "category", planted, start=10)
    pet.to_csv(folder / "petitions.csv", index=False)
    meta = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    meta["name"] = "大亚湾区 微信号 li_na_88"
    (folder / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    params = tmp_path / "refused.yaml"
    params.write_text(f"data_dir: {folder}\nnotebooks: [00_data_quality]\n", encoding="utf-8")
    out_root = tmp_path / "reports"
    with pytest.raises(DataValidationError) as e:
        run(params, out_root=out_root)
    message = str(e.value)
    for row in range(12, 17):  # rows 10..14 of the frame are spreadsheet rows 12..16
        assert f"row {row}" in message
    assert "petitions.csv" in message and "category" in message and "dataset.yaml" in message
    for value in [*planted, "王建国", "li_na_88"]:
        assert value not in message
    assert not [p for p in out_root.rglob("*") if p.is_file() and not p.name.endswith(".lock")]
