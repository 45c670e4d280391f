"""Community profiles: notebook ``60_community_profile`` for every current community, in parallel, published as one
HTML page per community and an index page in ``reports/profiles-<paramset>/`` (``jinlin profiles``).

The order of a run, as :func:`evaluation.run.runner.run` does it:

1. validate the parameters (:func:`~evaluation.params.load_params`), the district's data and the communities asked
   for, before any kernel starts;
2. take the lock on the output folder and work in a temporary (:func:`~evaluation.run.runner.working_folder`)
   folder beside it;
3. write a Parquet snapshot of the district's typed tables, once, into a private temporary folder outside
   ``reports/`` (``$TMPDIR/jinlin-snapshot-<pid>-…``, mode 700). Loading the CSV exports of the bundled district
   takes ~5–8 s, most of it parsing dates and numbers from text; the snapshot holds the tables already typed,
   validated and pseudonymised, so each notebook's ``load_district`` on it takes ~2 s. It holds only the contract
   columns a profile can use: no personal column and no free-text column (``comment``, ``description``), and no
   column outside the contract. It is a plain district folder (one file per contract table plus ``dataset.yaml``):
   the notebook needs nothing special to read it, and still runs on the original ``data_dir`` when started by hand.
   The snapshot is deleted at the end, whatever happens; one left by a killed run (its pid gone) is deleted by the
   next ``jinlin profiles``;
4. execute the notebook once per community through papermill's Python API (kernel ``python3``, explicit timeout) in
   a process pool (``concurrent.futures`` with the ``spawn`` start method: kernels, ZMQ sockets and threads do not
   survive ``fork`` reliably). A kernel that fails to start (parallel starts sometimes collide on a ZMQ port,
   "Address already in use") is retried once; an error inside the notebook is not retried. Each worker keeps one
   kernel alive for all the profiles it runs, reset before each (:func:`evaluation.run.kernel.warm_kernel`), instead of
   starting a kernel per community. Each worker renders its
   community's HTML (:func:`~evaluation.report.html.render_html`), so rendering runs in parallel too;
5. write ``index.html`` (self-contained: inline CSS, no scripts, a link to every profile under the community's name,
   and each failure with its error), ``results.json`` (every community's recorded figures) and ``manifest.json``;
6. scan every artefact for personal data (each worker scans its community's notebook and page, so the scan runs in
   parallel as well; a finding there fails that community and deletes its files; the rest is scanned at the end
   and a finding there publishes nothing), then swap the temporary folder in for the old one
   (:func:`~evaluation.run.runner.publish_folder`). One community's failure does not stop the others and does not
   stop publishing: it is listed in the result, on the index page and on the command line, and ``jinlin profiles``
   exits 1. An interruption or a scan finding keeps the old folder and leaves the work, masked
   (:func:`~evaluation.run.runner.quarantine`), in ``reports/profiles-<run>.failed/``.

``<run>`` is the parameter set's name, with the ``-p`` overrides appended when there are any
(:func:`evaluation.params.run_name`).
"""

from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import shutil
import tempfile
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import yaml

from ..config import KERNEL_CWD, NOTEBOOKS_DIR, REPORTS_DIR, resolve
from ..data.loader import METADATA_FILE, SNAPSHOT_DIGESTS_KEY, SOURCE_FILES_KEY, District, read_district
from ..data.readers import sha256_file
from ..errors import DataValidationError, JinlinError, ParameterError, RunFailed
from ..indicators.profile import current_communities
from ..params import PROFILE_NOTEBOOK, load_params, run_name
from ..report.html import render_html
from ..text.i18n import plain, t
from ..report.record import normalise_value, read_records
from .runner import (
    _alive,
    _discard,
    build_manifest,
    check_writable,
    mask_message,
    notebook_parameters,
    working_folder,
    publish_folder,
    quarantine,
)
from .kernel import close_warm_kernel, kernel_environment, warm_kernel

__all__ = ["ProfileOutcome", "ProfilesResult", "profiles", "run_profile", "write_snapshot", "index_html",
           "select_communities", "snapshot_columns", "make_snapshot_dir", "clean_stale_snapshots", "close_warm_kernel",
           "KERNEL",
           "SNAPSHOT_PREFIX"]

KERNEL = "python3"
SNAPSHOT_PREFIX = "jinlin-snapshot-"
_SNAPSHOT_NAME = re.compile(re.escape(SNAPSHOT_PREFIX) + r"(\d+)-")
_OK, _FAILED = "ok", "failed"


@dataclass(frozen=True)
class ProfileOutcome:
    """One community's run: ``status`` is ``"ok"`` or ``"failed"`` (then ``error`` says why)."""

    community_id: str
    name: str
    status: str
    seconds: float
    error: str | None = None
    results: Mapping[str, Any] = field(default_factory=dict)

    @property
    def html_file(self) -> str | None:
        """The profile page, relative to the output folder (None when the run failed)."""
        return f"{self.community_id}.html" if self.status == _OK else None

    @property
    def notebook_file(self) -> str:
        """The executed notebook (with the error marked when the run failed), relative to the output folder."""
        return f"{self.community_id}.ipynb"


@dataclass(frozen=True)
class ProfilesResult:
    """What :func:`profiles` published: the folder, one outcome per community (in id order) and the wall time."""

    out_dir: Path
    outcomes: tuple[ProfileOutcome, ...]
    seconds: float
    workers: int

    @property
    def failed(self) -> tuple[ProfileOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status != _OK)

    @property
    def ok(self) -> bool:
        return not self.failed


def select_communities(listing: Any, wanted: Sequence[str] | None) -> list[str]:
    """The current communities to profile, in id order: all of ``listing`` or those in ``wanted``.

    Raises :class:`ParameterError` naming every id that is not a current community.
    """
    known = list(listing["community_id"])
    if not wanted:
        return known
    wanted = [str(w).strip() for w in wanted if str(w).strip()]
    unknown = [w for w in wanted if w not in set(known)]
    if unknown:
        raise ParameterError(f"not current communities: {', '.join(unknown)}\n"
                             f"fix: choose from {', '.join(known)}",
                             f"不是现有社区：{'、'.join(unknown)}\n修改：从以下社区中选择：{'、'.join(known)}")
    return [c for c in known if c in set(wanted)]


def snapshot_columns(name: str, columns: Sequence[str]) -> list[str]:
    """The columns of table ``name`` a snapshot keeps: the contract's, except personal and free-text ones."""
    from ..data import contract

    try:
        spec = {c.name: c for c in contract.table(name).columns}
    except (KeyError, ValueError):
        return []
    return [c for c in columns if c in spec and not spec[c].personal and spec[c].kind != "text"]


def write_snapshot(district: District, folder: Path) -> Path:
    """Write the district's typed tables as Parquet plus its ``dataset.yaml`` into ``folder`` (a district folder).

    The tables are those :func:`~evaluation.data.load_district` returned (typed, validated, pseudonymised), with
    only :func:`snapshot_columns`, so loading the snapshot gives the same frames, minus what a profile must not see,
    without parsing text again.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as read_snapshot requires of a snapshot
    digests: dict[str, str] = {}
    for name, frame in district.tables.items():
        if isinstance(frame, pd.DataFrame):
            frame = frame[snapshot_columns(name, list(frame.columns))]
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        digests[name] = sha256_file(folder / f"{name}.parquet")
    meta = dict(district.metadata)
    meta["files"] = {name: f"{name}.parquet" for name in district.tables}
    meta.setdefault("name", district.label)  # else the label would become the snapshot folder's name
    meta["snapshot_of"] = str(district.folder)
    # the exports' provenance, which a district read back from the snapshot reports as its own (with_source_files)
    meta[SOURCE_FILES_KEY] = {name: dataclasses.asdict(f) for name, f in district.files.items()}
    # what was written from the validated frames, so that a kernel may read it back without checking it again
    meta[SNAPSHOT_DIGESTS_KEY] = digests
    (folder / METADATA_FILE).write_text(yaml.safe_dump(meta, allow_unicode=True, sort_keys=True), encoding="utf-8")
    return folder


def clean_stale_snapshots(root: Path | None = None) -> list[Path]:
    """Delete snapshot folders in ``root`` (default the system temporary folder) whose process is gone."""
    root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed: list[Path] = []
    for entry in root.glob(f"{SNAPSHOT_PREFIX}*"):
        m = _SNAPSHOT_NAME.match(entry.name)
        try:
            mine = entry.is_dir() and not entry.is_symlink() and entry.stat().st_uid == os.getuid()
        except OSError:
            continue
        if m and mine and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def make_snapshot_dir(root: Path | None = None) -> Path:
    """A new private folder (mode 700) for this process's snapshot, after removing stale ones."""
    clean_stale_snapshots(root)
    return Path(tempfile.mkdtemp(prefix=f"{SNAPSHOT_PREFIX}{os.getpid()}-", dir=root))


def run_profile(community_id: str, parameters: Mapping[str, Any], out_dir: str, title: str, language: str,
                execution_timeout: int = 600, known_values: frozenset[str] | None = None,
                notebook: str | None = None, docx: bool = False) -> dict[str, Any]:
    """Execute the profile notebook for one community, render its HTML page and scan both; never raises.

    This is the unit of work sent to a worker process. ``parameters`` are injected as they are (``community_id``
    is added). A kernel that fails to start is retried once; an error inside the notebook fails the community at
    once, and papermill leaves the executed notebook with the error marked in ``out_dir``. With ``known_values``
    (the personal values seen when the district was loaded) the notebook and the page are scanned for personal
    data here, so the scans run in parallel too; a finding fails the community and deletes both files.

    Returns
    -------
    dict
        ``community_id``, ``status`` (``ok`` | ``failed``), ``seconds``, ``error``, ``results`` (the figures the
        notebook recorded) and ``scanned`` (the files found clean, relative to ``out_dir``).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    src = Path(notebook) if notebook else NOTEBOOKS_DIR / f"{PROFILE_NOTEBOOK}.ipynb"
    cwd = src.parent if notebook else KERNEL_CWD  # see KERNEL_CWD: outside a checkout, the project root
    dst = Path(out_dir) / f"{community_id}.ipynb"
    t0 = time.perf_counter()

    def failed(error: str) -> dict[str, Any]:
        return {"community_id": community_id, "status": _FAILED, "seconds": round(time.perf_counter() - t0, 3),
                "error": error, "results": {}, "scanned": []}

    for attempt in (1, 2):
        try:
            km = warm_kernel(cwd)
            with kernel_environment():  # papermill starts the kernel when it is not warm yet
                pm.execute_notebook(str(src), str(dst), parameters={**parameters, "community_id": community_id},
                                    kernel_name=KERNEL, execution_timeout=execution_timeout, start_timeout=120,
                                    progress_bar=False, cwd=str(cwd), log_output=False, km=km)
            break
        except PapermillExecutionError as e:
            close_warm_kernel()  # only a kernel that ran its notebook to the end is reused
            return failed(f"cell {e.exec_count}: {e.ename}: {e.evalue}")
        except Exception as e:  # noqa: BLE001 - a kernel that did not start or died; papermill raises many types
            close_warm_kernel()  # a kernel that timed out may still be busy: the retry gets a fresh one
            if attempt == 2:
                return failed(f"the kernel failed twice to start or died: {type(e).__name__}: {e}")
    page = Path(out_dir) / f"{community_id}.html"
    word = Path(out_dir) / f"{community_id}.docx"
    try:
        nb = nbformat.read(dst, as_version=4)
        page.write_text(render_html([nb], title, language), encoding="utf-8")
        results = read_records([nb])
        if docx:  # the Word profile, laid out like the report (evaluation.report.docx)
            from ..report.docx import render_docx

            render_docx(page, word, language)
    except Exception:  # noqa: BLE001 - rendering a page must not take the other communities down
        return failed(traceback.format_exc(limit=3))
    scanned: list[str] = []
    if known_values is not None:
        from ..privacy import PersonalDataLeak, assert_clean

        files = [dst, page] + ([word] if docx else [])
        try:
            assert_clean(files, known_values=known_values)
        except PersonalDataLeak as e:
            for f in files:
                f.unlink(missing_ok=True)
            # place and kind only: an excerpt could show a neighbouring value the scanner did not recognise
            where = "\n".join(f"  {Path(r.file).name} | {r.location} | {r.kind}"
                              for r in e.findings.head(20).itertuples(index=False))
            return failed(f"personal data found in the outputs; they were deleted.\n{where}")
        scanned = [f.name for f in files]
    return {"community_id": community_id, "status": _OK, "seconds": round(time.perf_counter() - t0, 3),
            "error": None, "results": results, "scanned": scanned}


def _execute(jobs: list[tuple], workers: int, progress: bool) -> dict[str, dict[str, Any]]:
    """Run the jobs (one per community) in a spawn process pool, or in this process when ``workers`` is 1."""
    from .pool import run_pool

    def died(cid: str, e: BaseException) -> dict[str, Any]:
        return {"community_id": cid, "status": _FAILED, "seconds": float("nan"),
                "error": f"{type(e).__name__}: {e}", "results": {}, "scanned": []}

    # Looked up now, not at import, so a test can put a stand-in (a top-level function) in its place.
    return run_pool(globals()["run_profile"], jobs, lambda job: job[0], workers, died, desc="profiles",
                    unit_name="community", progress=progress)


_INDEX_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;max-width:900px;
margin:2em auto;padding:0 1.5em;color:#222;line-height:1.6}
h1{border-bottom:2px solid #b22;padding-bottom:.2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.95em;width:100%}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top} th{background:#f3f3f3}
td.failed{color:#b22;font-weight:bold} td.num{text-align:right} pre{white-space:pre-wrap;margin:0;font-size:.85em}
.notice{background:#fff4e5;border-left:4px solid #f90;padding:.5em 1em}
"""


def _key_figure(results: Mapping[str, Any], key: str) -> str:
    """A profile's key figure for the index: the recorded value (a share as a percent), "—" where withheld."""
    entry = results.get(f"profile.{key}") or {}
    v = entry.get("value") if isinstance(entry, Mapping) else None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v != v:
        return "—"
    return f"{v:.1%}" if key.endswith(".share") else f"{v:,.1f}"


def index_html(outcomes: Sequence[ProfileOutcome], language: str, paramset: str, report_year: int,
               notice: str | None = None, docx: bool = False) -> str:
    """The index page: every community with a link to its profile, and every failure with its error.

    Self-contained (inline CSS, no scripts, relative links), so the folder can be copied or zipped as it is.
    """
    lang = "zh" if language == "zh" else "en"  # nbconvert pitfall: zh-CN falls back to English
    n_failed = sum(o.status != _OK for o in outcomes)
    title = t("profile.index.title", language)
    keys = ("satisfaction_index.mean", "events_reported.per_10k", "on_time_rate.share", "volunteers_registered.per_100")
    rows = []
    for o in outcomes:
        label = html.escape(plain("profile.index.name", lang, name=o.name, id=o.community_id))
        if o.status == _OK:
            figures = "".join(f'<td class="num">{html.escape(_key_figure(o.results, k))}</td>' for k in keys)
            word = (f'<a href="{html.escape(o.community_id)}.docx">{html.escape(t("profile.index.docx", language))}'
                    "</a>" if docx else "")
            rows.append(f'<tr><td><a href="{html.escape(o.html_file)}">{label}</a></td>'
                        f'<td>{html.escape(t("profile.index.ok", language))}</td>{figures}<td>{word}</td></tr>')
        else:
            rows.append(f'<tr><td>{label}</td><td class="failed">{html.escape(t("profile.index.failed", language))}'
                        f'</td><td colspan="{len(keys) + 1}"><pre>{html.escape(o.error or "")}</pre>'
                        f'<a href="{html.escape(o.notebook_file)}">{html.escape(t("profile.index.notebook", language))}'
                        f"</a></td></tr>")
    intro = t("profile.index.intro", language, n=len(outcomes), ok=len(outcomes) - n_failed, failed=n_failed,
              paramset=paramset, year=report_year)
    notice_html = f'<p class="notice">{html.escape(notice)}</p>\n' if notice else ""
    head = (f'<tr><th>{html.escape(t("profile.index.community", language))}</th>'
            f'<th>{html.escape(t("profile.index.status", language))}</th>'
            + "".join(f'<th>{html.escape(t(f"profile.index.key.{k}", language))}</th>' for k in keys)
            + "<th></th></tr>")
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_INDEX_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{notice_html}<p>{html.escape(intro)}</p>\n"
            f"<table>\n{head}\n" + "\n".join(rows) + "\n</table>\n</body>\n</html>\n")


def _scan_files(folder: Path, skip: set[str], known_values: frozenset[str]) -> None:
    """Refuse to publish if a file of ``folder`` other than ``skip`` holds personal data (as the runner's scan)."""
    from .runner import _scan

    _scan(folder, known_values, skip)


def _plain_notice(district: District, language: str) -> str:
    key = "synthetic_notice" if district.synthetic else "real_notice"
    return t(key, language, label=district.label).replace("**", "")


def profiles(params_file: str | Path | None = None, overrides: Mapping[str, Any] | None = None, workers: int = 2,
             communities: Sequence[str] | None = None, out_root: str | Path | None = None, progress: bool = True,
             *, snapshot: bool = True, docx: bool = False) -> ProfilesResult:
    """Run the community profile notebook for every current community and publish ``reports/profiles-<paramset>/``.

    Parameters
    ----------
    params_file : str or Path, optional
        Parameter file (default ``params/default.yaml``); the folder is named after it.
    overrides : mapping, optional
        Parameters set on top of the file (``-p key=value``), validated with it.
    workers : int
        Worker processes (each runs one kernel at a time); 1 runs the communities one after another in this
        process.
    communities : sequence of str, optional
        Community ids to profile; default: the ``communities`` parameter, else every current community.
    out_root : str or Path, optional
        Folder of the published reports (default ``reports/``).
    progress : bool
        Show a tqdm progress bar on stderr.
    snapshot : bool
        Give the notebooks a Parquet snapshot of the typed tables instead of the original exports (faster; the
        same tables).
    docx : bool
        Also write each profile as Word (``<community_id>.docx``, the report's layout), linked from the index.

    Returns
    -------
    ProfilesResult
        Failed communities are in ``result.failed``; the folder is published all the same.
    """
    if workers < 1:
        raise ParameterError(f"workers must be at least 1 (got {workers})",
                             f"进程数 workers 至少为 1（给出的是 {workers}）")
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t_start = time.perf_counter()
    overrides = dict(overrides or {})
    params, paramset = load_params(params_file, overrides)
    out_root = Path(out_root) if out_root is not None else REPORTS_DIR
    check_writable(out_root)
    data_dir = resolve(params.data_dir)
    district, problems = read_district(data_dir)
    if district is None:
        raise DataValidationError(problems, str(data_dir))
    listing = current_communities(district["communities"])
    chosen = select_communities(listing, communities if communities is not None else params.communities)
    if not chosen:
        raise JinlinError(f"the district in {data_dir} lists no current community to profile",
                          zh=f"{data_dir} 中的数据没有列出任何可生成概况的现有社区")
    names = dict(zip(listing["community_id"], listing["name"]))
    src = NOTEBOOKS_DIR / f"{PROFILE_NOTEBOOK}.ipynb"
    declared = notebook_parameters(src)
    values = params.model_dump()
    name = f"profiles-{run_name(paramset, overrides)}"
    final, failed_dir = out_root / name, out_root / f"{name}.failed"
    known = district.personal_values
    with working_folder(out_root, name) as tmp:
        snap: Path | None = None
        try:
            if snapshot:
                snap = make_snapshot_dir()
                data = write_snapshot(district, snap)
            else:
                data = data_dir
            inject = {k: values[k] for k in declared if k in values and k != "community_id"}
            inject["data_dir"] = str(data)
            title = t("profile.index.title", params.language)
            jobs = [(cid, inject, str(tmp), f"{names[cid]} · {title}", params.language, params.execution_timeout,
                     known) + ((None, True) if docx else ()) for cid in chosen]
            try:
                done = _execute(jobs, workers, progress)
            finally:
                close_warm_kernel()  # the kernel this process kept when it ran the profiles itself
            if snap is not None:
                _discard(snap)
            outcomes = tuple(ProfileOutcome(cid, names[cid], done[cid]["status"], done[cid]["seconds"],
                                            done[cid]["error"] and mask_message(done[cid]["error"], known),
                                            done[cid]["results"]) for cid in chosen)
            (tmp / "index.html").write_text(index_html(outcomes, params.language, paramset, params.report_year,
                                                       _plain_notice(district, params.language), docx=docx),
                                            encoding="utf-8")
            body = {"communities": {o.community_id: {"status": o.status, "error": o.error,
                                                     "results": dict(sorted(o.results.items()))}
                                    for o in outcomes}}
            (tmp / "results.json").write_text(json.dumps(normalise_value(body), ensure_ascii=False, indent=2,
                                                         sort_keys=True) + "\n", encoding="utf-8")
            manifest = build_manifest(params, paramset, Path(params_file or "params/default.yaml"), district,
                                      {o.community_id: o.seconds for o in outcomes}, started,
                                      datetime.now(timezone.utc).isoformat(timespec="seconds"))
            manifest.update(notebook=PROFILE_NOTEBOOK, workers=workers, snapshot=snapshot, run=name,
                            overrides=json.loads(json.dumps(overrides, default=str)),
                            failed={o.community_id: o.error for o in outcomes if o.status != _OK},
                            command=f"jinlin profiles --params {manifest['params_file']} --workers {workers}"
                                    + "".join(f" -p {k}={v}" for k, v in sorted(overrides.items())))
            (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
                                               + "\n", encoding="utf-8")
            # the workers scanned their own notebook and page; the rest (index, results, failed notebooks) here
            clean = {f for res in done.values() for f in res.get("scanned", ())}
            _scan_files(tmp, clean, known)
        except BaseException as e:
            try:
                quarantine(tmp, failed_dir, known)
            except Exception:  # noqa: BLE001 - an unmasked folder must not stay; the run's own error is reported
                _discard(tmp)
                _discard(failed_dir)
            if isinstance(e, KeyboardInterrupt):
                raise RunFailed(f"the profiles run was interrupted; what had run is in {failed_dir}.",
                                f"社区概况运行被中断；已运行的部分在 {failed_dir}。") from None
            if isinstance(e, RunFailed):
                msg = mask_message(str(e).replace(str(tmp), str(failed_dir)), known)
                msg_zh = mask_message(e.text("zh").replace(str(tmp), str(failed_dir)), known)
                raise RunFailed(f"{msg}\nthe profiles are in {failed_dir}; {final} is unchanged.",
                                f"{msg_zh}\n社区概况在 {failed_dir}；{final} 未改动。") from None
            raise
        finally:
            if snap is not None:
                _discard(snap)
        publish_folder(tmp, final)
        _discard(failed_dir)
    return ProfilesResult(final, outcomes, round(time.perf_counter() - t_start, 3), workers)
