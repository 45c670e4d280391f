"""The one translation catalogue: every heading, label, axis, table header and canned sentence, in Chinese and English.

Notebooks never hold report text of their own; they ask :func:`t` for it, so ``language: en`` switches everything.
The catalogue lives only in YAML: ``resources/i18n/common.yaml`` for the texts every section uses and one file per
report section beside it (so sections can be written side by side); a key defined twice is an error.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["t", "plain", "CATALOGUE", "columns", "display_values", "result_label", "latin_codes", "LATIN_ALLOWED"]

# filled from resources/i18n/*.yaml when the module is imported (_load_sections)
CATALOGUE: dict[str, dict[str, str]] = {}


def _load_sections() -> None:
    import yaml

    from ..config import RESOURCES_DIR

    for path in sorted((RESOURCES_DIR / "i18n").glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, entry in entries.items():
            # YAML 1.1 reads a bare yes/no/on/off key as a boolean: such keys must be quoted
            if not isinstance(key, str):
                raise ValueError(f"translation key {key!r} in {path.name} is not a string (quote it)")
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

    return plain(key, lang, **{k: markdown_text(v) if isinstance(v, str) else v for k, v in fmt.items()})


def plain(key: str, lang: str, /, **fmt: object) -> str:
    """The catalogue text ``key`` in ``lang``, formatted with ``fmt`` as it is: for text that is not Markdown (a
    terminal line, a Word run, an error message, a piece that goes into :func:`t` or is HTML-escaped afterwards),
    where :func:`t`'s escaping would show as backslashes and entities."""
    try:
        entry = CATALOGUE[key]
    except KeyError:
        raise KeyError(f"no text {key!r} in the translation catalogue (src/evaluation/resources/i18n/*.yaml)") from None
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
