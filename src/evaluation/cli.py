"""The ``jinlin`` command line: validate a district, generate the synthetic one, run the evaluation.

Errors the user can fix (bad data, bad parameters, a failed notebook) are printed as plain messages with exit code 1;
``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

from . import __version__
from .errors import JinlinError, format_problems

__all__ = ["main", "build_parser"]

_EPILOG = textwrap.dedent("""\
    examples:
      jinlin validate data/synthetic              check a district folder against the data contract
      jinlin generate data/synthetic --seed 20241231
      jinlin generate /tmp/region --scale 2000     a 2,000-community region (Parquet, about 10M grid events)
      jinlin run --params params/default.yaml     run every notebook and publish reports/default/
      jinlin run --params params/default.yaml -p language=en -p report_year=2023
      jinlin audit data/submissions/daya_bay_2024.md --data data/synthetic --format json
      jinlin profiles --workers 2                 one profile per community → reports/profiles-default/
      jinlin rerun reports/default/manifest.json -p data_cutoff=2024-06-30
      jinlin diff reports/default reports/default-rerun-1a2b3c4d --html diffs/cutoff.html
      jinlin sweep params/robustness.yaml --workers 2
      jinlin docx reports/default
      jinlin dictionary                           rewrite data/dictionary.{en,zh}.md from the contract

    The data contract is in data/dictionary.en.md (中文: data/dictionary.zh.md); outside a checkout,
    jinlin dictionary writes them there.
    """)


def _lang(args: argparse.Namespace) -> str:
    """The language of the command's messages: ``--lang``; else the run's own (``-p language=…``, then the
    parameter file's ``language``) for the commands that run one; else ``JINLIN_LANG``, else the locale (``LANG``
    zh_* gives Chinese), else English."""
    import os

    if getattr(args, "lang", None) in ("zh", "en"):
        return args.lang
    try:
        run_lang = _overrides(getattr(args, "param", None)).get("language")
        if run_lang is None and getattr(args, "params", None) and Path(args.params).is_file():
            import yaml

            run_lang = (yaml.safe_load(Path(args.params).read_text(encoding="utf-8")) or {}).get("language")
    except Exception:  # noqa: BLE001 - a bad parameter file is reported by the command itself, in the default
        run_lang = None
    if run_lang in ("zh", "en"):
        return run_lang
    env = os.environ.get("JINLIN_LANG") or ""
    if env in ("zh", "en"):
        return env
    return "zh" if (os.environ.get("LC_ALL") or os.environ.get("LANG") or "").lower().startswith("zh") else "en"


def _cmd_validate(args: argparse.Namespace) -> int:
    from .text.i18n import plain
    from .data import read_district

    lang = _lang(args)
    district, problems = read_district(args.folder)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if problems:
        print(format_problems(problems, limit_per_rule=args.limit, lang=lang))
    if errors:
        print(plain("cli.validate.errors", lang, folder=args.folder, errors=len(errors), warnings=len(warnings)))
        return 1
    n_rows = sum(f.rows for f in district.files.values())
    print(plain("cli.validate.ok", lang, folder=args.folder, tables=len(district.files), rows=n_rows,
                warnings=len(warnings)))
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from .synthetic.write import check_output_folder

    out = check_output_folder(args.folder, force=args.force)
    if args.scale is not None:
        from .synthetic.region import write_region

        if args.scale < 1:
            raise JinlinError("--scale must be at least 1 (the number of communities of the region)",
                              zh="--scale 至少为 1（区域的社区数）")
        s = write_region(out, args.scale, seed=args.seed)
        print(f"wrote a synthetic region of {args.scale:,} communities (seed {args.seed}) to {out} in "
              f"{s.seconds:.0f} s: {s.rows['grid_events']:,} grid events, "
              f"{s.rows['survey_responses']:,} survey respondents, {sum(s.rows.values()):,} rows in all (Parquet)")
        return 0
    from .synthetic import generate_district, write_district

    district = generate_district(seed=args.seed)
    paths = write_district(district, out)
    print(f"wrote {len(paths)} files of the synthetic district (seed {args.seed}) to {out}")
    return 0


def _overrides(items: list[str] | None) -> dict:
    from .params import parse_override

    return dict(parse_override(i) for i in (items or []))


def _cmd_run(args: argparse.Namespace) -> int:
    from .run.worker import notebook_pool

    # the workers start their kernels while this process imports the runner (about a second) and validates the data
    with notebook_pool(args.workers, args.workers) as pool:
        from .text.i18n import plain
        from .run.runner import run

        result = run(args.params, _overrides(args.param), progress=lambda m: print(m, file=sys.stderr, flush=True),
                     workers=args.workers, pool=pool)
    print(plain("cli.run.done", _lang(args), out=result.out_dir, n=len(result.results)))
    return 0


def _cmd_profiles(args: argparse.Namespace) -> int:
    from .text.i18n import plain
    from .run.profiles import profiles

    wanted = [c.strip() for c in args.communities.split(",") if c.strip()] if args.communities else None
    result = profiles(args.params, _overrides(args.param), workers=args.workers, communities=wanted,
                      docx=args.format == "docx")
    done = len(result.outcomes) - len(result.failed)
    print(plain("cli.profiles.done", _lang(args), done=done, out=result.out_dir, seconds=result.seconds,
                workers=result.workers))
    for o in result.failed:
        print(f"failed: {o.community_id}: {getattr(o, 'error', '')}", file=sys.stderr)
    return 0 if result.ok else 1


def _cmd_rerun(args: argparse.Namespace) -> int:
    from .run.rerun import rerun

    result = rerun(args.manifest, _overrides(args.param), accept_changed_data=args.accept_changed_data,
                   name=args.name, progress=lambda m: print(m, file=sys.stderr, flush=True))
    for note in getattr(result, "notes", ()):
        print(f"note: {note}", file=sys.stderr)
    print(f"re-run written to {result.out_dir}/ ({len(result.results)} recorded figures)")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from .run.diff import diff_html, diff_runs, diff_table_text

    df = diff_runs(args.run_a, args.run_b, confidence=args.confidence)
    print(diff_table_text(df, only_changed=not args.all), end="")
    if args.html:
        # A missing folder is created, as -o options commonly do; a folder in place of the file is refused.
        out = Path(args.html)
        if out.is_dir():
            raise JinlinError(f"--html {out} is a folder\nfix: give a file name, e.g. {out / 'diff.html'}",
                              zh=f"--html {out} 是文件夹\n修改：给出文件名，例如 {out / 'diff.html'}")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(diff_html(df, f"{args.run_a} vs {args.run_b}", only_changed=not args.all),
                           encoding="utf-8")
        except OSError as e:
            raise JinlinError(f"cannot write --html {out}: {e.strerror or e}\n"
                              "fix: give a file in a folder you may write",
                              zh=f"无法写出 --html {out}：{e.strerror or e}\n修改：给出一个有写入权限的文件夹中的文件"
                              ) from None
        print(f"wrote {out}", file=sys.stderr)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from .run.sweep import sweep, sweep_summary

    df = sweep(args.spec, workers=args.workers, scheduler=args.scheduler)
    print(sweep_summary(df, getattr(args, "lang", None)))  # --lang, else the run's (its base's) language
    return 0 if (df["status"] == "ok").all() else 1


def _cmd_docx(args: argparse.Namespace) -> int:
    from .report.docx import render_docx

    html = Path(args.run) / "report.html" if Path(args.run).is_dir() else Path(args.run)
    if not html.is_file():
        raise JinlinError(f"{html} does not exist\nfix: give a report folder (reports/<run>) or its report.html",
                          zh=f"{html} 不存在\n修改：给出报告文件夹（reports/<运行>）或其中的 report.html")
    lang = getattr(args, "lang", None) or _manifest_language(html.parent / "manifest.json")
    print(f"wrote {render_docx(html, args.output or html.with_suffix('.docx'), lang)}")
    return 0


def _manifest_language(manifest: Path) -> str:
    """The run's language from its manifest; refused with the fix when the manifest is missing or malformed."""
    from .run.runfiles import read_run_file

    fix = "or give the language with --lang zh|en"
    try:
        body = read_run_file(manifest, "manifest.json",
                             lambda m: isinstance(m, dict) and isinstance(m.get("params"), dict)
                             and m["params"].get("language") in ("zh", "en"),
                             "not a run manifest: it has no params.language of zh or en",
                             "不是运行清单：其中没有取值为 zh 或 en 的 params.language")
    except JinlinError as e:
        raise JinlinError(f"{e}, {fix}", zh=f"{e.text('zh')}，或用 --lang zh|en 指定语言") from None
    return body["params"]["language"]


def _cmd_audit(args: argparse.Namespace) -> int:
    from .claims.audit import audit_files, latest_results
    from .config import REPORTS_DIR
    from .report.audit import format_verdicts, render_appendix_docx
    from .text.i18n import plain

    lang = getattr(args, "lang", None) or "zh"  # an office's appendix is Chinese unless asked otherwise
    results = args.results
    if results is None:
        results = latest_results(args.data)
        print(plain("cli.audit.results", lang, results=results, data=args.data) if results
              else plain("cli.audit.no_results", lang, data=args.data), file=sys.stderr)
    result, provenance = audit_files(args.submission, args.data, args.report_year,
                                     overrides=args.overrides, results=results)
    if args.format == "docx":
        # outputs go under reports/, never into the submissions (input) folder
        out = Path(args.out) if args.out else REPORTS_DIR / "audit" / f"{Path(args.submission).stem}.audit.docx"
        out.parent.mkdir(parents=True, exist_ok=True)
        print(f"wrote {render_appendix_docx(result, out, lang, provenance)}")
        return 0
    text = format_verdicts(result, args.format, lang)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return 0


def _cmd_dictionary(args: argparse.Namespace) -> int:
    from .config import DATA_DIR
    from .data.dictionary import render_dictionary

    for lang in ("en", "zh"):
        path = DATA_DIR / f"dictionary.{lang}.md"
        path.parent.mkdir(parents=True, exist_ok=True)  # outside a checkout, data/ under the working folder
        path.write_text(render_dictionary(lang), encoding="utf-8")
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jinlin",
        description="Jinlin (近邻): evaluate a neighbourhood-governance programme from a district's data exports.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"jinlin {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    parser.add_argument("--lang", choices=["zh", "en"], default=None,
                        help="language of the messages (default: the run's, else JINLIN_LANG or the locale)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    # docx and audit have a --lang of their own, the language of the document they write (and of the messages)
    with_lang = argparse.ArgumentParser(add_help=False, parents=[common])
    with_lang.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                           help="language of the messages (default: the run's, else JINLIN_LANG or the locale)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", parents=[with_lang], help="check a district folder against the data contract",
                       description="Read every table in FOLDER and list each problem with its file, row, column "
                                   "and fix. Exits 1 if there is any error.")
    p.add_argument("folder", metavar="DIR", help="the district folder, e.g. data/synthetic")
    p.add_argument("--limit", type=int, default=20, metavar="N",
                   help="show at most N problems of each kind per file (default 20); the rest are counted")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("generate", parents=[with_lang], help="write the synthetic district (or a larger region)",
                       description="Write the synthetic district (a known, planted programme effect) to DIR. With "
                                   "--scale N, write a synthetic region of N communities instead (blocks of the "
                                   "district, all tables as Parquet written in chunks; N = 2000 gives about 10 "
                                   "million grid events and 1 million survey respondents).")
    p.add_argument("folder", metavar="DIR", help="output folder, e.g. data/synthetic")
    p.add_argument("--seed", type=int, default=20241231, metavar="N", help="random seed (default 20241231)")
    p.add_argument("--scale", type=int, metavar="N",
                   help="number of communities of a synthetic region (default: the 43-community district)")
    p.add_argument("--force", action="store_true",
                   help="write into DIR even if it is not empty (files of the same names are overwritten)")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("run", parents=[with_lang], help="run the evaluation notebooks and publish the report",
                       description="Validate the parameters and the data, execute every notebook with papermill and "
                                   "publish reports/<paramset>/ (report.html, results.json, manifest.json, the "
                                   "executed notebooks). The previous report is replaced only if the run succeeds, "
                                   "in one atomic step. With -p overrides the run writes its own folder, "
                                   "reports/<paramset>+<key=value…>/, and leaves reports/<paramset>/ alone.")
    p.add_argument("--params", default="params/default.yaml", metavar="FILE",
                   help="parameter file (default params/default.yaml); the report folder is named after it")
    p.add_argument("--workers", type=int, default=2, metavar="N",
                   help="notebooks 00–40 run at the same time in up to N kernels (default 2); the report is the same "
                        "for any N")
    p.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                   help="override one parameter, e.g. -p language=en (repeatable)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("profiles", parents=[with_lang], help="write a profile of every community, in parallel",
                       description="Run notebook 60_community_profile for every current community (or --communities) "
                                   "in a process pool and publish reports/profiles-<paramset>/ with an index page. "
                                   "One failed community does not stop the others; it is listed at the end.")
    p.add_argument("--params", default="params/default.yaml", metavar="FILE", help="parameter file")
    p.add_argument("-p", "--param", action="append", metavar="KEY=VALUE", help="override one parameter (repeatable)")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="parallel notebook kernels (default 2)")
    p.add_argument("--communities", metavar="IDS", help="comma-separated community ids, e.g. C01,C02")
    p.add_argument("--format", choices=("html", "docx"), default="html",
                   help="docx: also write each profile as Word (<id>.docx, linked from the index)")
    p.set_defaults(func=_cmd_profiles)

    p = sub.add_parser("rerun", parents=[with_lang], help="re-run a past report with changed parameters",
                       description="Re-execute the run recorded in MANIFEST with its parameters plus -p overrides, "
                                   "into reports/<paramset>-rerun-<hash>/. Refuses if the data files differ from "
                                   "the manifest's hashes, unless --accept-changed-data, and refuses a manifest "
                                   "edited by hand (its params_sha256 no longer matches).")
    p.add_argument("manifest", metavar="MANIFEST", help="reports/<run>/manifest.json (or the report folder)")
    p.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                   help="override one parameter, e.g. -p data_cutoff=2024-06-30 (repeatable)")
    p.add_argument("--accept-changed-data", action="store_true",
                   help="run on the current data even if it differs from the original run's")
    p.add_argument("--name", metavar="NAME", help="report folder name (default <paramset>-rerun-<hash>)")
    p.set_defaults(func=_cmd_rerun)

    p = sub.add_parser("diff", parents=[with_lang], help="compare two runs' figures and flag changed conclusions",
                       description="Compare the results.json of two runs: every changed figure, with sign, "
                                   "significance and claim-verdict changes marked '>>'.")
    p.add_argument("run_a", metavar="RUN_A", help="a report folder or its results.json")
    p.add_argument("run_b", metavar="RUN_B", help="a report folder or its results.json")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML comparison")
    p.add_argument("--all", action="store_true", help="show unchanged figures too")
    p.add_argument("--confidence", type=float, default=0.95, metavar="C",
                   help="coverage of the interval built from se where none is recorded (default 0.95)")
    p.set_defaults(func=_cmd_diff)

    p = sub.add_parser("sweep", parents=[with_lang], help="run a robustness sweep (specification curve)",
                       description="Run every variant of a sweep file in parallel into reports/sweep-<name>/, "
                                   "collect sweep.csv and draw a specification curve per headline figure.")
    p.add_argument("spec", metavar="FILE", help="sweep file, e.g. params/robustness.yaml")
    p.add_argument("--workers", type=int, default=2, metavar="N", help="local worker processes (default 2)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("docx", parents=[common], help="convert a report to Word (.docx)",
                       description="Convert reports/<run>/report.html to Word with pandoc (Chinese fonts set).")
    p.add_argument("run", metavar="RUN", help="a report folder or its report.html")
    p.add_argument("-o", "--output", metavar="FILE", help="the .docx to write (default: next to report.html)")
    # SUPPRESS: a subcommand's default would overwrite `jinlin --lang en docx …` given before the command
    p.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                   help="document language (default: the run's, from its manifest.json)")
    p.set_defaults(func=_cmd_docx)

    p = sub.add_parser("audit", parents=[common], help="check a case-award submission's figures against the data",
                       description="Extract every figure of SUBMISSION, recompute it from the district in DIR and "
                                   "give each a verdict (supported, fragile, contradicted, not_checkable, "
                                   "qualitative).")
    p.add_argument("submission", metavar="SUBMISSION", help="the submission (.md, .txt or .docx)")
    p.add_argument("--data", required=True, metavar="DIR", help="the district folder, e.g. data/synthetic")
    p.add_argument("--format", choices=["json", "table", "docx"], default="table",
                   help="json: one object per figure; table: a readable table; docx: the evidence appendix")
    p.add_argument("--report-year", type=int, default=2024, metavar="N", help="the year called 今年 (default 2024)")
    p.add_argument("--out", metavar="FILE",
                   help="write here instead of standard output (docx: default reports/audit/<submission>.audit.docx)")
    p.add_argument("--lang", choices=["zh", "en"], default=argparse.SUPPRESS,
                   help="language of the verdicts, the appendix and the messages (default zh)")
    p.add_argument("--overrides", metavar="FILE", help="claims.yaml (default: beside SUBMISSION, else in DIR)")
    p.add_argument("--results", metavar="FILE",
                   help="a run's results.json, whose impact and survey figures feed the award criteria "
                        "(default: the newest run on DIR under reports/)")
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser("dictionary", parents=[with_lang], help="rewrite the data dictionary from the contract",
                       description="Rewrite data/dictionary.en.md and data/dictionary.zh.md from the schemas.")
    p.set_defaults(func=_cmd_dictionary)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except JinlinError as e:
        if args.debug:
            raise
        zh = _lang(args) == "zh"
        text = e.text("zh" if zh else "en")
        print(f"错误：{text}" if zh else f"error: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("已中断" if _lang(args) == "zh" else "interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # a file that vanished, a folder not writable, a full disk: fixable by the user
        if args.debug:
            raise
        where = f"{e.filename}: " if e.filename else ""
        if _lang(args) == "zh":
            print(f"错误：{where}{e.strerror or e}\n修改：检查路径是否存在、是否有读写权限、磁盘是否还有空间；加 --debug "
                  "可看到出错的位置", file=sys.stderr)
        else:
            print(f"error: {where}{e.strerror or e}\nfix: check that the path exists, that you may read and write "
                  "it, and that the disk has space; --debug shows where it happened", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
