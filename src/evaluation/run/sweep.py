"""Robustness sweeps: run one parameter set under many specifications and draw the specification curve.

A sweep file (``params/robustness.yaml``) names a base parameter file and the variants to run::

    name: robustness            # optional; default: the file's name
    base: params/default.yaml   # relative to the project root (or to the sweep file)
    include_base: true          # run the base itself as variant "base" (default true)
    grid:                       # full cross product; a list of values, or {label: value} to name them
      language: [zh, en]
      communities: {all: null, without_C01: [C02, C03]}
    variants:                   # and/or explicit named variants
      - {name: cutoff_june, data_cutoff: "2024-06-30"}
    headline: ["impact.*.att"]  # keys to draw (glob patterns); default: every key with a confidence interval

Every variant's keys are validated through :class:`~evaluation.params.RunParams` (base file plus the variant's
values) before anything runs, so the schema follows RunParams as other work adds parameters; nothing here lists them.

Each variant is an independent :func:`~evaluation.run.runner.run` into ``reports/sweep-<name>/<variant>/``,
executed in parallel by a local process pool (``spawn`` start method: kernels, ZMQ and threads do not survive
``fork`` reliably, and it is what Windows does anyway) or, given a scheduler address, on a Dask distributed cluster
whose workers share this file system. A failed variant does not stop the others; it is reported in the result with its
error. The tidy result is written to ``sweep.csv`` (UTF-8 with BOM, so Excel and WPS open the Chinese labels), and a
specification curve (Simonsohn, Simmons & Nelson 2020, *Nature Human Behaviour* 4, 1208–1214) per headline key to
``spec_curve/<key>.png``.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import math
import re
import shutil
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..config import PROJECT_ROOT, REPORTS_DIR, bundled
from ..errors import InvalidValue, JinlinError, ParameterError, validation_message_zh
from ..params import load_params, load_yaml_strict, read_yaml_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SweepSpec", "Variant", "load_sweep", "expand_variants", "run_variant", "sweep", "sweep_summary",
           "specification_curve", "headline_keys", "SWEEP_COLUMNS", "BASE", "PARAM_PREFIX"]

BASE = "base"
PARAM_PREFIX = "param."
SWEEP_COLUMNS = ("variant", "key", "value", "ci_low", "ci_high", "status", "error")
_NAME = re.compile(r"^[\w.=+-]+$")


class SweepSpec(BaseModel):
    """The schema of a sweep file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(None, description="Sweep name; the output is reports/sweep-<name>/")
    base: str = Field(description="Base parameter file")
    include_base: bool = Field(True, description="Also run the base parameters, as variant 'base'")
    grid: dict[str, list[Any] | dict[str, Any]] = Field(default_factory=dict,
                                                        description="Parameters crossed in full")
    variants: list[dict[str, Any]] = Field(default_factory=list, description="Explicit named variants")
    headline: list[str] = Field(default_factory=list, description="Keys (glob patterns) to draw")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        if v is not None and not _NAME.match(v):
            raise InvalidValue("use letters, digits, '_', '-', '.' only", "名称只能由字母、数字和 _ - . 组成")
        return v

    @field_validator("grid")
    @classmethod
    def _grid(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key, values in v.items():
            if not values:
                raise InvalidValue(f"grid parameter {key!r} has no values", f"grid 中的参数 {key!r} 没有给出取值")
            if key == "name":
                raise InvalidValue("'name' names a variant; it cannot be a grid parameter",
                               "name 用于给设定命名，不能作为 grid 中的参数")
        return v

    @field_validator("variants")
    @classmethod
    def _variants(cls, v: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, item in enumerate(v, 1):
            name = item.get("name")
            if not isinstance(name, str) or not _NAME.match(name) or set(name) <= {"."}:
                raise InvalidValue(f"variant {i} needs a name of letters, digits, '_', '-', '.' (got {name!r})",
                               f"第 {i} 个设定需要由字母、数字和 _ - . 组成的名称（给出的是 {name!r}）")
        return v


@dataclass(frozen=True)
class Variant:
    """One specification: its name, the parameters it sets on top of the base, and a label per varied parameter."""

    name: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _label(value: Any) -> str:
    if value is None:
        return "default"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "-".join(_label(v) for v in value) or "none"
    return str(value)


def _slug(text: str) -> str:
    return re.sub(r"[^\w.=-]+", "-", text).strip("-") or "x"


def load_sweep(spec_path: str | Path) -> SweepSpec:
    """Read and validate a sweep file (strict YAML: dates and leading-zero numbers stay text)."""
    path = _spec_file(spec_path)
    if not path.is_file():
        raise ParameterError(f"sweep file {path} does not exist\nfix: give a file such as params/robustness.yaml",
                             f"稳健性检验文件 {path} 不存在\n修改：给出一个文件，例如 params/robustness.yaml")
    raw = load_yaml_strict(read_yaml_text(path), str(path)) or {}
    if not isinstance(raw, dict):
        raise ParameterError(f"{path}: must be a mapping with base:, grid: and/or variants:\n"
                             "fix: see the example at the top of params/robustness.yaml",
                             f"{path}：应为含 base:、grid: 和/或 variants: 的映射\n"
                             "修改：参照 params/robustness.yaml 开头的示例")
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as e:
        lines = [f"{path}: invalid sweep file:"]
        lines_zh = [f"{path}：稳健性检验文件有误："]
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(file)"
            lines.append(f"  {where}: {err['msg']}")
            lines_zh.append(f"  {where if err['loc'] else '（文件）'}：{validation_message_zh(err)}")
        lines.append("fix: see the example at the top of params/robustness.yaml")
        lines_zh.append("修改：参照 params/robustness.yaml 开头的示例")
        raise ParameterError("\n".join(lines), "\n".join(lines_zh)) from None
    if spec.name is None:
        spec = spec.model_copy(update={"name": _slug(path.stem)})
    return spec


def _spec_file(spec_path: str | Path) -> Path:
    """The sweep file; ``params/robustness.yaml`` outside a checkout is the package's copy."""
    path = Path(spec_path)
    return path if path.exists() else bundled(path) or path


def _base_path(spec: SweepSpec, spec_path: Path) -> Path:
    p = Path(spec.base).expanduser()
    if p.is_absolute():
        return p
    for root in (PROJECT_ROOT, spec_path.resolve().parent):
        if (root / p).is_file():
            return (root / p).resolve()
    if bundled(p) is not None:  # base: params/default.yaml outside a checkout
        return bundled(p)
    raise ParameterError(f"{spec_path}: base parameter file {spec.base} not found (looked in {PROJECT_ROOT} and "
                         f"{spec_path.parent})\nfix: give a path relative to the project root, e.g. "
                         "params/default.yaml",
                         f"{spec_path}：找不到基准参数文件 {spec.base}（已在 {PROJECT_ROOT} 和 {spec_path.parent} 中查找）\n"
                         "修改：给出相对于项目根目录的路径，例如 params/default.yaml")


def expand_variants(spec: SweepSpec, spec_path: str | Path) -> tuple[Path, list[Variant]]:
    """The base parameter file and every variant, each validated through RunParams (all errors at once).

    Grid variants are named ``key=label`` joined by ``+`` in grid order; each variant's ``labels`` give the value
    of every parameter the sweep varies (the base value where the variant leaves it), as drawn by
    :func:`specification_curve`.
    """
    spec_path = _spec_file(spec_path)
    base = _base_path(spec, spec_path)
    base_params, _ = load_params(base)
    base_values = base_params.model_dump()

    known: dict[tuple[str, str], str] = {}  # (parameter, canonical value) -> label, so one setting has one label
    grid_items: list[list[tuple[str, str, Any]]] = []
    for key, values in spec.grid.items():
        pairs = list(values.items()) if isinstance(values, dict) else [(_label(v), v) for v in values]
        for label, value in pairs:
            known.setdefault((key, _canon(value)), str(label))
        grid_items.append([(key, str(label), value) for label, value in pairs])

    raw: list[tuple[str, dict[str, Any]]] = []
    if spec.include_base:
        raw.append((BASE, {}))
    if grid_items:
        for combo in itertools.product(*grid_items):
            raw.append(("+".join(_slug(f"{k}={lab}") for k, lab, _ in combo), {k: v for k, _, v in combo}))
    for item in spec.variants:
        raw.append((item["name"], {k: v for k, v in item.items() if k != "name"}))

    names = [n for n, _ in raw]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ParameterError(f"{spec_path}: variant names must be unique; repeated: {', '.join(dupes)}\n"
                             "fix: rename the explicit variants (or set include_base: false)",
                             f"{spec_path}：设定名称不能重复；重复的有：{'、'.join(dupes)}\n"
                             "修改：给 variants: 中的设定改名（或设 include_base: false）")
    varied = list(dict.fromkeys(k for _, o in raw for k in o))
    errors, errors_zh, variants = [], [], []
    for name, overrides in raw:
        try:
            params, _ = load_params(base, overrides)
        except ParameterError as e:
            errors.append(f"variant {name}: {e}")
            errors_zh.append(f"设定 {name}：{e.text('zh')}")
            continue
        values = params.model_dump()
        labels = {}
        for k in varied:
            v = values.get(k, base_values.get(k))
            labels[k] = known.setdefault((k, _canon(v)), _label(v))
        variants.append(Variant(name, overrides, labels))
    if errors:
        raise ParameterError("\n".join(errors) + "\nNothing was run.", "\n".join(errors_zh) + "\n未运行任何设定。")
    if not variants:
        raise ParameterError(f"{spec_path}: no variants\nfix: add grid: or variants:, or set include_base: true",
                             f"{spec_path}：没有任何设定\n修改：添加 grid: 或 variants:，或设 include_base: true")
    return base, variants


def run_variant(base: str, overrides: Mapping[str, Any], out_root: str, name: str) -> dict[str, Any]:
    """Run one variant (the unit of work sent to a process or a Dask worker); never raises for a failed run."""
    from .runner import run

    t0 = time.perf_counter()
    try:
        result = run(base, dict(overrides), out_root=Path(out_root), name=name)
    except Exception as e:  # noqa: BLE001 - one variant's failure must not stop the sweep
        # A user-fixable error carries its own explanation; anything else is a bug and needs its traceback.
        detail = str(e) if isinstance(e, JinlinError) else traceback.format_exc(limit=5)
        return {"variant": name, "status": "failed", "results": {}, "error": f"{type(e).__name__}: {detail}",
                "seconds": round(time.perf_counter() - t0, 3)}
    return {"variant": name, "status": "ok", "results": result.results, "error": None,
            "seconds": round(time.perf_counter() - t0, 3)}


def _execute(jobs: list[tuple[str, dict[str, Any], str, str]], workers: int, scheduler: str | None,
             progress: bool, lang: str = "en") -> dict[str, dict[str, Any]]:
    from .pool import run_pool

    # Look the unit of work up now, not at import, so a test can replace it with a cheap stand-in.
    unit = globals()["run_variant"]

    def died(name: str, e: BaseException) -> dict[str, Any]:
        return {"variant": name, "status": "failed", "results": {}, "error": f"{type(e).__name__}: {e}",
                "seconds": math.nan}

    def on_dask(collect) -> None:
        try:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed
        except ImportError:
            raise JinlinError("a Dask scheduler was given but dask.distributed is not installed\n"
                              "fix: pip install 'dask[distributed]', or leave out --scheduler",
                              zh="给出了 Dask 调度器，但没有安装 dask.distributed\n"
                              "修改：pip install 'dask[distributed]'，或不给 --scheduler") from None
        with Client(scheduler) as client:
            futures = {client.submit(unit, *job, pure=False, key=f"jinlin-sweep-{job[3]}-{time.time_ns()}"):
                       job[3] for job in jobs}
            for fut in dask_completed(futures):
                collect(futures[fut], fut.result)

    # A variant is a whole run with its own kernels: always in worker processes, even with one worker, so that a
    # crashing variant cannot take the sweep down.
    # the bar counts finished variants: it moves once per specification, named on the bar as it completes
    return run_pool(unit, jobs, lambda job: job[3], workers, died, desc=_text("sweep.bar", lang),
                    unit_name=_text("sweep.bar_unit", lang),
                    progress=progress, in_process_when_single=False, submit=on_dask if scheduler else None)


def _tidy(variants: list[Variant], outcomes: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    varied = list(dict.fromkeys(k for v in variants for k in v.labels))
    rows = []
    for v in variants:
        res = outcomes[v.name]
        params = {PARAM_PREFIX + k: v.labels[k] for k in varied}
        if res["status"] != "ok" or not res["results"]:
            rows.append({"variant": v.name, "key": None, "value": None, "ci_low": None, "ci_high": None,
                         "status": res["status"], "error": res["error"] or "no figures recorded", **params})
            continue
        for key in sorted(res["results"]):
            entry = res["results"][key]
            rows.append({"variant": v.name, "key": key, "value": entry.get("value"), "ci_low": entry.get("ci_low"),
                         "ci_high": entry.get("ci_high"), "status": "ok", "error": None, **params})
    df = pd.DataFrame(rows, columns=list(SWEEP_COLUMNS) + [PARAM_PREFIX + k for k in varied])
    df["value"] = df["value"].astype(object)
    for c in ("ci_low", "ci_high"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    for c in ["variant", "key", "status", "error"] + [PARAM_PREFIX + k for k in varied]:
        df[c] = df[c].astype("string")
    return df


def headline_keys(df: pd.DataFrame, patterns: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Keys to draw: those matching any glob pattern, or by default every key with a confidence interval."""
    ok = df[(df["status"] == "ok") & df["key"].notna()]
    keys = sorted(set(ok["key"]))
    if patterns:
        return [k for k in keys if any(fnmatch.fnmatchcase(k, p) for p in patterns)]
    with_ci = ok[ok["ci_low"].notna() & ok["ci_high"].notna()]
    return sorted(set(with_ci["key"]))


def sweep(spec_path: str | Path, workers: int = 2, scheduler: str | None = None, out_root: str | Path | None = None,
          progress: bool = True) -> pd.DataFrame:
    """Run every variant of a sweep file in parallel and collect their figures in one tidy table.

    Parameters
    ----------
    spec_path
        The sweep file (see the module docstring).
    workers
        Processes of the local pool (ignored with ``scheduler``).
    scheduler
        Address of a Dask distributed scheduler (``tcp://host:8786``); its workers must see this file system.
    out_root
        Where ``sweep-<name>/`` is written; default ``reports/``.
    progress
        Show a tqdm progress bar on stderr.

    Returns
    -------
    DataFrame
        ``variant, key, value, ci_low, ci_high, status, error`` plus one ``param.<name>`` column per varied
        parameter (the label of the value each variant used). A failed variant has one row, ``status == "failed"``,
        with its error. Also written to ``sweep-<name>/sweep.csv``; spec curves go to ``sweep-<name>/spec_curve/``.
    """
    spec_path = _spec_file(spec_path)
    spec = load_sweep(spec_path)
    base, variants = expand_variants(spec, spec_path)
    folder = (Path(out_root) if out_root is not None else REPORTS_DIR).resolve() / f"sweep-{spec.name}"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(spec_path, folder / "spec.yaml")
    jobs = [(str(base), dict(v.overrides), str(folder), v.name) for v in variants]
    # the run's language is the base parameters' (a sweep over language: keeps its base's for the curves)
    lang = load_params(base)[0].language
    outcomes = _execute(jobs, workers, scheduler, progress, lang)
    df = _tidy(variants, outcomes)
    df.to_csv(folder / "sweep.csv", index=False, encoding="utf-8-sig")
    curves = folder / "spec_curve"
    shutil.rmtree(curves, ignore_errors=True)
    for key in headline_keys(df, spec.headline):
        fig = specification_curve(df, key, lang=lang)
        curves.mkdir(exist_ok=True)
        fig.savefig(curves / f"{key}.png", bbox_inches="tight")
    df.attrs["folder"] = str(folder)
    df.attrs["language"] = lang
    return df


def _text(key: str, lang: str, **fmt: object) -> str:
    """A catalogue text for the terminal or a chart: formatted as it is, without t()'s Markdown escaping (a variant
    name such as min_cell_10 would print as min\\_cell\\_10)."""
    from ..text.i18n import plain

    return plain(key, lang, **fmt)


def sweep_summary(df: pd.DataFrame, lang: str | None = None) -> str:
    """A few lines for the terminal: how many variants ran, and each failure with its error; in ``lang``, by
    default the sweep's (its base parameters' language)."""
    lang = lang or df.attrs.get("language", "en")
    status = df.drop_duplicates("variant")[["variant", "status", "error"]]
    failed = status[status["status"] != "ok"]
    lines = [_text("sweep.ran", lang, ok=len(status) - len(failed), n=len(status))
             + (_text("sweep.results_in", lang, folder=df.attrs["folder"]) if df.attrs.get("folder") else "")]
    for r in failed.itertuples(index=False):
        first = str(r.error).strip().splitlines()
        lines.append(_text("sweep.failed", lang, variant=r.variant) + "\n    ".join(first[:12]))
    return "\n".join(lines)


def specification_curve(df: pd.DataFrame, key: str, base: str = BASE, lang: str = "en") -> Figure:
    """Specification curve of one key: estimates sorted with their CIs, and the specification of each below.

    The upper panel shows each variant's estimate (sorted) with its confidence interval where recorded; the base
    variant is drawn in red. The lower panel has one row per value of each varied parameter (``param.*`` columns)
    and a mark under each variant that used it — the layout of Simonsohn, Simmons & Nelson (2020). ``lang`` names
    the axes, the parameters and the figure (by :func:`evaluation.text.i18n.result_label`) in that language.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from ..text.i18n import CATALOGUE, result_label
    from ..report.style import use_style

    use_style()
    d = df[(df["key"] == key) & (df["status"] == "ok")].copy()
    d["estimate"] = pd.to_numeric(d["value"], errors="coerce")
    d = d[d["estimate"].notna()]
    if d.empty:
        raise ValueError(f"no numeric estimate for {key!r} in any variant that ran")
    d = d.sort_values(["estimate", "variant"], kind="stable").reset_index(drop=True)
    x = list(range(len(d)))
    params = [c for c in df.columns if c.startswith(PARAM_PREFIX)]
    rows = [(c, lab) for c in params for lab in sorted(set(d[c].dropna()))]

    fig = Figure(figsize=(max(6.0, 0.35 * len(d) + 3.0), 3.6 + 0.28 * len(rows)))
    if rows:
        top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.2, max(0.28 * len(rows), 0.6)],
                                                                   "hspace": 0.05})
    else:
        top, bottom = fig.subplots(1, 1), None
    is_base = (d["variant"] == base).to_numpy()
    colours = ["#b22222" if b else "#333333" for b in is_base]
    has_ci = d["ci_low"].notna() & d["ci_high"].notna()
    for i, r in d[has_ci].iterrows():
        top.vlines(i, r["ci_low"], r["ci_high"], color=colours[i], alpha=0.5, linewidth=2)
    top.scatter(x, d["estimate"], c=colours, s=22, zorder=3)
    lo = float(d.loc[has_ci, "ci_low"].min()) if has_ci.any() else float(d["estimate"].min())
    hi = float(d.loc[has_ci, "ci_high"].max()) if has_ci.any() else float(d["estimate"].max())
    if lo <= 0 <= hi:  # a zero line only where it is in range; for counts it would squash the curve
        top.axhline(0, color="#777777", linewidth=0.8, linestyle="--")
    top.set_title(result_label(key, lang))
    top.set_ylabel(_text("sweep.estimate", lang))
    if bottom is None:
        top.set_xticks(x, d["variant"], rotation=90)
        return fig
    top.tick_params(axis="x", bottom=False)
    for j, (col, lab) in enumerate(rows):
        used = (d[col] == lab).fillna(False).to_numpy()
        xs = [i for i in x if used[i]]
        bottom.scatter(xs, [j] * len(xs), marker="|", s=90, c=[colours[i] for i in xs], linewidths=2)
    def name(col: str) -> str:
        entry = f"sweep.param.{col[len(PARAM_PREFIX):]}"
        return _text(entry, lang) if entry in CATALOGUE else col[len(PARAM_PREFIX):]

    bottom.set_yticks(range(len(rows)), [f"{name(c)} = {lab}" for c, lab in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.grid(False)
    bottom.set_xlabel(_text("sweep.specs_sorted", lang))
    if len(d) <= 40:
        bottom.set_xticks(x, d["variant"], rotation=90, fontsize=7)
    else:
        bottom.set_xticks([])
    return fig
