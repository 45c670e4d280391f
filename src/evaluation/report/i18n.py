"""The one translation catalogue: every heading, label, axis, table header and canned sentence, in Chinese and English.

Notebooks never hold report text of their own; they ask :func:`t` for it, so ``language: en`` switches everything.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["t", "CATALOGUE", "columns"]

CATALOGUE: dict[str, dict[str, str]] = {
    # common
    "synthetic_notice": {
        "zh": "**合成数据**：本报告基于内置的合成示范区数据（{label}），其中的数字不是任何真实社区的情况。",
        "en": "**Synthetic data**: this report uses the bundled synthetic district ({label}); its figures describe no "
              "real community.",
    },
    "real_notice": {"zh": "数据来源：{label}。", "en": "Data: {label}."},
    "run_params": {"zh": "报告年份 {year}，最小公布单元 {min_cell}。", "en": "Report year {year}; smallest published "
                   "cell {min_cell}."},
    "suppressed": {"zh": "（少于 {min_cell} 例，不予公布）", "en": "(fewer than {min_cell} cases, suppressed)"},
    # 00 data quality
    "dq.title": {"zh": "# 数据质量报告", "en": "# Data quality"},
    "dq.intro": {
        "zh": "本节检查各数据表的行数、覆盖的社区和年份、缺失情况、校验提示、10 个老社区到 43 个新社区的沿革，以及居民调查的完成情况。"
              "后续各项分析都以这些数据为基础。",
        "en": "This section checks each table's row count, the communities and years it covers, missing values, "
              "validation warnings, the lineage from 10 old to 43 new communities, and survey completion. Every later "
              "analysis rests on these data.",
    },
    "dq.tables": {"zh": "## 数据表概况", "en": "## Tables"},
    "dq.coverage": {"zh": "## 社区与年份覆盖", "en": "## Coverage by community and year"},
    "dq.coverage_note": {
        "zh": "图中每格为该社区该年份的记录数。2020 年前的数据记在 10 个老社区名下，之后记在 43 个新社区名下。",
        "en": "Each cell counts a community's records in a year. Before 2020 records carry the 10 old communities, "
              "from 2020 the 43 new ones.",
    },
    "dq.missing": {"zh": "## 缺失情况", "en": "## Missing values"},
    "dq.missing_none": {"zh": "各表的必填列均无缺失。", "en": "No required column has missing values."},
    "dq.warnings": {"zh": "## 校验提示", "en": "## Validation warnings"},
    "dq.warnings_none": {"zh": "数据通过全部校验规则，没有提示。", "en": "The data pass every rule; there are no warnings."},
    "dq.recoded": {"zh": "调查中“不知道/拒答”代码（8/9、98/99）按缺失处理：共 {n} 个回答。",
                   "en": "Survey 'don't know / refused' codes (8/9, 98/99) were treated as missing: {n} answers."},
    "dq.lineage": {"zh": "## 社区调整沿革：10 个社区优化为 43 个", "en": "## Lineage: 10 communities became 43"},
    "dq.lineage_note": {
        "zh": "共 {n_from} 个老社区划分为 {n_to} 个新社区（生效日期 {date}）。拆分前的数据按人口划转比例分摊到新社区。",
        "en": "{n_from} old communities were split into {n_to} new ones (effective {date}). Series from before the "
              "split are carried to the new communities by population share.",
    },
    "dq.survey": {"zh": "## 居民调查完成情况", "en": "## Survey completion"},
    "dq.survey_note": {
        "zh": "完成率 = 实际受访人数 ÷ 计划样本量（每社区每轮 {planned} 人）。完成率低的社区，其估计的不确定性更大。",
        "en": "Completion = respondents ÷ planned sample ({planned} per community and wave). Where completion is low, "
              "estimates are less certain.",
    },
    "dq.design": {
        "zh": "调查设计：{design}。",
        "en": "Survey design: {design}.",
    },
    "design.stratified": {"zh": "按社区分层、以楼栋为初级抽样单元的整群抽样，带设计权数",
                          "en": "stratified by community, clustered by building (PSU), with design weights"},
    "design.srs": {"zh": "数据中没有分层、抽样单元和权数，按简单随机抽样处理",
                   "en": "no strata, PSUs or weights in the data: treated as a simple random sample"},
    # column headers
    "col.table": {"zh": "数据表", "en": "table"},
    "col.file": {"zh": "文件", "en": "file"},
    "col.format": {"zh": "格式", "en": "format"},
    "col.rows": {"zh": "行数", "en": "rows"},
    "col.communities": {"zh": "社区数", "en": "communities"},
    "col.first": {"zh": "最早", "en": "first"},
    "col.last": {"zh": "最晚", "en": "last"},
    "col.column": {"zh": "列", "en": "column"},
    "col.missing_share": {"zh": "缺失比例", "en": "missing share"},
    "col.required": {"zh": "必填", "en": "required"},
    "col.severity": {"zh": "级别", "en": "severity"},
    "col.row": {"zh": "行", "en": "row"},
    "col.rule": {"zh": "规则", "en": "rule"},
    "col.message": {"zh": "说明", "en": "message"},
    "col.count": {"zh": "条数", "en": "count"},
    "col.wave": {"zh": "调查轮次", "en": "wave"},
    "col.respondents": {"zh": "受访人数", "en": "respondents"},
    "col.planned": {"zh": "计划样本", "en": "planned"},
    "col.completion": {"zh": "完成率", "en": "completion"},
    "col.from_id": {"zh": "原社区", "en": "old community"},
    "col.to_id": {"zh": "新社区", "en": "new community"},
    "col.pop_share": {"zh": "人口划转比例", "en": "population share"},
    "col.year": {"zh": "年份", "en": "year"},
    "col.community": {"zh": "社区", "en": "community"},
    "axis.year": {"zh": "年份", "en": "Year"},
    "axis.community": {"zh": "社区", "en": "Community"},
    "axis.completion": {"zh": "完成率", "en": "Completion"},
    "axis.records": {"zh": "记录数", "en": "Records"},
    "fig.coverage": {"zh": "网格事件：各社区各年份记录数", "en": "Grid events by community and year"},
    "fig.completion": {"zh": "各轮调查的社区完成率分布", "en": "Community completion rates by wave"},
}


def t(key: str, lang: str, /, **fmt: object) -> str:
    """The catalogue text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``."""
    try:
        entry = CATALOGUE[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in the translation catalogue (src/evaluation/report/i18n.py)") from None
    text = entry[lang]
    return text.format(**fmt) if fmt else text


def columns(names: list[str] | Mapping[str, str], lang: str) -> dict[str, str]:
    """Column renames for a display table: ``{"rows": "行数", ...}`` from catalogue keys ``col.<name>``."""
    names = list(names)
    return {n: t(f"col.{n}", lang) if f"col.{n}" in CATALOGUE else n for n in names}
