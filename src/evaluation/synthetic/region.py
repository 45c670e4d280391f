"""Synthetic region (合成区域数据): N communities from blocks of the synthetic district, written to Parquet in chunks.

A city or a province is many districts. The region generator runs the district generator
(:func:`evaluation.synthetic.generate_district`) once per block of 43 communities, each block with its own child seed,
and renames every identifier into one region-wide namespace:

- communities ``C0001 … C<N>`` (current) and ``L0001 …`` (legacy, ten per block), streets ``S001 …`` (three per
  block); identifiers that embed a community code (survey ``respondent_id``/``stratum``/``psu``, ``grid_id``) are
  rewritten with the new code; every other key is prefixed with its block, ``D001-…``;
- grid events are drawn ``events_replicates`` times per block (independent draws of the same event model, pooled and
  renumbered ``E<year><seq>``), because a region's hotline and app add tickets to the patrols: with the default 3 a
  region of 2,000 communities holds about 10 million events over 2018–2024, the size named in issue 9;
- the survey takes ``survey_per_community`` respondents per community and wave (default 72, about 1 million
  respondents at N = 2,000, against 50 in the district);
- each block's coordinates are shifted onto its own cell of a fixed grid (0.25° × 0.30°, ten cells a row), so
  service-circle distances stay inside a block.

When N is not a multiple of 43 the last block keeps its first ``N mod 43`` communities. A legacy community that lost
some of its children that way keeps its pre-split history whole and its lineage shares are renormalised over the
children kept (the rest of it lies outside the region); rows of the dropped communities are removed, and references
to dropped rows (volunteer ``team_id``, service-hour ``activity_id``, hours of dropped volunteers) with them.

Every table is written as Parquet with one row group per ``blocks_per_row_group`` blocks through
``pyarrow.parquet.ParquetWriter``, so the generator holds one block (a few hundred MB) at a time whatever N is.
``truth.json`` holds the headline counts of the report year summed over blocks (the planted effects are those of the
district, block by block; distinct-name counts such as paired units are left out because names repeat across
blocks). Output is deterministic in (seed, N, knobs): block ``b`` is seeded by ``SeedSequence((seed, b))``, so a
smaller region is a prefix of a larger one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from .config import SynthConfig
from .district import _STREAMS, GENERATOR_VERSION, NOTICE, TABLE_ORDER, generate_district, headline_figures
from .geography import build_geography
from .grid import build_grid_events
from .population import build_population
from .rollout import build_rollout
from .write import truth_json

__all__ = ["RegionBlock", "RegionSummary", "region_blocks", "region_tables", "region_truth", "write_region",
           "region_metadata",
           "BLOCK_SIZE", "REGION_VERSION"]

BLOCK_SIZE = 43                     # communities per block: the district's current communities
_LEGACY_PER_BLOCK = 10
_STREETS_PER_BLOCK = 3
REGION_VERSION = "1.0.0"
_CELL_LAT, _CELL_LON, _CELLS_PER_ROW = 0.25, 0.30, 10

# Columns holding a community code, columns whose text starts with one ("L01-2018-001"), and keys that only need to
# be unique: they get the block prefix.
_COMMUNITY_COLS: dict[str, tuple[str, ...]] = {"community_lineage": ("from_id", "to_id")}
_EMBEDDED_COLS: dict[str, tuple[str, ...]] = {"survey_responses": ("respondent_id", "stratum", "psu"),
                                              "grid_events": ("grid_id",)}
_BLOCK_KEYS: dict[str, tuple[str, ...]] = {
    "activities": ("activity_id",), "organisations": ("org_id",), "volunteers": ("person_key", "team_id"),
    "service_hours": ("person_key", "activity_id"), "grid_events": ("event_id",), "petitions": ("case_id",),
    "service_stations": ("station_id",), "residential_points": ("point_id",), "community_workers": ("worker_key",),
    "pairings": ("pairing_id",), "committee_members": ("member_key",), "joint_meetings": ("meeting_id",),
    "grid_staff": ("staff_key",),
}
# Headline keys that add up over blocks; rates and the year-on-year change are rebuilt from summed counts.
_NOT_ADDITIVE = ("organisation.paired_units.count", "organisation.departments_sent_down.count",
                 "organisation.workers_promoted.rate", "organisation.workers_certified.rate",
                 "petitions.real_estate.yoy_change")


@dataclass(frozen=True)
class RegionBlock:
    """One block of the region: its tables (region-wide ids) and its headline counts (dotted key -> number)."""

    index: int
    n_communities: int
    tables: dict[str, pd.DataFrame]
    counts: dict[str, float]


@dataclass(frozen=True)
class RegionSummary:
    """What :func:`write_region` wrote."""

    folder: Path
    n_communities: int
    rows: dict[str, int]
    truth: dict[str, dict[str, Any]]
    seconds: float
    paths: tuple[Path, ...] = field(default_factory=tuple)


def _width(n_communities: int) -> int:
    n_blocks = math.ceil(n_communities / BLOCK_SIZE)
    return max(4, len(str(max(n_communities, n_blocks * _LEGACY_PER_BLOCK))))


def _block_seed(seed: int, block: int, *extra: int) -> np.random.SeedSequence:
    return np.random.SeedSequence((int(seed), int(block), *extra))


def _int_seed(ss: np.random.SeedSequence) -> int:
    return int(ss.generate_state(1, np.uint64)[0])


def _district_config(survey_per_community: int) -> SynthConfig:
    knobs: dict[str, Any] = {"n_per_community": int(survey_per_community)}
    # The comparison-district panel is district-level (not stacked into a region): skip building it per block.
    if "n_comparison_districts" in {f.name for f in fields(SynthConfig)}:
        knobs["n_comparison_districts"] = 0
    return SynthConfig().with_(**knobs)


def _pooled_grid_events(district_seed: int, config: SynthConfig, tables: Mapping[str, pd.DataFrame], seed: int,
                        block: int, replicates: int) -> pd.DataFrame:
    """The district's events plus ``replicates - 1`` further draws of the same model, renumbered by report time."""
    parts = [tables["grid_events"]]
    if replicates > 1:
        # The same geography, population and roll-out as generate_district drew for this seed (same streams).
        rngs = dict(zip(_STREAMS, np.random.SeedSequence(district_seed).spawn(len(_STREAMS))))
        geo = build_geography(np.random.default_rng(rngs["geography"]), config)
        pop = build_population(np.random.default_rng(rngs["population"]), config, geo)
        roll = build_rollout(np.random.default_rng(rngs["rollout"]), config, geo)
        if not (pop.population.equals(tables["population"]) and roll.table.equals(tables["programme_rollout"])):
            raise RuntimeError("the district generator's streams changed: update region._pooled_grid_events")
        for r in range(1, replicates):
            rng = np.random.default_rng(_block_seed(seed, block, r))
            parts.append(build_grid_events(rng, config, geo, pop, roll).table)
    ev = pd.concat(parts, ignore_index=True)
    # ISO timestamps sort as text; the stable sort keeps draw order on ties, so the numbering is deterministic.
    ev = ev.iloc[np.argsort(ev["reported_at"].to_numpy(dtype=object), kind="stable")].reset_index(drop=True)
    year = ev["reported_at"].str.slice(0, 4)
    seq = ev.groupby(year, sort=False).cumcount().to_numpy() + 1
    ev["event_id"] = [f"E{y}{s:07d}" for y, s in zip(year.to_numpy(dtype=object), seq)]
    return ev


def _truncate(tables: dict[str, pd.DataFrame], keep: int) -> dict[str, pd.DataFrame]:
    """Keep the block's first ``keep`` current communities (and the legacy ones they came from)."""
    lin = tables["community_lineage"]
    kept_children = {f"C{i + 1:02d}" for i in range(keep)}
    lin = lin[lin["to_id"].isin(kept_children)].copy()
    lin["pop_share"] = lin["pop_share"] / lin.groupby("from_id")["pop_share"].transform("sum")
    kept = kept_children | set(lin["from_id"])
    out = {}
    for name, df in tables.items():
        if name == "community_lineage":
            out[name] = lin.reset_index(drop=True)
        elif "community_id" in df.columns:
            out[name] = df[df["community_id"].isin(kept)].reset_index(drop=True)
        else:
            out[name] = df
    vols, acts, orgs = out["volunteers"], out["activities"], out["organisations"]
    vols = vols.assign(team_id=vols["team_id"].where(vols["team_id"].isin(set(orgs["org_id"]))))
    hours = out["service_hours"]
    hours = hours[hours["person_key"].isin(set(vols["person_key"]))]
    hours = hours.assign(activity_id=hours["activity_id"].where(hours["activity_id"].isin(set(acts["activity_id"]))))
    out["volunteers"], out["service_hours"] = vols, hours.reset_index(drop=True)
    return out


def _rename(tables: dict[str, pd.DataFrame], block: int, width: int) -> dict[str, pd.DataFrame]:
    """Move the block's ids into the region-wide namespace (see the module docstring)."""
    cmap = {f"L{i + 1:02d}": f"L{block * _LEGACY_PER_BLOCK + i + 1:0{width}d}" for i in range(_LEGACY_PER_BLOCK)}
    cmap |= {f"C{i + 1:02d}": f"C{block * BLOCK_SIZE + i + 1:0{width}d}" for i in range(BLOCK_SIZE)}
    smap = {f"S{i + 1:02d}": f"S{block * _STREETS_PER_BLOCK + i + 1:03d}" for i in range(_STREETS_PER_BLOCK)}
    tag = f"D{block + 1:03d}-"
    row, col = divmod(block, _CELLS_PER_ROW)
    out = {}
    for name, df in tables.items():
        df = df.copy()
        for c in _COMMUNITY_COLS.get(name, ()) + (("community_id",) if "community_id" in df.columns else ()):
            df[c] = df[c].map(cmap)
        for c in _EMBEDDED_COLS.get(name, ()):
            parts = df[c].str.partition("-")
            df[c] = parts[0].map(cmap) + parts[1] + parts[2]
        for c in _BLOCK_KEYS.get(name, ()):
            df[c] = tag + df[c]
        if name == "communities":
            df["street"] = df["street"].map(smap)
        if {"lat", "lon"} <= set(df.columns):
            df["lat"] = (df["lat"] + row * _CELL_LAT).round(6)
            df["lon"] = (df["lon"] + col * _CELL_LON).round(6)
        out[name] = df
    return out


def _block_counts(tables: Mapping[str, pd.DataFrame], report_year: int) -> dict[str, float]:
    """Headline figures of one block, with the numerators of its rates so that they can be summed."""
    h = headline_figures(dict(tables), report_year)
    n_w = h["organisation.community_workers.count"]
    counts = {k: v for k, v in h.items() if k not in _NOT_ADDITIVE}
    counts["organisation.workers_promoted.count"] = round(h["organisation.workers_promoted.rate"] * n_w)
    counts["organisation.workers_certified.count"] = round(h["organisation.workers_certified.rate"] * n_w)
    counts["grid.events_reported.count"] = float(
        tables["grid_events"]["reported_at"].str.startswith(str(report_year)).sum())
    return counts


def region_blocks(n_communities: int, seed: int = 20241231, *, events_replicates: int = 3,
                  survey_per_community: int = 72) -> Iterator[RegionBlock]:
    """Generate the region block by block (deterministic in the arguments).

    Parameters
    ----------
    n_communities : N, the number of current communities of the region (>= 1).
    seed : root seed; block ``b`` runs :func:`generate_district` with a seed drawn from ``SeedSequence((seed, b))``.
    events_replicates : independent draws of each block's grid events pooled into it (>= 1).
    survey_per_community : survey respondents per community and wave (``SynthConfig.n_per_community``).

    Yields
    ------
    RegionBlock
        Tables of one block with region-wide ids, in contract order, and its headline counts.
    """
    if n_communities < 1:
        raise ValueError("a region needs at least one community")
    if events_replicates < 1:
        raise ValueError("events_replicates must be >= 1")
    config = _district_config(survey_per_community)
    width = _width(n_communities)
    n_blocks = math.ceil(n_communities / BLOCK_SIZE)
    for b in range(n_blocks):
        keep = min(BLOCK_SIZE, n_communities - b * BLOCK_SIZE)
        district_seed = _int_seed(_block_seed(seed, b))
        district = generate_district(district_seed, config)
        tables = dict(district.tables)
        tables["grid_events"] = _pooled_grid_events(district_seed, config, tables, seed, b, events_replicates)
        if keep < BLOCK_SIZE:
            tables = _truncate(tables, keep)
        counts = _block_counts(tables, config.report_year)
        tables = _rename(tables, b, width)
        # TABLE_ORDER holds the community tables only; district-level tables (district_panel) are not stacked.
        yield RegionBlock(index=b, n_communities=keep, tables={k: tables[k] for k in TABLE_ORDER}, counts=counts)


def region_truth(counts: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    """Region headline figures from counts summed over blocks (rates rebuilt from their numerators)."""
    c = dict(counts)
    n_w = c["organisation.community_workers.count"]
    truth = {k: {"value": float(v)} for k, v in c.items()
             if k not in ("organisation.workers_promoted.count", "organisation.workers_certified.count")}
    truth["organisation.workers_promoted.rate"] = {"value": c["organisation.workers_promoted.count"] / n_w}
    truth["organisation.workers_certified.rate"] = {"value": c["organisation.workers_certified.count"] / n_w}
    prev = c["petitions.real_estate.count_prev"]
    if prev:
        truth["petitions.real_estate.yoy_change"] = {"value": c["petitions.real_estate.count"] / prev - 1}
    return truth


def region_tables(n_communities: int, seed: int = 20241231, **knobs: int) -> dict[str, pd.DataFrame]:
    """The whole region in memory (all blocks concatenated): for small N and for tests; large N use
    :func:`write_region`."""
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLE_ORDER}
    for block in region_blocks(n_communities, seed, **knobs):
        for name, df in block.tables.items():
            parts[name].append(df)
    return {name: pd.concat(dfs, ignore_index=True) for name, dfs in parts.items() if dfs}


def region_metadata(n_communities: int, seed: int, events_replicates: int = 3,
                    survey_per_community: int = 72) -> dict[str, Any]:
    """The fields of ``dataset.yaml`` that identify a region (a cached region is reused only if they match)."""
    config = _district_config(survey_per_community)
    return {
        "name": f"jinlin-synthetic-region-N{n_communities}",
        "synthetic": True,
        "notice": NOTICE,
        "scale": int(n_communities),
        "seed": int(seed),
        "generator": "evaluation.synthetic.region",
        "generator_version": f"{GENERATOR_VERSION}+region{REGION_VERSION}",
        "block_size": BLOCK_SIZE,
        "events_replicates": int(events_replicates),
        "survey_per_community": int(survey_per_community),
        "report_year": config.report_year,
        "data_cutoff": config.data_cutoff,
    }


def _arrow(df: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    t = pa.Table.from_pandas(df, preserve_index=False)
    if schema is None:
        return t
    return t.cast(schema)


def _fix_schema(t: pa.Table) -> pa.Schema:
    # A column that is empty in the first block would be typed null; every column that can be empty is text here.
    fields = [pa.field(f.name, pa.large_string()) if pa.types.is_null(f.type) else f for f in t.schema]
    return pa.schema(fields, metadata=t.schema.metadata)


_README = """# 合成数据 / SYNTHETIC DATA — not a real region

Everything in this folder is **synthetic**: a region of {n:,} communities generated by
`evaluation.synthetic.region.write_region` (seed {seed}) from {blocks} blocks of the synthetic district. It describes
no real community, person, organisation or event. One Parquet file per table of the data contract; `truth.json`
holds the report year's headline counts; `dataset.yaml` the knobs.

Regenerate with `jinlin generate DIR --scale {n} --seed {seed}`.
"""


def write_region(out_dir: str | Path, n_communities: int, seed: int = 20241231, *, events_replicates: int = 3,
                 survey_per_community: int = 72, blocks_per_row_group: int = 1,
                 compression: str = "zstd") -> RegionSummary:
    """Generate the region and write it to ``out_dir`` as Parquet, one row group per ``blocks_per_row_group`` blocks.

    Memory is bounded by ``blocks_per_row_group`` blocks whatever ``n_communities`` is. ``dataset.yaml`` is written
    last, so a folder without it is an interrupted run. Table files of the same names (any format) are replaced.

    Parameters
    ----------
    out_dir : target folder (created if needed).
    n_communities, seed, events_replicates, survey_per_community : see :func:`region_blocks`.
    blocks_per_row_group : blocks buffered per Parquet row group (>= 1).
    compression : Parquet codec.
    """
    if blocks_per_row_group < 1:
        raise ValueError("blocks_per_row_group must be >= 1")
    t0 = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for p in [out / "dataset.yaml", *(out / f"{n}.{s}" for n in TABLE_ORDER for s in ("csv", "xlsx", "parquet"))]:
        if p.exists():
            p.unlink()
    writers: dict[str, pq.ParquetWriter] = {}
    schemas: dict[str, pa.Schema] = {}
    rows = {name: 0 for name in TABLE_ORDER}
    buffer: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLE_ORDER}
    counts: dict[str, float] = {}

    def flush() -> None:
        for name in TABLE_ORDER:
            if not buffer[name]:
                continue
            df = pd.concat(buffer[name], ignore_index=True) if len(buffer[name]) > 1 else buffer[name][0]
            table = _arrow(df, schemas.get(name))
            if name not in writers:
                schemas[name] = _fix_schema(table)
                table = table.cast(schemas[name])
                writers[name] = pq.ParquetWriter(out / f"{name}.parquet", schemas[name], compression=compression)
            writers[name].write_table(table, row_group_size=max(len(df), 1))
            rows[name] += len(df)
            buffer[name] = []

    try:
        pending = 0
        for block in region_blocks(n_communities, seed, events_replicates=events_replicates,
                                   survey_per_community=survey_per_community):
            for name, df in block.tables.items():
                buffer[name].append(df)
            for k, v in block.counts.items():
                counts[k] = counts.get(k, 0.0) + v
            pending += 1
            del block
            if pending == blocks_per_row_group:
                flush()
                pending = 0
        flush()
    finally:
        for w in writers.values():
            w.close()

    truth = region_truth(counts)
    paths = [out / f"{name}.parquet" for name in TABLE_ORDER if name in writers]
    (out / "truth.json").write_text(truth_json(truth), encoding="utf-8")
    n_blocks = math.ceil(n_communities / BLOCK_SIZE)
    (out / "README.md").write_text(_README.format(n=n_communities, seed=seed, blocks=n_blocks), encoding="utf-8")
    meta = region_metadata(n_communities, seed, events_replicates, survey_per_community)
    rows = {n: r for n, r in rows.items() if n in writers}
    meta |= {"blocks": n_blocks, "rows": rows, "files": {n: f"{n}.parquet" for n in rows}}
    (out / "dataset.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), encoding="utf-8")
    paths += [out / "truth.json", out / "README.md", out / "dataset.yaml"]
    return RegionSummary(folder=out, n_communities=n_communities, rows=rows, truth=truth,
                         seconds=time.perf_counter() - t0, paths=tuple(paths))
