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
      jinlin run --params params/default.yaml     run every notebook and publish reports/default/
      jinlin run --params params/default.yaml -p language=en -p report_year=2023
      jinlin dictionary                           rewrite data/dictionary.{en,zh}.md from the contract

    The data contract is in data/dictionary.en.md (中文: data/dictionary.zh.md).
    """)


def _cmd_validate(args: argparse.Namespace) -> int:
    from .data import read_district

    district, problems = read_district(args.folder)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if problems:
        print(format_problems(problems, limit_per_rule=args.limit))
    if errors:
        print(f"\n{args.folder}: {len(errors)} error(s), {len(warnings)} warning(s). Fix the errors and run again.")
        return 1
    n_rows = sum(f.rows for f in district.files.values())
    print(f"{args.folder}: valid — {len(district.files)} tables, {n_rows:,} rows, {len(warnings)} warning(s).")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from .synthetic import generate_district, write_district

    out = Path(args.folder)
    district = generate_district(seed=args.seed)
    paths = write_district(district, out)
    print(f"wrote {len(paths)} files of the synthetic district (seed {args.seed}) to {out}")
    return 0


def _overrides(items: list[str] | None) -> dict:
    from .params import parse_override

    return dict(parse_override(i) for i in (items or []))


def _cmd_run(args: argparse.Namespace) -> int:
    from .report.runner import run

    result = run(args.params, _overrides(args.param), progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(f"report written to {result.out_dir}/ (report.html, results.json, manifest.json; "
          f"{len(result.results)} recorded figures)")
    return 0


def _cmd_dictionary(args: argparse.Namespace) -> int:
    from .config import DATA_DIR
    from .data.dictionary import render_dictionary

    for lang in ("en", "zh"):
        path = DATA_DIR / f"dictionary.{lang}.md"
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
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", parents=[common], help="check a district folder against the data contract",
                       description="Read every table in FOLDER and list each problem with its file, row, column "
                                   "and fix. Exits 1 if there is any error.")
    p.add_argument("folder", metavar="DIR", help="the district folder, e.g. data/synthetic")
    p.add_argument("--limit", type=int, default=20, metavar="N",
                   help="show at most N problems of each kind per file (default 20); the rest are counted")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("generate", parents=[common], help="write the synthetic district",
                       description="Write the synthetic district (a known, planted programme effect) to DIR.")
    p.add_argument("folder", metavar="DIR", help="output folder, e.g. data/synthetic")
    p.add_argument("--seed", type=int, default=20241231, metavar="N", help="random seed (default 20241231)")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("run", parents=[common], help="run the evaluation notebooks and publish the report",
                       description="Validate the parameters and the data, execute every notebook with papermill and "
                                   "publish reports/<paramset>/ (report.html, results.json, manifest.json, the "
                                   "executed notebooks). The previous report is replaced only if the run succeeds.")
    p.add_argument("--params", default="params/default.yaml", metavar="FILE",
                   help="parameter file (default params/default.yaml); the report folder is named after it")
    p.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                   help="override one parameter, e.g. -p language=en (repeatable)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("dictionary", parents=[common], help="rewrite the data dictionary from the contract",
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
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
