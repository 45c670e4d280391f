"""Scale benchmark: a synthetic region of N communities (default 2,000: about 10M grid events, 1M respondents).

Rows (each measured in a fresh Python process, so that ``peak_mb`` is that process's own peak resident set,
``getrusage(RUSAGE_SELF).ru_maxrss``, interpreter and imports included; seconds are wall time inside the process,
imports excluded):

1. generating the region (``evaluation.synthetic.region.write_region``; cached, see below);
2. the service-outcome indicators of grid events for the report year through the package's public API
   (``evaluation.data.load_district`` of the tables they read + ``evaluation.indicators.grid_indicators``), against a
   hand-written DuckDB SQL baseline that computes the same figures straight from the Parquet files. Before timings
   are reported, every figure the baseline computes is compared with the package's (relative 1e-9): for the region
   and every community, events reported and closed (count, per 10,000 residents), closure and on-time rates,
   repeat-event share, Kaplan–Meier median time to close, callback shares and satisfaction rate; by category where
   the package breaks them down. The baseline computes point values only. Three package runs:

   a. ``interval="iid"``, validating the events file while loading: the figures the baseline computes, each with the
      closed-form interval the package always gives with it (Wilson, Garwood, Greenwood; one vectorised call per
      figure), which the baseline does not compute. This is the like-for-like row.
   b. the same with the file's clean verdict remembered from run a (evaluation.data.stream), as on every run after
      ``jinlin validate``.
   c. the default call (``interval="cluster"``), validating while loading: the district rows' intervals take the
      communities as clusters, among them a community-cluster bootstrap (1,000 resamples) of the time-to-close
      quartiles of the district and of each category. The baseline computes no interval, so this row's ratio is
      the price of those intervals on top of row a, not a like-for-like comparison;
3. validating the region (``evaluation.data.read_district``, what ``jinlin validate`` runs), against reading every
   Parquet file with pyarrow (the floor of any validation).

The KM median in SQL: per group, distinct times with their events and censorings, risk sets by a reverse running
sum, S(t) by a running product of (1 − d/n) over event times, and the quantile read off the CDF 1 − S by R's rule
(``survival:::findq``: the first event time where the CDF reaches 0.5 within √ε, the midpoint of a flat exactly at
0.5), the rule :func:`evaluation.indicators.survival.km_quantiles` follows.

The region is generated once into ``benchmarks/.cache/region_N<N>/`` and reused while its ``dataset.yaml`` matches
(scale, seed, generator version, knobs); the generation row then repeats the stored timing. Environment:
``JINLIN_BENCH_SCALE`` (N, default 2000), ``JINLIN_BENCH_TIMEOUT`` (seconds per measured process, default 3600),
``JINLIN_BENCH_MEM_GB`` (address-space limit of each measured process, default 16, so that a path that does not fit
fails alone instead of starving the machine).
"""

from __future__ import annotations

import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20241231
REPORT_YEAR = 2024
RTOL = 1e-9
INTERVAL_ENV = "JINLIN_BENCH_INTERVAL"  # the package run's grid_indicators(interval=...)

__all__ = ["run", "sql_figures", "package_figures", "compare_figures", "ensure_region"]


# ----------------------------------------------------------------------------------------------------------------------
# the two ways of computing the figures (each returns {(indicator, community_id, group): value})

# What grid_indicators reads (the loader adds the community register): the package loads only these, as the
# baseline reads only them.
GRID_TABLES = ("grid_events", "population", "community_lineage")


def package_figures(folder: str | Path, report_year: int = REPORT_YEAR,
                    interval: str = "cluster") -> dict[tuple[str, str, str], float]:
    """The grid figures through the package's public API, as a notebook gets them (loading validates the tables);
    ``interval`` as :func:`evaluation.indicators.grid_indicators` ("cluster", its default, or "iid")."""
    from evaluation.data import load_district
    from evaluation.indicators import grid_indicators

    district = load_district(folder, tables=GRID_TABLES)
    res = grid_indicators(dict(district.tables), report_year, interval=interval)
    return {(r.indicator, r.community_id, r.group): float(r.value) for r in res.itertuples(index=False)}


_SQL = r"""
CREATE TEMP TABLE ev AS
SELECT community_id, category, grid_id, status, callback,
       CAST(reported_at AS TIMESTAMP) AS rep, CAST(deadline_at AS TIMESTAMP) AS due,
       CAST(closed_at AS TIMESTAMP) AS closed,
       (status = 'closed' AND closed_at IS NOT NULL AND CAST(closed_at AS TIMESTAMP) <= $cutoff) AS closed_by
FROM read_parquet($events)
-- Only events that can enter a figure of the year: reported, due or closed in it, or closed in the 30 days before
-- it (the earlier event of a repeat). ISO timestamps compare as text, so the filter runs before any parsing.
WHERE reported_at >= $year_start OR deadline_at >= $year_start OR closed_at >= $repeat_start;

CREATE TEMP TABLE pop AS
SELECT community_id, SUM(resident_pop)::DOUBLE AS pop FROM read_parquet($population)
WHERE year = $year GROUP BY community_id;
"""

# Figures over grouping sets; cid/grp NULL = all communities / all categories.
_SHARES = r"""
WITH reported AS (SELECT * FROM ev WHERE year(rep) = $year)
SELECT 'grid.events_reported.count' AS indicator, community_id AS cid, category AS grp, COUNT(*)::DOUBLE AS v
FROM reported GROUP BY GROUPING SETS ((community_id, category), (community_id), (category), ())
UNION ALL
SELECT 'grid.closure_rate.share', community_id, category, AVG(closed_by::INT)::DOUBLE
FROM reported GROUP BY GROUPING SETS ((community_id), (category), ())
UNION ALL
SELECT 'grid.on_time_rate.share', community_id, category,
       AVG((closed_by AND closed <= due)::INT)::DOUBLE
FROM ev WHERE year(due) = $year GROUP BY GROUPING SETS ((community_id), (category), ())
UNION ALL
SELECT 'grid.events_closed.count', community_id, NULL, COUNT(*)::DOUBLE
FROM ev WHERE status = 'closed' AND year(closed) = $year GROUP BY GROUPING SETS ((community_id), ())
"""

_CALLBACK = r"""
WITH c AS (
  SELECT community_id,
         CASE WHEN callback IN ('satisfied', 'basically', 'dissatisfied', 'not_reached') THEN callback
              ELSE 'no_record' END AS cb
  FROM ev WHERE status = 'closed' AND year(closed) = $year)
SELECT community_id AS cid,
       AVG((cb = 'satisfied')::INT)::DOUBLE AS satisfied, AVG((cb = 'basically')::INT)::DOUBLE AS basically,
       AVG((cb = 'dissatisfied')::INT)::DOUBLE AS dissatisfied,
       AVG((cb = 'not_reached')::INT)::DOUBLE AS not_reached, AVG((cb = 'no_record')::INT)::DOUBLE AS no_record,
       (SUM((cb IN ('satisfied', 'basically'))::INT)
        / NULLIF(SUM((cb IN ('satisfied', 'basically', 'dissatisfied'))::INT), 0))::DOUBLE AS satisfaction_rate
FROM c GROUP BY GROUPING SETS ((community_id), ())
"""

# Repeat events: the last closing (by the cut-off) strictly before the report, same grid and category, by ASOF join.
_REPEAT = r"""
WITH closings AS (SELECT grid_id, category, closed FROM ev WHERE closed_by AND grid_id IS NOT NULL),
target AS (SELECT community_id, category, grid_id, rep FROM ev WHERE year(rep) = $year AND grid_id IS NOT NULL),
flagged AS (
  SELECT t.community_id, t.category,
         (c.closed IS NOT NULL AND t.rep - c.closed <= INTERVAL 30 DAY)::INT AS rpt
  FROM target t ASOF LEFT JOIN closings c
    ON t.grid_id = c.grid_id AND t.category = c.category AND t.rep > c.closed)
SELECT 'grid.repeat_events.share' AS indicator, community_id AS cid, category AS grp, AVG(rpt)::DOUBLE AS v
FROM flagged GROUP BY GROUPING SETS ((community_id), (category), ())
"""

# Kaplan–Meier median time to close, per group (see the module docstring for the quantile rule).
_KM = r"""
WITH d AS (
  SELECT community_id, category, closed_by::INT AS e,
         (epoch(CASE WHEN closed_by THEN closed ELSE $cutoff END) - epoch(rep)) / 3600.0 AS h
  FROM ev WHERE year(rep) = $year AND rep <= $cutoff),
g AS (
  SELECT 'district' AS cid, '' AS grp, h, e FROM d
  UNION ALL SELECT community_id, '', h, e FROM d
  UNION ALL SELECT 'district', category, h, e FROM d),
t AS (SELECT cid, grp, h, SUM(e) AS dd, COUNT(*) AS c FROM g GROUP BY cid, grp, h),
r AS (SELECT cid, grp, h, dd,
             SUM(c) OVER (PARTITION BY cid, grp ORDER BY h DESC ROWS UNBOUNDED PRECEDING) AS n FROM t),
k AS (SELECT cid, grp, h,
             1 - PRODUCT(1 - dd / n) OVER (PARTITION BY cid, grp ORDER BY h ROWS UNBOUNDED PRECEDING) AS cdf
      FROM r WHERE dd > 0),
q AS (SELECT cid, grp, MIN(h) FILTER (WHERE cdf + $tol >= 0.5) AS x1,
             MIN(h) FILTER (WHERE cdf - $tol >= 0.5) AS x2, arg_max(cdf, h) AS y_last FROM k GROUP BY cid, grp),
xm AS (SELECT cid, grp, MAX(h) AS xmax FROM g GROUP BY cid, grp)
SELECT 'grid.time_to_close.median_hours' AS indicator, q.cid, q.grp,
       CASE WHEN x1 IS NULL THEN NULL
            WHEN abs(0.5 - y_last) < $tol THEN (x1 + xmax) / 2
            WHEN x2 IS NULL THEN NULL
            ELSE (x1 + x2) / 2 END AS v
FROM q JOIN xm USING (cid, grp)
"""


def sql_figures(folder: str | Path, report_year: int = REPORT_YEAR) -> dict[tuple[str, str, str], float]:
    """The same grid figures in DuckDB SQL straight from the Parquet files (the baseline)."""
    import duckdb

    folder = Path(folder)
    con = duckdb.connect()
    cutoff = f"{report_year}-12-31 23:59:59"
    params = {"events": str(folder / "grid_events.parquet"), "population": str(folder / "population.parquet"),
              "year": report_year, "cutoff": cutoff, "year_start": f"{report_year}-01-01",
              "repeat_start": f"{report_year - 1}-12-01"}

    def run(sql: str, extra: dict | None = None):
        p = {**params, **(extra or {})}
        used = {k: v for k, v in p.items() if re.search(rf"\${k}\b", sql)}
        # the cut-off is a timestamp; DuckDB infers a parameter's type from its Python value
        if "cutoff" in used:
            import datetime as dt
            used["cutoff"] = dt.datetime.fromisoformat(cutoff)
        return con.execute(sql, used)

    for stmt in _SQL.split(";"):
        if stmt.strip():
            run(stmt)
    out: dict[tuple[str, str, str], float] = {}

    def put(ind, cid, grp, v):
        out[(ind, "district" if cid is None else str(cid), "" if grp is None else str(grp))] = (
            math.nan if v is None else float(v))

    for ind, cid, grp, v in run(_SHARES).fetchall():
        put(ind, cid, grp, v)
    for ind, cid, grp, v in run(_REPEAT).fetchall():
        put(ind, cid, grp, v)
    for ind, cid, grp, v in run(_KM, {"tol": math.sqrt(2.220446049250313e-16)}).fetchall():
        put(ind, cid, grp, v)
    cur = run(_CALLBACK)
    names = [c[0] for c in cur.description]
    for row in cur.fetchall():
        cid = row[0]
        for name, v in zip(names[1:], row[1:]):
            key = "grid.callback.satisfaction_rate" if name == "satisfaction_rate" else f"grid.callback.{name}.share"
            put(key, cid, None, v)
    pops = dict(run("SELECT community_id, pop FROM pop").fetchall())
    total = sum(pops.values())
    for (ind, cid, grp), v in list(out.items()):
        if ind.endswith(".count"):
            p = total if cid == "district" else pops.get(cid)
            if p:
                out[(ind.replace(".count", ".per_10k"), cid, grp)] = v / p * 10000.0
    return out


def compare_figures(ours: dict, base: dict, rtol: float = RTOL) -> list[str]:
    """Every figure of the baseline must be in ours and agree; ours may hold more only as zero counts or rates
    of communities without such events (the package lists every community with a population)."""
    problems = []
    for key, v in base.items():
        if key not in ours:
            problems.append(f"{key}: baseline {v!r}, missing in the package's results")
            continue
        o = ours[key]
        if math.isnan(v) and math.isnan(o):
            continue
        if not math.isclose(o, v, rel_tol=rtol, abs_tol=0.0):
            problems.append(f"{key}: package {o!r} vs baseline {v!r}")
    counted = (".count", ".per_10k")
    for key, o in ours.items():
        if key not in base and key[0].endswith(counted) and key[0].startswith(("grid.events_reported",
                                                                               "grid.events_closed")) and o != 0:
            problems.append(f"{key}: package {o!r}, baseline has no such events")
    return problems


# ----------------------------------------------------------------------------------------------------------------------
# measured processes

def _child(mode: str, folder: str, out: str) -> None:
    """Entry point of a measured process: do one job, write seconds, peak and results to ``out`` (JSON)."""
    result: dict = {}
    if mode == "generate":
        from evaluation.synthetic.region import write_region

        t0 = time.perf_counter()
        s = write_region(folder, int(os.environ.get("JINLIN_BENCH_SCALE", "2000")), SEED)
        result = {"rows": s.rows}
    elif mode in ("package", "sql"):
        fn = package_figures if mode == "package" else sql_figures
        if mode == "package":
            import evaluation.data  # noqa: F401  (imports are not timed)
            import evaluation.indicators  # noqa: F401
        else:
            import duckdb  # noqa: F401
        t0 = time.perf_counter()
        figs = fn(folder) if mode == "sql" else fn(folder, interval=os.environ.get(INTERVAL_ENV, "cluster"))
        result = {"figures": [[*k, v] for k, v in figs.items()]}
    elif mode == "validate":
        from evaluation.data import read_district

        t0 = time.perf_counter()
        district, problems = read_district(folder)
        result = {"errors": sum(p.severity == "error" for p in problems), "ok": district is not None}
    elif mode == "read":
        import pyarrow.parquet as pq

        t0 = time.perf_counter()
        result = {"rows": sum(pq.read_table(p).num_rows for p in sorted(Path(folder).glob("*.parquet")))}
    else:
        raise SystemExit(f"unknown mode {mode}")
    result["seconds"] = time.perf_counter() - t0
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps(result), encoding="utf-8")


def _limit_memory() -> None:
    gb = float(os.environ.get("JINLIN_BENCH_MEM_GB", "16"))
    limit = int(gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _measure(mode: str, folder: Path, scale: int, **extra_env: str) -> dict:
    """Run one job in a fresh process (with ``extra_env`` set); on failure return ``{"error": ...}``."""
    out = CACHE / f"_{mode}_N{scale}.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "JINLIN_BENCH_SCALE": str(scale), **extra_env}
    try:
        done = subprocess.run([sys.executable, "-m", "benchmarks.bench_scale", mode, str(folder), str(out)],
                              cwd=ROOT, env=env, capture_output=True, text=True, preexec_fn=_limit_memory,
                              timeout=float(os.environ.get("JINLIN_BENCH_TIMEOUT", "3600")))
    except subprocess.TimeoutExpired as e:
        return {"error": f"timed out after {e.timeout:.0f} s"}
    if done.returncode != 0 or not out.exists():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {done.returncode}: {tail[:200]}"}
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return result


def ensure_region(scale: int) -> tuple[Path, dict]:
    """The cached region of ``scale`` communities (generated if missing or stale) and its generation stats."""
    import yaml

    from evaluation.synthetic.region import region_metadata

    folder = CACHE / f"region_N{scale}"
    stats_file = CACHE / f"region_N{scale}.generate.json"
    want = region_metadata(scale, SEED)
    meta_file = folder / "dataset.yaml"
    if meta_file.exists() and stats_file.exists():
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
        if all(meta.get(k) == v for k, v in want.items()):
            return folder, {**json.loads(stats_file.read_text(encoding="utf-8")), "cached": True}
    CACHE.mkdir(parents=True, exist_ok=True)
    stats = _measure("generate", folder, scale)
    if "error" in stats:
        raise RuntimeError(f"generating the region failed: {stats['error']}")
    stats_file.write_text(json.dumps(stats), encoding="utf-8")
    return folder, {**stats, "cached": False}


def _r(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(v, digits)


def run(scale: int | None = None) -> list[dict]:
    """Generate (or reuse) the region and time the three jobs of the module docstring."""
    scale = int(scale or os.environ.get("JINLIN_BENCH_SCALE", "2000"))
    folder, gen = ensure_region(scale)
    n_events, n_resp = gen["rows"]["grid_events"], gen["rows"]["survey_responses"]
    label = f"N={scale:,} ({n_events / 1e6:.1f}M events, {n_resp / 1e6:.2f}M respondents)"
    rows = [{"benchmark": f"generate region {label}", "ours_s": _r(gen["seconds"], 1),
             "baseline": "cached, timing of the run that wrote it" if gen["cached"] else None,
             "baseline_s": None, "ratio": None, "peak_mb": round(gen["peak_mb"])}]

    import tempfile

    import duckdb

    base = _measure("sql", folder, scale)
    if "error" in base:
        raise RuntimeError(f"the DuckDB baseline failed: {base['error']}")
    base_label = f"DuckDB {duckdb.__version__} SQL (peak {base['peak_mb']:.0f} MB)"
    to_dict = lambda figs: {(a, b, c): float("nan") if v is None else v for a, b, c, v in figs}  # noqa: E731
    # Cold: the events file is validated as it is loaded (the baseline checks nothing); each cold run starts from an
    # empty verdict folder. Warm: run a again, the file's clean verdict remembered (evaluation.data.stream), as on
    # every run after `jinlin validate`. See the module docstring for what each side computes.
    same = "interval='iid': the baseline's figures, each with its closed-form interval"
    runs = [("iid", "validated while loading", same, "a"),
            ("iid", "validated before (verdict cached)", same, "a"),
            ("cluster", "validated while loading", "interval='cluster' (default): also the district's cluster "
             "intervals, incl. a 1,000-resample bootstrap of its time-to-close quartiles; not in the baseline", "c")]
    with tempfile.TemporaryDirectory(prefix="jinlin-bench-verdicts-") as tmp:
        for interval, how, what, verdicts in runs:
            ours = _measure("package", folder, scale, JINLIN_VALIDATION_CACHE=str(Path(tmp) / verdicts),
                            **{INTERVAL_ENV: interval})
            row = {"benchmark": f"grid service indicators {REPORT_YEAR}, {label}, {how}; {what}",
                   "baseline": base_label, "baseline_s": _r(base["seconds"]), "ours_s": None, "ratio": None,
                   "peak_mb": None}
            if "error" in ours:
                row["baseline"] = f"{base_label}; package failed: {ours['error']}"
            else:
                problems = compare_figures(to_dict(ours["figures"]), to_dict(base["figures"]))
                if problems:
                    raise AssertionError(f"package and DuckDB baseline disagree on {len(problems)} figure(s): "
                                         + "; ".join(problems[:5]))
                row.update(ours_s=_r(ours["seconds"]), ratio=_r(ours["seconds"] / base["seconds"], 3),
                           peak_mb=round(ours["peak_mb"]))
                row["baseline"] = f"{base_label}, point values only; {len(base['figures']):,} figures equal to 1e-9"
            rows.append(row)

    floor = _measure("read", folder, scale)
    val = _measure("validate", folder, scale, JINLIN_VALIDATION_CACHE="off")
    vrow = {"benchmark": f"validate region {label}", "baseline": "pyarrow: read every Parquet file",
            "baseline_s": _r(floor.get("seconds")), "ours_s": None, "ratio": None, "peak_mb": None}
    if "error" in val:
        vrow["baseline"] += f"; validation failed: {val['error']}"
    elif val["errors"]:
        vrow["baseline"] += f"; validation reported {val['errors']} error(s)"
    else:
        vrow.update(ours_s=_r(val["seconds"]), peak_mb=round(val["peak_mb"]),
                    ratio=_r(val["seconds"] / floor["seconds"], 3) if floor.get("seconds") else None)
    rows.append(vrow)
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4:
        _child(*sys.argv[1:])
    else:
        for r in run():
            print(r)
