"""Data-quality summaries of a loaded district: row counts, coverage, missingness, warnings, lineage, survey completion.

These are descriptive tables (no inference), computed from the typed frames that :func:`load_district` returns. A
large table left on disk (:class:`~evaluation.data.lazy.ParquetTable`) is summarised by DuckDB aggregates over its
typed view, so a region's tens of millions of events are counted without being read into memory.

Notebook 00 records two figures from the loaded district itself, Keys: ``data.communities.current`` (rows of
``communities`` with no ``valid_to``: the communities that exist now) and ``data.communities.listed`` (all rows,
legacy communities included); and ``data.survey.missing_codes_recoded``, the survey answers whose missing-value
codes (8 and 9, or 98 and 99: each column's ``missing_codes`` in the data contract) the loader turned into missing values (``District.recoded_missing``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from ..errors import Problem
from .contract import TABLES
from .lazy import is_lazy

__all__ = ["TIME_COLUMN", "table_overview", "records_by_community_year", "missingness", "problems_frame",
           "lineage_summary", "survey_completion", "survey_design_kind"]

# The column that dates each table's rows, for coverage by year.
TIME_COLUMN: dict[str, str] = {
    "population": "year", "population_margins": "year", "programme_rollout": "start_date",
    "survey_responses": "wave", "activities": "date", "organisations": "founded", "volunteers": "registered",
    "service_hours": "date", "grid_events": "reported_at", "petitions": "received_date",
    "service_stations": "opened", "community_workers": "hired", "pairings": "start_date",
    "committee_members": "appointed", "joint_meetings": "date", "grid_staff": "joined",
    "community_lineage": "effective_date", "communities": "valid_from",
}


def _years(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.year.astype("Int64")
    return pd.to_numeric(s, errors="coerce").astype("Int64")


def _year_sql(table, column: str) -> str:
    kind = table.table.column(column).kind
    return f'year("{column}")' if kind in ("date", "datetime") else f'CAST("{column}" AS BIGINT)'


def _lazy_overview(table, tc: str | None) -> dict:
    """Communities and first/last year of a table on disk, in one DuckDB scan."""
    cols = [c for c in ("community_id", tc) if c and c in table]
    parts = ['count(DISTINCT "community_id") AS communities' if "community_id" in cols else "NULL AS communities"]
    if tc in cols:
        parts += [f"min({_year_sql(table, tc)}) AS first", f"max({_year_sql(table, tc)}) AS last"]
    else:
        parts += ["NULL AS first", "NULL AS last"]
    r = table.query(f"SELECT {', '.join(parts)} FROM {{t}}", columns=cols or None).iloc[0]
    return {k: (pd.NA if pd.isna(r[k]) else int(r[k])) for k in ("communities", "first", "last")}


def table_overview(tables: Mapping[str, pd.DataFrame], files: Mapping[str, object]) -> pd.DataFrame:
    """One row per loaded table: file, format, rows, communities covered, and first/last year.

    Keys: ``data.tables.count`` (tables loaded) and ``data.rows.<table>`` (rows of each table, as loaded).
    """
    rows = []
    for t in TABLES:
        if t.name not in tables:
            continue
        df = tables[t.name]
        tc = TIME_COLUMN.get(t.name)
        f = files[t.name]
        row = {"table": t.name, "file": getattr(f, "file", str(f)), "format": getattr(f, "fmt", ""), "rows": len(df)}
        if is_lazy(df):
            row |= _lazy_overview(df, tc)
        else:
            years = _years(df[tc]).dropna() if tc and tc in df.columns else pd.Series(dtype="Int64")
            row |= {"communities": int(df["community_id"].nunique()) if "community_id" in df.columns else pd.NA,
                    "first": int(years.min()) if len(years) else pd.NA,
                    "last": int(years.max()) if len(years) else pd.NA}
        rows.append(row)
    return pd.DataFrame(rows, columns=["table", "file", "format", "rows", "communities", "first", "last"])


def records_by_community_year(df: pd.DataFrame, time_column: str) -> pd.DataFrame:
    """Counts of rows by community (index) and year (columns)."""
    if is_lazy(df):
        counts = df.query(f'SELECT "community_id", {_year_sql(df, time_column)} AS year, count(*) AS n FROM {{t}} '
                          f"GROUP BY ALL", columns=["community_id", time_column])
        counts = counts.dropna(subset=["year"]).astype({"year": "Int64"})
        return (counts.pivot(index="community_id", columns="year", values="n").fillna(0).astype("int64")
                .rename_axis(index="community_id", columns="year").sort_index(axis=0).sort_index(axis=1))
    years = _years(df[time_column]).rename("year")
    return (pd.crosstab(df["community_id"], years).sort_index(axis=0).sort_index(axis=1))


def missingness(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of missing values per contract column present in each table (personal columns are gone by now).

    Key: ``data.missing.required_cells``: the number of required columns with any missing value.
    """
    rows = []
    for t in TABLES:
        if t.name not in tables:
            continue
        df = tables[t.name]
        if is_lazy(df):
            present = [c for c in t.columns if c.name in df]
            if not present:
                continue
            shares = df.query("SELECT " + ", ".join(f'avg(CAST("{c.name}" IS NULL AS DOUBLE)) AS "{c.name}"'
                                                   for c in present) + " FROM {t}").iloc[0]
            rows += [{"table": t.name, "column": c.name, "required": c.required and not c.may_be_empty,
                      "missing_share": float(shares[c.name]) if len(df) else 0.0} for c in present]
            continue
        for c in t.columns:
            if c.name in df.columns:
                rows.append({"table": t.name, "column": c.name, "required": c.required and not c.may_be_empty,
                             "missing_share": float(df[c.name].isna().mean()) if len(df) else 0.0})
    return pd.DataFrame(rows, columns=["table", "column", "required", "missing_share"])


def problems_frame(problems: Iterable[Problem]) -> pd.DataFrame:
    """Validation problems as a table, sorted by file and row.

    Key: ``data.validation.warnings``: the number of warnings the loading of the district gave (its rows).
    """
    cols = ["severity", "file", "row", "column", "rule", "message", "fix"]
    return pd.DataFrame([{c: getattr(p, c) for c in cols} for p in sorted(problems)], columns=cols)


def lineage_summary(lineage: pd.DataFrame) -> dict[str, object]:
    """How many old communities became how many new ones, and when.

    Keys: ``data.lineage.from_communities`` (``n_from``, communities split) and ``data.lineage.to_communities``
    (``n_to``, the communities they became).
    """
    dates = sorted(pd.to_datetime(lineage["effective_date"]).dt.date.unique())
    return {"n_from": int(lineage["from_id"].nunique()), "n_to": int(lineage["to_id"].nunique()),
            "dates": [d.isoformat() for d in dates],
            "children_per_parent": lineage.groupby("from_id")["to_id"].nunique().sort_index()}


def survey_completion(survey: pd.DataFrame, planned_n: int, lineage: pd.DataFrame | None = None) -> pd.DataFrame:
    """Respondents per community and wave against the planned sample size.

    The plan is ``planned_n`` per current community; a community that was split after the wave (``lineage``, a
    split effective in a later year than the wave) was planned for the sample of all its successors,
    ``planned_n`` × the number of communities it became. A community that keeps its code after a split (a lineage row
    to itself) is planned for itself alone in the waves from the split on.

    Keys (the report year's wave): ``data.survey.respondents`` (Σ ``respondents``; ``n`` = communities surveyed)
    and ``data.survey.completion_median`` (the median over communities of respondents / planned).
    """
    g = survey.groupby(["wave", "community_id"]).size().rename("respondents").reset_index()
    g["planned"] = planned_n
    if lineage is not None and len(lineage):
        # Without dates every split counts as later than every wave (legacy rows are the only ones it can hold).
        year = pd.to_datetime(lineage["effective_date"]).dt.year if "effective_date" in lineage else float("inf")
        lin = lineage.assign(_year=year,
                             from_id=lineage["from_id"].astype(str), to_id=lineage["to_id"].astype(str))
        wave = pd.to_numeric(g["wave"], errors="coerce")
        for i, (w, c) in enumerate(zip(wave, g["community_id"].astype(str))):
            later = lin[(lin["from_id"] == c) & (lin["_year"] > w)]
            if len(later):
                g.loc[g.index[i], "planned"] = planned_n * later["to_id"].nunique()
    g["completion"] = g["respondents"] / g["planned"]
    return g


def survey_design_kind(survey: pd.DataFrame) -> str:
    """``stratified`` when strata, PSUs and weights are all present and filled, otherwise ``srs``."""
    need = ["stratum", "psu", "base_weight"]
    if all(c in survey.columns for c in need) and survey[need].notna().all().all():
        return "stratified"
    return "srs"
