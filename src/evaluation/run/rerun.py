"""Re-run a past evaluation from its ``manifest.json``: same parameters (plus overrides), same data, or a refusal.

A reviewer who asks "what if the cut-off were June?" should get an answer that differs from the published report *only*
in what they changed. So :func:`rerun` first recomputes the sha256 of every data file the manifest lists (same folder,
same file names) and refuses, naming each file, if any of them changed, vanished or if a contract table appeared that
the original run did not read. ``accept_changed_data=True`` (CLI ``--accept-changed-data``) runs anyway and records the
differences. A different git commit or package versions do not stop the re-run (the point may be to test new code) but
are returned as notes, because they are a second reason for the figures to differ.

The runner takes a parameter *file*; the manifest holds the parameters as a mapping. The re-run therefore writes the
manifest's parameters to a temporary YAML file and passes the overrides separately, so they are validated by
:func:`evaluation.params.load_params` exactly like ``jinlin run -p``. After publishing, the new ``manifest.json`` gains
a ``rerun`` section (source manifest, overrides, data check, notes) and its ``command`` becomes the re-run command.

A manifest edited by hand is refused (:func:`verify_manifest`): the runner stores ``params_sha256``, a sha256
(base32) over the canonical JSON of the manifest's ``paramset``, ``params`` and ``data``, and a re-run recomputes
it. This is tamper
evidence, not authentication: it catches ``min_cell`` turned from 5 to 1 in an editor, not someone who recomputes
the hash. A ``paramset`` that is not a plain folder name (``../x``, ``a/b``) is refused as well.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..config import resolve
from ..data import contract
from ..data.readers import find_table_file, sha256_file
from ..errors import JinlinError, ParameterError
from ..text.i18n import plain
from .runfiles import read_run_file
from ..params import RunParams, check_run_name, load_params
from .runner import RunResult, manifest_checksum, run

__all__ = ["DataChange", "RerunResult", "rerun", "data_changes", "overrides_hash", "read_manifest",
           "verify_manifest"]

_PREFIX = 12  # hash characters shown to a person: enough to tell two files apart at a glance


@dataclass(frozen=True)
class DataChange:
    """One data file that is not as the manifest recorded it (``new_sha256`` is None when the file is gone)."""

    table: str
    file: str
    old_sha256: str | None
    new_sha256: str | None

    @property
    def kind(self) -> str:
        if self.new_sha256 is None:
            return "missing"
        if self.old_sha256 is None:
            return "added"
        return "changed"

    def describe(self, lang: str = "en") -> str:
        old = (self.old_sha256 or "")[:_PREFIX]
        new = (self.new_sha256 or "")[:_PREFIX]
        return plain(f"rerun.data.{self.kind}", "zh" if lang == "zh" else "en", file=self.file, table=self.table,
                     old=old, new=new)


@dataclass(frozen=True)
class RerunResult(RunResult):
    """A :class:`RunResult` plus what a reviewer must know to compare it with the original.

    ``notes`` holds human-readable warnings (code or package versions differ, data accepted although changed);
    ``data_changes`` the files that differed (empty unless ``accept_changed_data``).
    """

    source: Path = Path()
    overrides: Mapping[str, Any] = field(default_factory=dict)
    data_changes: tuple[DataChange, ...] = ()
    notes: tuple[str, ...] = ()


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read a run's ``manifest.json`` (or the manifest in a report folder), with a clear error if it is not one."""
    return read_run_file(path, "manifest.json",
                         lambda m: isinstance(m, dict) and {"params", "data", "paramset"} <= set(m),
                         "not a run manifest (no params/data/paramset)",
                         "不是运行清单（没有 params/data/paramset）")


def verify_manifest(manifest: Mapping[str, Any], path: str | Path) -> None:
    """Refuse a manifest whose parameters, parameter-set name or data list differ from what the run wrote."""
    paramset = manifest.get("paramset")
    if not isinstance(paramset, str):
        raise JinlinError(f"{path}: paramset must be a name, not {paramset!r}\nfix: give the manifest.json written by "
                          "jinlin run",
                          zh=f"{path}：paramset 应为名称，而不是 {paramset!r}\n修改：给出 jinlin run 写出的 manifest.json")
    check_run_name(paramset, f"{path}: paramset", f"{path}：paramset")
    if not isinstance(manifest.get("params"), dict) or not isinstance(manifest.get("data"), dict):
        raise JinlinError(f"{path}: params and data must be mappings\n"
                          "fix: give the manifest.json written by jinlin run",
                          zh=f"{path}：params 和 data 应为映射\n修改：给出 jinlin run 写出的 manifest.json")
    stored = manifest.get("params_sha256")
    if stored is None:
        raise JinlinError(f"{path} has no params_sha256, so a hand edit of its parameters could not be told apart "
                          "(it was written by an older jinlin, or the field was removed)\n"
                          "fix: run the parameter set again with jinlin run --params, then re-run from that manifest",
                          zh=f"{path} 没有 params_sha256，因此无法识别对其参数的手工改动（它由旧版 jinlin 写出，或该字段"
                          "被删除）\n修改：用 jinlin run --params 重新运行该参数集，再从新的运行清单重新运行")
    if stored != manifest_checksum(dict(manifest)):
        raise JinlinError(f"{path} was edited after the run: its paramset, params or data no longer match its "
                          "params_sha256\nfix: restore the manifest the run wrote, and give changed parameters "
                          "as -p key=value instead of editing the manifest",
                          zh=f"{path} 在运行后被改动过：其 paramset、params 或 data 与 params_sha256 不再相符\n"
                          "修改：还原运行写出的清单，要改的参数用 -p 键=值 给出，不要改清单")


def overrides_hash(overrides: Mapping[str, Any]) -> str:
    """A short, stable hash of the overrides (order-insensitive), used to name the re-run's folder."""
    text = json.dumps(dict(overrides), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def data_changes(manifest: Mapping[str, Any], folder: str | Path | None = None) -> tuple[DataChange, ...]:
    """Compare the data files a manifest lists with the files in ``folder`` (default: the manifest's folder).

    A file counts as changed when its sha256 differs, as missing when it is gone, and as added when a table of the
    data contract now has a file although the original run read none (it would change what the notebooks see).
    """
    folder = resolve(folder if folder is not None else manifest["data"]["folder"])
    listed: Mapping[str, Mapping[str, Any]] = manifest["data"].get("files", {})
    out: list[DataChange] = []
    for table, info in sorted(listed.items()):
        path = folder / info["file"]
        new = sha256_file(path) if path.is_file() else None
        if new != info.get("sha256"):
            out.append(DataChange(table, info["file"], info.get("sha256"), new))
    if folder.is_dir():
        for t in contract.TABLES:
            if t.name in listed:
                continue
            path, _ = find_table_file(folder, t.name)
            if path is not None:
                out.append(DataChange(t.name, path.name, None, sha256_file(path)))
    return tuple(out)


def _environment_notes(manifest: Mapping[str, Any]) -> list[str]:
    # The runner's own helpers, so "now" is measured exactly as the manifest measured "then".
    from .runner import git_commit, package_versions

    notes: list[str] = []
    old_git, new_git = manifest.get("git") or {}, git_commit()
    if old_git.get("commit") and new_git.get("commit") and old_git["commit"] != new_git["commit"]:
        notes.append(f"the code differs from the original run: git commit {old_git['commit'][:10]} → "
                     f"{new_git['commit'][:10]}; figures may change because of the code, not only the parameters")
    elif new_git.get("dirty") and not old_git.get("dirty"):
        notes.append("the working tree has uncommitted changes that the original run did not have")
    old_v, new_v = manifest.get("versions") or {}, package_versions()
    changed = [f"{k} {old_v[k]} → {new_v[k]}" for k in sorted(old_v) if k in new_v and old_v[k] != new_v[k]]
    if changed:
        notes.append("package versions differ from the original run: " + ", ".join(changed))
    return notes


def rerun(manifest_path: str | Path, overrides: Mapping[str, Any] | None = None, accept_changed_data: bool = False,
          out_root: str | Path | None = None, name: str | None = None,
          progress: Callable[[str], None] | None = None) -> RerunResult:
    """Re-execute a past run with its manifest's parameters plus ``overrides``.

    Parameters
    ----------
    manifest_path
        ``reports/<run>/manifest.json`` (or the report folder).
    overrides
        Parameters to change, as ``jinlin run -p`` would give them; validated by :class:`~evaluation.params.RunParams`.
    accept_changed_data
        Run even if the data files differ from the manifest's hashes (the differences are recorded).
    out_root
        Folder to publish into; default: the folder holding the original run (normally ``reports/``).
    name
        Report folder name; default ``<paramset>-rerun-<8-hex hash of the overrides>``.
    progress
        Callback for progress lines and notes (the CLI prints them to stderr).

    Returns
    -------
    RerunResult
        The runner's result plus the data changes accepted and notes on code or version differences.

    Raises
    ------
    JinlinError
        If the data changed (naming each file, old → new hash) and ``accept_changed_data`` is false.
    ParameterError
        If the parameters plus overrides are not valid.
    """
    manifest_path = Path(manifest_path)
    if manifest_path.is_dir():
        manifest_path = manifest_path / "manifest.json"
    manifest = read_manifest(manifest_path)
    verify_manifest(manifest, manifest_path)
    overrides = dict(overrides or {})
    name = check_run_name(name, "--name", "--name") if name else f"{manifest['paramset']}-rerun-{overrides_hash(overrides)}"
    out_root = Path(out_root) if out_root is not None else manifest_path.resolve().parent.parent
    own = {manifest["paramset"], Path(str(manifest.get("params_file") or "")).stem}
    if name in own or (out_root / name).resolve() == manifest_path.resolve().parent:
        raise JinlinError(f"the re-run would replace the run it re-runs ({manifest_path.parent}) or the report of its "
                          f"parameter set ({out_root / manifest['paramset']})\n"
                          "fix: give another --name, or leave it out",
                          zh=f"重新运行会覆盖它所重新运行的运行（{manifest_path.parent}）或其参数集的报告"
                          f"（{out_root / manifest['paramset']}）\n修改：换一个 --name，或不给 --name")

    # A parameter the code no longer has cannot be passed on; without this the re-run would be a dead end whose
    # "fix" (edit the manifest) is wrong. It is dropped and said so.
    base = {k: v for k, v in manifest["params"].items() if k in RunParams.model_fields}
    dropped = sorted(set(manifest["params"]) - set(base))
    with tempfile.TemporaryDirectory(prefix="jinlin-rerun-") as tmp:
        params_file = Path(tmp) / f"{manifest['paramset']}.yaml"
        header = f"# parameters of {manifest_path} (re-run); overrides are passed separately\n"
        params_file.write_text(header + yaml.safe_dump(base, allow_unicode=True, sort_keys=True), encoding="utf-8")
        # Validate before looking at the data, so a typo in -p is reported first and cheaply.
        try:
            params, _ = load_params(params_file, overrides)
        except ParameterError as e:  # name the source a person knows, not the temporary file
            raise ParameterError(str(e).replace(str(params_file), f"the parameters of {manifest_path} with the "
                                                                  "overrides"),
                                 e.text("zh").replace(str(params_file), f"{manifest_path} 的参数加上参数覆盖")) from None
        changes = data_changes(manifest, params.data_dir)
        notes = _environment_notes(manifest)
        if dropped:
            notes.append("parameters of the original run that this code no longer has were left out: "
                         + ", ".join(f"{k}={manifest['params'][k]!r}" for k in dropped))
        if params.data_dir != manifest["params"].get("data_dir"):
            notes.append(f"data_dir overridden: {manifest['params'].get('data_dir')} → {params.data_dir}; "
                         "its files were checked against the original run's hashes")
        if changes and not accept_changed_data:
            lines = "\n".join("  " + c.describe() for c in changes)
            lines_zh = "\n".join("  " + c.describe("zh") for c in changes)
            raise JinlinError(
                f"the data in {resolve(params.data_dir)} are not the data of the run {manifest_path}:\n{lines}\n"
                "fix: restore the original files to reproduce the run, or pass --accept-changed-data to run on the "
                "current data",
                zh=f"{resolve(params.data_dir)} 中的数据不是运行 {manifest_path} 所用的数据：\n{lines_zh}\n"
                "修改：还原原来的文件以重现该运行，或加上 --accept-changed-data 在当前数据上运行")
        if changes:
            notes.append("ran on changed data: " + "; ".join(c.describe() for c in changes))
        if progress:
            for n in notes:
                progress(f"note: {n}")
        result = run(params_file, overrides, out_root=out_root, progress=progress, name=name)

    _amend_manifest(result.out_dir / "manifest.json", manifest, manifest_path, overrides, changes, notes)
    return RerunResult(result.out_dir, result.results, result.timings, manifest_path, overrides, changes,
                       tuple(notes))


def _amend_manifest(path: Path, source: Mapping[str, Any], source_path: Path, overrides: Mapping[str, Any],
                    changes: tuple[DataChange, ...], notes: list[str]) -> None:
    """Record where the re-run came from; the runner's ``params_file`` was a temporary file and would mislead."""
    manifest = json.loads(path.read_text(encoding="utf-8"))
    flags = " ".join(f"-p {shlex.quote(f'{k}={_cli_value(v)}')}" for k, v in sorted(overrides.items()))
    accept = "--accept-changed-data" if changes else ""
    manifest["params_file"] = source.get("params_file")
    manifest["command"] = " ".join(x for x in ("jinlin rerun", shlex.quote(str(source_path)), flags, accept) if x)
    manifest["rerun"] = {
        "of": str(source_path),
        "of_paramset": source.get("paramset"),
        "of_git": source.get("git"),
        "overrides": json.loads(json.dumps(dict(overrides), default=str)),
        "data_changes": [{"table": c.table, "file": c.file, "kind": c.kind, "old_sha256": c.old_sha256,
                          "new_sha256": c.new_sha256} for c in changes],
        "notes": list(notes),
    }
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _cli_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)
