"""The bilingual data dictionary (``data/dictionary.en.md``, ``data/dictionary.zh.md``), generated from the contract.

A test regenerates both files and compares them with the committed ones, so the dictionary cannot drift from the
schemas; ``jinlin dictionary`` rewrites them.
"""

from __future__ import annotations

from .contract import TABLES, Column
from .parsing import VALUE_SYNONYMS

__all__ = ["render_dictionary"]

_KIND = {
    "en": {"str": "text", "int": "integer", "float": "number", "date": "date", "datetime": "date and time",
           "flag": "0/1", "category": "code", "text": "free text"},
    "zh": {"str": "文本", "int": "整数", "float": "数值", "date": "日期", "datetime": "日期时间",
           "flag": "0/1（是/否）", "category": "代码", "text": "自由文本"},
}
_T = {
    "en": {
        "title": "# Data dictionary\n\nGenerated from `src/evaluation/data/contract.py` by `jinlin dictionary`; do not "
                 "edit by hand. A district folder holds one file per table (`<table>.csv` in UTF-8, UTF-8 with BOM or "
                 "GB18030/GBK, `.xlsx` or `.parquet`). Headers may be the English or the Chinese names. Dates may be "
                 "ISO (2024-05-01) or Chinese (2024年5月1日, 2024/5/1); dates before 1949-01-01 or more than a "
                 "year after the data cut-off (`data_cutoff` in `dataset.yaml`, else the end of the current year) "
                 "are refused as typos (years likewise), and time-zone-aware times are read as China Standard Time. Numbers may "
                 "group digits by three (1,234); another comma (1,5) is refused. A totals row (合计, 总计, 小计, "
                 "Total) is refused. A workbook's table is on the sheet named after the table, or on its only sheet "
                 "with data. Extra columns are kept.\n\n"
                 "Personal columns (names, phone numbers, ID numbers) are replaced on loading by a salted "
                 "`person_key` and dropped; free-text columns have phone and ID numbers masked.",
        "cols": "| column | 中文表头 | type | required | allowed values / range | description |",
        "key": "Key", "required_table": "Required table.", "added": "Added to the original contract: see "
        "`docs/conventions.md` for why.", "yes": "yes", "no": "", "personal": "personal: never reaches an output",
        "missing": "missing codes", "synonyms": "also accepted", "none": "read as empty (none)",
    },
    "zh": {
        "title": "# 数据字典\n\n由 `src/evaluation/data/contract.py` 经 `jinlin dictionary` 生成，请勿手工修改。"
                 "每张表一个文件（`<表名>.csv`，编码 UTF-8、带 BOM 的 UTF-8 或 GB18030/GBK；或 `.xlsx`、`.parquet`）。"
                 "表头可用英文名或中文名。日期可写作 2024-05-01 或 2024年5月1日、2024/5/1；早于 1949-01-01 或晚于数据截止日"
                 "（`dataset.yaml` 的 `data_cutoff`，缺省为当年年底）一年以上的日期视为笔误而拒绝（年份同理），带时区的时间按北京时间读取。"
                 "数字可按三位分组（1,234），其他逗号（1,5）会被拒绝。合计行（合计、总计、小计、Total）会被拒绝。"
                 "Excel 工作簿读取与表同名的工作表，或唯一有数据的工作表。多余的列会保留。\n\n"
                 "个人信息列（姓名、手机号、身份证号）在读入时替换为加盐的 `person_key` 并删除；自由文本中的手机号和身份证号会被遮盖。",
        "cols": "| 列名 | 中文表头 | 类型 | 必填 | 取值 / 范围 | 说明 |",
        "key": "主键", "required_table": "必需的表。", "added": "在原数据约定基础上新增，原因见 `docs/conventions.md`。",
        "yes": "是", "no": "", "personal": "个人信息：不会出现在任何输出中", "missing": "缺失代码",
        "synonyms": "也接受", "none": "视为空（无）",
    },
}


def _domain(c: Column, lang: str) -> str:
    t = _T[lang]
    parts = []
    if c.allowed:
        parts.append(" \\| ".join(c.allowed))
        syn = VALUE_SYNONYMS.get(c.name)
        if syn:
            parts.append(f"{t['synonyms']}: " + ", ".join(f"{k}→{v}" for k, v in syn.items() if v in c.allowed))
    if c.min is not None or c.max is not None:
        lo = "" if c.min is None else f"{c.min:g}"
        hi = "" if c.max is None else f"{c.max:g}"
        parts.append(f"{lo}–{hi}")
    if c.missing_codes:
        parts.append(f"{t['missing']}: " + "/".join(f"{m:g}" for m in c.missing_codes))
    if c.none_values:
        parts.append(f"{t['none']}: " + ", ".join(f"`{v}`" for v in c.none_values))
    if c.personal:
        parts.append(t["personal"])
    return "; ".join(parts)


def render_dictionary(lang: str = "en") -> str:
    """The data dictionary as Markdown in ``lang`` (``en`` or ``zh``)."""
    if lang not in _T:
        raise ValueError(f"language must be 'en' or 'zh', not {lang!r}")
    t, kinds = _T[lang], _KIND[lang]
    out = [t["title"], ""]
    for tab in TABLES:
        title = f"## {tab.name} ({tab.zh})" if lang == "en" else f"## {tab.zh}（{tab.name}）"
        out += [title, "", tab.en if lang == "en" else tab.zh, ""]
        if tab.key:
            out.append(f"{t['key']}: `{', '.join(tab.key)}`.")
        if tab.required:
            out.append(t["required_table"])
        if tab.added:
            out.append(t["added"])
        for note in tab.notes_in(lang):
            out.append(note)
        out += ["", t["cols"], "|---|---|---|---|---|---|"]
        for c in tab.columns:
            desc = c.en if lang == "en" else c.zh
            out.append(f"| `{c.name}` | {c.zh} | {kinds[c.kind]} | {t['yes'] if c.required else t['no']} | "
                       f"{_domain(c, lang)} | {desc} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"
