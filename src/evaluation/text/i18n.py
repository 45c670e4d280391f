"""The one translation catalogue: every heading, label, axis, table header and canned sentence, in Chinese and English.

Notebooks never hold report text of their own; they ask :func:`t` for it, so ``language: en`` switches everything.
The catalogue is this module's entries plus one YAML file per report section in ``resources/i18n/`` (so sections can
be written side by side); a key defined twice is an error.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["t", "CATALOGUE", "columns", "display_values", "result_label", "latin_codes", "LATIN_ALLOWED"]

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
        "zh": "图中每格为该社区该年份的记录数。社区调整前的数据记在原社区名下，调整后记在新社区名下。",
        "en": "Each cell counts a community's records in a year. Records from before the split carry the old "
              "communities, later ones the new communities.",
    },
    "dq.missing": {"zh": "## 缺失情况", "en": "## Missing values"},
    "dq.missing_none": {"zh": "各表的必填列均无缺失。", "en": "No required column has missing values."},
    "dq.warnings": {"zh": "## 校验提示", "en": "## Validation warnings"},
    "dq.warnings_none": {"zh": "数据通过全部校验规则，没有提示。", "en": "The data pass every rule; there are no warnings."},
    "dq.recoded": {"zh": "调查中“不知道/拒答”代码（8/9、98/99）按缺失处理：共 {n} 个回答。",
                   "en": "Survey 'don't know / refused' codes (8/9, 98/99) were treated as missing: {n} answers."},
    "dq.lineage": {"zh": "## 社区调整沿革：{n_from} 个社区优化为 {n_to} 个", "en": "## Lineage: {n_from} communities became {n_to}"},
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
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
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
    # 50 award claims (evaluation.claims.audit, evaluation.report.audit and notebooks/50_award_claims.ipynb)
    "claims.title": {"zh": "# 申报材料数字核验", "en": "# Award submission: the figures audited"},
    "claims.intro": {
        "zh": "本节把申报材料中的每个数字找出来，与数据复算的结果逐一对照：落在原文表述（如“余”“近”“约”）允许的范围内为"
              "“相符”；相符但统计上不确定性大为“不稳”；超出范围为“不符”；数据缺少所需内容为“无法核验”；口号、名称和列举作"
              "定性处理。随后检查数字之间是否自洽，并对照各奖项的评审标准说明证据的强弱。",
        "en": "This section finds every figure in the submission and sets it against the value recomputed from the "
              "data: inside the range its wording allows (余, 近, 约 …) it is supported; supported but statistically "
              "uncertain, fragile; outside the range, contradicted; when the data lack what is needed, not checkable; "
              "slogans, names and lists are qualitative. Then the figures are checked against each other, and the "
              "evidence is weighed against each award's criteria.",
    },
    "claims.source": {"zh": "申报文本：{name}（共 {n} 处数字）。", "en": "Submission: {name} ({n} figures)."},
    "claims.extracted": {"zh": "## 提取的数字", "en": "## The figures found"},
    "claims.extracted_note": {
        "zh": "每行一处数字：原文、数值、单位、表述方式所允许的区间、类型和所指期间。",
        "en": "One row per figure: the text, value, unit, the interval its wording allows, its kind and period.",
    },
    "claims.verdicts": {"zh": "## 逐项核验结论", "en": "## Verdicts, figure by figure"},
    "claims.summary": {
        "zh": "共 {n} 处数字：相符 {supported}，不稳 {fragile}，不符 {contradicted}，无法核验 {not_checkable}，定性 {qualitative}。",
        "en": "{n} figures: {supported} supported, {fragile} fragile, {contradicted} contradicted, {not_checkable} not "
              "checkable, {qualitative} qualitative.",
    },
    "claims.contradicted_none": {"zh": "没有与数据不符的数字。", "en": "No figure is contradicted by the data."},
    "claims.contradicted_list": {"zh": "与数据不符的数字：{items}。", "en": "Figures contradicted by the data: {items}."},
    "claims.consistency": {"zh": "## 数字之间是否自洽", "en": "## Do the figures hang together?"},
    "claims.consistency_note": {
        "zh": "这些检查只看文本本身：人次与人数、百分比有无分母、覆盖率的算术、小样本下的百分比变化。",
        "en": "These checks need only the text: person-times versus people, percentages without denominators, "
              "coverage arithmetic, and percentage changes that only small counts can produce.",
    },
    "claims.consistency_none": {"zh": "未发现自洽性问题。", "en": "No consistency problem found."},
    "claims.criteria": {"zh": "## 对照评审标准的自评", "en": "## Self-assessment against the award criteria"},
    "claims.criteria_note": {
        "zh": "证据强弱的规则：真实性看核验结论；实效性、示范性看项目效果估计及其置信区间；现状水平只能算“一般”；"
              "创新性由评委判断。缺少效果估计时请先运行效果评估（第40号笔记本）。",
        "en": "How strength is judged: authenticity by the verdicts; effectiveness and exemplary value by the "
              "programme effect estimates and their intervals; a level alone counts as 'some'; novelty is for the jury. Without "
              "effect estimates, run the impact notebook (40) first.",
    },
    "claims.method": {
        "zh": "方法说明：数字由规则从文本中提取，“余”“多”“近”“约”“以上”等表述换算成允许的数值区间（依 GB/T 15835-2011 "
              "及统计用语习惯）；每个数字按关键词规则对应到一个指标，可在 claims.yaml 中手工指定；指标按项目约定从数据表"
              "复算（年末在册、当年发生）。同比变化的置信区间为泊松率比的精确条件区间（与 R 的精确泊松检验一致），比例的"
              "区间为 Wilson 区间。“不稳”的规则：变化的95%置信区间延伸到±5%以内，或水平值的区间半宽超过数值的25%。",
        "en": "Method: figures are extracted from the text by rule; hedges such as 余, 多, 近, 约 and 以上 become intervals "
              "of admissible values (GB/T 15835-2011 and statistical usage); each figure is matched to an indicator by "
              "keyword rules, or pinned by hand in claims.yaml; indicators are recomputed from the tables as the "
              "project conventions define them (active at year end, dated in the year). The interval of a "
              "year-on-year change is the exact conditional interval of the Poisson rate ratio (as R poisson.test); "
              "proportions carry Wilson intervals. 'Fragile': the 95% interval of a change reaches within ±5%, or the "
              "half-width of a level's interval exceeds 25% of the value.",
    },
    "claims.verdict.supported": {"zh": "相符", "en": "supported"},
    "claims.verdict.fragile": {"zh": "不稳", "en": "fragile"},
    "claims.verdict.contradicted": {"zh": "不符", "en": "contradicted"},
    "claims.verdict.not_checkable": {"zh": "无法核验", "en": "not checkable"},
    "claims.verdict.qualitative": {"zh": "定性", "en": "qualitative"},
    "claims.strength.strong": {"zh": "强", "en": "strong"},
    "claims.strength.some": {"zh": "一般", "en": "some"},
    "claims.strength.weak": {"zh": "弱", "en": "weak"},
    "claims.strength.missing": {"zh": "缺失", "en": "missing"},
    "claims.appendix.title": {"zh": "附录：申报材料数字核验", "en": "Appendix: the submission's figures checked against the data"},
    "claims.appendix.verdicts": {"zh": "一、逐项核验", "en": "1. Verdicts"},
    "claims.appendix.qualitative": {
        "zh": "另有 {n} 处口号、名称、日期或列举，作定性处理，未列入上表。",
        "en": "A further {n} slogans, names, dates or lists are qualitative and not listed.",
    },
    "claims.appendix.consistency": {"zh": "二、数字自洽性", "en": "2. Internal consistency"},
    "claims.appendix.criteria": {"zh": "三、对照评审标准", "en": "3. Against the award criteria"},
    "claims.appendix.method": {"zh": "四、方法说明", "en": "4. Method"},
    "claims.appendix.provenance": {"zh": "五、数据来源", "en": "5. Data provenance"},
    "claims.appendix.provenance_note": {
        "zh": "报告年份 {year}；申报文本 {submission}（SHA-256 前16位 {sha}）；数据目录 {data}；软件版本 {version}。"
              "下表列出所用数据文件及其 SHA-256 校验值，数据一变，校验值即变。",
        "en": "Report year {year}; submission {submission} (SHA-256 prefix {sha}); data folder {data}; software "
              "version {version}. The table lists the data files used and their SHA-256; any change to the data changes them.",
    },
    "claims.col.claim_id": {"zh": "编号", "en": "id"},
    "claims.col.raw": {"zh": "原文", "en": "text"},
    "claims.col.value": {"zh": "数值", "en": "value"},
    "claims.col.unit": {"zh": "单位", "en": "unit"},
    "claims.col.kind": {"zh": "类型", "en": "kind"},
    "claims.col.period": {"zh": "期间", "en": "period"},
    "claims.col.indicator": {"zh": "指标", "en": "indicator"},
    "claims.col.computed": {"zh": "复算值", "en": "recomputed"},
    "claims.col.interval": {"zh": "原文允许区间", "en": "interval allowed"},
    "claims.col.ci": {"zh": "95%置信区间", "en": "95% interval"},
    "claims.col.verdict": {"zh": "结论", "en": "verdict"},
    "claims.col.explanation": {"zh": "说明", "en": "explanation"},
    "claims.col.check": {"zh": "检查", "en": "check"},
    "claims.col.severity": {"zh": "级别", "en": "severity"},
    "claims.col.finding": {"zh": "发现", "en": "finding"},
    "claims.col.award": {"zh": "奖项", "en": "award"},
    "claims.col.criterion": {"zh": "标准", "en": "criterion"},
    "claims.col.strength": {"zh": "证据强弱", "en": "strength"},
    "claims.col.statement": {"zh": "说明", "en": "statement"},
    "claims.col.table": {"zh": "数据表", "en": "table"},
    "claims.col.file": {"zh": "文件", "en": "file"},
    "claims.col.rows": {"zh": "行数", "en": "rows"},
    "claims.col.sha256": {"zh": "SHA-256", "en": "SHA-256"},
}


def _load_sections() -> None:
    import yaml

    from ..config import RESOURCES_DIR

    for path in sorted((RESOURCES_DIR / "i18n").glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, entry in entries.items():
            if key in CATALOGUE:
                raise ValueError(f"translation key {key!r} is defined twice (again in {path.name})")
            if not isinstance(entry, dict) or set(entry) != {"zh", "en"}:
                raise ValueError(f"translation {key!r} in {path.name} must have exactly zh and en")
            CATALOGUE[key] = {"zh": str(entry["zh"]), "en": str(entry["en"])}


_load_sections()


def t(key: str, lang: str, /, **fmt: object) -> str:
    """The catalogue text ``key`` in ``lang`` (``zh`` or ``en``), formatted with ``fmt``.

    String values are escaped for Markdown and HTML (:func:`~evaluation.text.escape.markdown_text`): the texts are
    shown as Markdown, and the values (district, community and unit names, codes) come from the data.
    """
    from .escape import markdown_text

    fmt = {k: markdown_text(v) if isinstance(v, str) else v for k, v in fmt.items()}
    try:
        entry = CATALOGUE[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in the translation catalogue (src/evaluation/text/i18n.py and src/evaluation/resources/i18n/)") from None
    text = entry[lang]
    return text.format(**fmt) if fmt else text


def columns(names: list[str] | Mapping[str, str], lang: str) -> dict[str, str]:
    """Column renames for a display table: ``{"rows": "行数", ...}`` from catalogue keys ``col.<name>``."""
    names = list(names)
    return {n: t(f"col.{n}", lang) if f"col.{n}" in CATALOGUE else n for n in names}


_PERIOD_PATTERNS = (  # periods written by evaluation.claims.periods with a number in them
    (r"^since (\d{4})$", "{0}年以来"),
    (r"^last (\d+) years$", "近{0}年"),
    (r"^(\d{4}) vs (\d{4})$", "{0}年与{1}年相比"),
    (r"^(\d{4})$", "{0}年"),
)


def _code_label(column: str, value: object, row: Mapping[str, object]) -> object:
    import re

    from ..data.contract import TABLES

    if not isinstance(value, str):
        return value
    key = f"val.{column}.{value}"
    if key in CATALOGUE:
        return CATALOGUE[key]["zh"]
    by_name = {tab.name: tab for tab in TABLES}
    if column == "table" and value in by_name:
        return by_name[value].zh
    if column == "column" and row.get("table") in by_name:
        tab = by_name[str(row["table"])]
        for c in tab.columns:
            if c.name == value:
                return c.zh
    if column == "period":
        for pattern, label in _PERIOD_PATTERNS:
            m = re.match(pattern, value)
            if m:
                return label.format(*m.groups())
    return value


def result_label(key: str, lang: str) -> str:
    """A reader's name for a key of ``results.json``, or a key pattern with ``*`` (``organisation.*``), in ``lang``.

    Chinese documents name figures, not keys (issue 17): the name comes from ``val.indicator.<key>``, from
    ``val.group.<head>`` for a whole group (``participation.*``), and for effect estimates from the outcome's name
    (``impact.<outcome>.att``, ``impact.<outcome>.dynamic.e<k>`` with ``e*`` for all years). English documents keep
    the keys, which are English words and what a reviewer looks up in ``results.json``. A key with no name is
    returned as it is, so a new key shows up in the Latin-code check instead of vanishing.
    """
    import re

    if lang != "zh":
        return key
    if f"val.indicator.{key}" in CATALOGUE:
        return CATALOGUE[f"val.indicator.{key}"]["zh"]
    m = re.fullmatch(r"([a-z_]+)\.\*", key)
    if m and f"val.group.{m.group(1)}" in CATALOGUE:
        return CATALOGUE[f"val.group.{m.group(1)}"]["zh"]
    m = re.fullmatch(r"impact\.([a-z0-9_]+)\.(att|dynamic\.e(\d+|\*))", key)
    if m and f"impact.outcome.{m.group(1)}" in CATALOGUE:
        # plain text (no Markdown escaping as t() does): the label goes into table cells, escaped there
        outcome = CATALOGUE[f"impact.outcome.{m.group(1)}"]["zh"]
        if m.group(2) == "att":
            entry = "val.effect.att"
        elif m.group(3) == "*":
            entry = "val.effect.dynamic_all"
        else:
            entry = "val.effect.dynamic_0" if m.group(3) == "0" else "val.effect.dynamic"
        return CATALOGUE[entry]["zh"].format(outcome=outcome, k=m.group(3))
    return key


def display_values(df, lang: str):
    """A copy of the display table ``df`` with internal codes in its cells replaced by Chinese labels (``zh`` only).

    The labels come from the catalogue keys ``val.<column>.<code>`` (resources/i18n/values.yaml), from the data
    contract for the ``table`` and ``column`` columns (the table's and column's Chinese names), and from the period
    patterns of :mod:`evaluation.claims.periods` (``since 2019`` -> 2019年以来). English runs keep the codes, which
    are English words. A value with no label is left as it is.
    """
    import pandas as pd

    if lang != "zh" or df.empty:
        return df
    # A notebook may rename its columns before display (claims.col.kind -> 类型): know the code columns by either name.
    code_columns = ("kind", "period", "severity", "check", "table", "column", "format", "unit", "indicator")
    by_label = {}
    for name in code_columns:
        for prefix in ("col.", "claims.col."):
            entry = CATALOGUE.get(prefix + name)
            if entry is not None:
                by_label.setdefault(entry["zh"], name)
    names = {col: col if col in code_columns else by_label.get(col) for col in df.columns if isinstance(col, str)}
    src = df.copy()
    out = df.copy()
    records = [{names.get(k) or k: v for k, v in r.items()} for r in src.to_dict("records")]
    for col, name in names.items():
        if name is None or not (pd.api.types.is_object_dtype(src[col]) or pd.api.types.is_string_dtype(src[col])):
            continue
        out[col] = [_code_label(name, v, r) for v, r in zip(src[col], records)]
    return out


# Latin-letter words a Chinese document may carry: method names and statistical symbols that have no Chinese form in
# use, file formats, and units. Anything else (a dotted key, a code such as ``unspecified``) is an internal code that
# leaked (issue 17).
LATIN_ALLOWED = frozenset({
    "R", "DiD", "TWFE", "ATT", "CI", "p", "t", "n", "N", "M", "Mbar", "SE", "OR", "Wald", "Wilson", "Garwood", "Kaplan",
    "Meier", "Cronbach", "McDonald", "Goodman-Bacon", "Callaway", "Sant", "Anna", "RMSPE", "GB", "T", "CSV",
    "Parquet", "Excel", "SHA-256", "Lopez", "Bernal", "logit", "deff", "raking", "km", "m", "h",
    "Rambachan", "Roth", "Holm", "Firpo", "Possebom", "Abadie", "Newey", "West", "Ljung", "Box", "Greenwood",
    "Mogstad", "Romano", "Shaikh", "Wilhelm", "Kish",
    # references to software a method agrees with (R's survey package, its svyby), and the bundled district's name
    "survey", "svyby", "svyolr", "psych", "survival", "jinlin-synthetic-district",
})


_FILE_NAME = r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*\.(csv|parquet|xlsx|xls|md|txt|docx|yaml|yml|json|html)"


def latin_codes(text: str, allowed: frozenset[str] = LATIN_ALLOWED) -> list[str]:
    """The Latin-letter words of ``text`` that are not in ``allowed``: dotted keys (``impact.x.att``), snake_case
    names and English codes. Community codes (C01, D12) and claim numbers (F001) are identifiers and pass, and so do
    file names (``communities.csv``, ``daya_bay_2024.md``): the office has these files under these names."""
    import re

    found = []
    for m in re.finditer(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9_]|[A-Za-z]", text):
        word = m.group(0)
        if word in allowed or re.fullmatch(r"[A-Z]\d{2,3}", word) or re.fullmatch(_FILE_NAME, word):
            continue
        found.append(word)
    return found
