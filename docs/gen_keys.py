"""Generate docs/keys.md: each results.json key of the default run, its definition and the function that computes it.

The grid, petition, activity and impact-panel definitions are declared in the indicator registry
(:mod:`evaluation.indicators.registry`, whose table docs/gen_conventions.py writes into docs/conventions.md); every
results.json key is declared where the code is: the docstring of the function that computes a figure declares its
keys, and this script collects them. It reads the
sources with :mod:`ast` (nothing is imported or run), so it takes a fraction of a second.

A declaration, in the docstring of a public function, class, method or module of ``evaluation``:

* a paragraph with ``Key:``, ``Keys:`` or ``Rows:`` in it (or ``Keys (a remark):``) declares the keys written in double backticks in that
  paragraph; the paragraph is the definition. ``.per_10k`` after ``grid.events_reported.count`` means
  ``grid.events_reported.per_10k`` (the last part replaced);
* a list item that follows such a marker (``Keys:`` closing the text before the list) declares the keys it starts
  with, and is their definition on its own;
* ``<name>`` stands for one part of a key that varies (``impact.<outcome>.att``, ``survey.satisfaction_index.mean_<wave>``).

A key of a function of :mod:`evaluation.indicators` also covers ``<key>.<group>``: a tidy table's rows broken down by
a category, type or level are recorded under the indicator's key and the group's code
(:func:`evaluation.report.record.tidy_to_records`).

The keys come from ``docs/results_keys.txt``, the keys of the default run's results.json, refreshed with
``--results``. tests/test_keys_doc.py fails when docs/keys.md differs from what this script writes, when a key of that
list or a ``record(...)`` key in a notebook of the run has no declaration, and (in ``make test-all``) when a fresh
default run records a key that is not in the list.

Usage::

    python docs/gen_keys.py                                          # rewrite docs/keys.md
    python docs/gen_keys.py --results reports/default/results.json   # first refresh docs/results_keys.txt from a run
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "evaluation"
KEYS_FILE = ROOT / "docs" / "results_keys.txt"
PAGE = ROOT / "docs" / "keys.md"
CONVENTIONS = ROOT / "docs" / "conventions.md"

# the sections of docs/conventions.md ("Dotted keys"), in the order of the report
SECTIONS = ("data", "organisation", "participation", "grid", "petitions", "service_circle", "survey", "impact",
            "claims")
MARKER = re.compile(r"\b(?:Keys?|Rows)(?: \([^)]*\))?:")  # "Keys:", or "Keys (notebook 40):"
LITERAL = re.compile(r"``([^`]+)``")
PART = r"[a-z0-9_<>]+"
FULL = re.compile(rf"(?:{'|'.join(SECTIONS)})(?:\.{PART})+")
RELATIVE = re.compile(rf"(?:\.{PART})+")
PLACEHOLDER = re.compile(r"<([a-z_]+)>")
BULLET = re.compile(r"^[-*] ")
GROUPED = "evaluation.indicators."  # functions whose tidy rows may be recorded as <key>.<group>


@dataclass(eq=False)
class Declaration:
    """Keys declared together, with the text that defines them, by one object of the package."""

    obj: str  # dotted path of the function, class, method or module
    summary: str  # the first paragraph of its docstring
    patterns: list[str]
    text: str
    matched: dict[str, list[str]] = field(default_factory=dict)  # pattern -> keys of the run


def _public_names(tree: ast.Module) -> set[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
    return None


def _objects(path: Path) -> list[tuple[str, str]]:
    """(dotted path, docstring) of a module and of its public functions, classes and their public methods."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    if any(p.startswith("_") for p in parts):
        return []
    module = ".".join(parts)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    public = _public_names(tree)
    out = [(module, ast.get_docstring(tree) or "")]
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        if public is not None and node.name not in public:
            continue
        out.append((f"{module}.{node.name}", ast.get_docstring(node) or ""))
        if isinstance(node, ast.ClassDef):
            out += [(f"{module}.{node.name}.{m.name}", ast.get_docstring(m) or "") for m in node.body
                    if isinstance(m, ast.FunctionDef) and not m.name.startswith("_")]
    return out


def _patterns(text: str) -> list[str]:
    out: list[str] = []
    last = None
    for literal in LITERAL.findall(text):
        if FULL.fullmatch(literal):
            last = literal
            out.append(literal)
        elif last is not None and RELATIVE.fullmatch(literal):
            out.append(last.rsplit(".", 1)[0] + literal)
    return list(dict.fromkeys(out))


def _items(paragraph: str) -> tuple[str, list[str]]:
    """A paragraph's text before its list, and its list items (each joined onto one line)."""
    head: list[str] = []
    items: list[list[str]] = []
    for line in paragraph.splitlines():
        if BULLET.match(line):
            items.append([line[2:]])
        elif items:
            items[-1].append(line.strip())
        else:
            head.append(line)
    return " ".join(head), [" ".join(i) for i in items]


def _declarations_in(obj: str, doc: str) -> list[Declaration]:
    doc = inspect.cleandoc(doc)
    paragraphs = [p for p in re.split(r"\n\s*\n", doc) if p.strip()]
    summary = " ".join(paragraphs[0].split()) if paragraphs else ""
    out = []
    listed = False  # the previous paragraph ended with a marker: its list follows
    for paragraph in paragraphs:
        head, items = _items(paragraph)
        marked = bool(MARKER.search(head))
        if marked or listed:
            # the paragraph's own keys, then each list item's on its own (with its own text as the definition)
            for text in (head, *items):
                if _patterns(text):
                    out.append(Declaration(obj, summary, _patterns(text), text))
        listed = marked and head.rstrip().endswith(":") and not items
    return out


def declarations() -> list[Declaration]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "resources" in path.parts:
            continue
        for obj, doc in _objects(path):
            out += _declarations_in(obj, doc)
    return out


def pattern_regex(pattern: str, grouped: bool = False) -> re.Pattern[str]:
    """The keys a pattern gives: each ``<name>`` one part of lower snake case (a named group); ``grouped`` adds an
    optional breakdown group as one more part."""
    body = re.sub(r"<([a-z_]+)>", lambda m: f"(?P<{m.group(1)}>[a-z0-9_]+)", re.escape(pattern))
    return re.compile(body + (r"(?:\.(?P<group>[a-z0-9_]+))?" if grouped else ""))


def match(keys: list[str], decls: list[Declaration]) -> tuple[dict[str, list[tuple[Declaration, str]]], list[str]]:
    """For each key, the declarations (and pattern) that document it; and the keys none does.

    A key that a pattern gives as it stands is that pattern's only, not also a breakdown group of a shorter one.
    """
    found: dict[str, list[tuple[Declaration, str]]] = defaultdict(list)
    for grouped in (False, True):
        exact = set(found)
        for d in decls:
            if grouped and not d.obj.startswith(GROUPED):
                continue
            for p in d.patterns:
                names = PLACEHOLDER.findall(p)
                if len(names) != len(set(names)):
                    raise ValueError(f"{d.obj}: a placeholder name appears twice in {p}")
                rx = pattern_regex(p, grouped)
                for k in keys:
                    if k not in exact and rx.fullmatch(k) and not any(d is e and p == q for e, q in found[k]):
                        found[k].append((d, p))
    for k, hits in found.items():
        for d, p in hits:
            d.matched.setdefault(p, []).append(k)
    return found, [k for k in keys if k not in found]


def _md(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"``\1``", text)
    text = text.replace("``", "`").replace("|", r"\|")
    return text


def _anchor(obj: str) -> str:
    return "fn-" + obj.replace(".", "-").replace("_", "-")


def _covered(pattern: str, keys: list[str], grouped: bool) -> str:
    """Which keys of the default run a pattern gives: the values its placeholders and breakdown groups take."""
    if not keys:
        return "not in the default run"
    rx = pattern_regex(pattern, grouped)
    values: dict[str, set[str]] = defaultdict(set)
    plain = False
    for k in keys:
        m = rx.fullmatch(k)
        for name, v in m.groupdict().items():
            if v is not None:
                values[name].add(v)
        plain |= m.groupdict().get("group") is None
    parts = []
    if plain and not PLACEHOLDER.search(pattern):
        parts.append("yes")
    for name in PLACEHOLDER.findall(pattern):
        parts.append(f"`<{name}>`: " + ", ".join(sorted(values[name], key=_natural)))
    if values.get("group"):
        parts.append(f"by group ({len(values['group'])}): " + ", ".join(sorted(values["group"], key=_natural)))
    return "; ".join(parts)


def _natural(s: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s))


def headline_keys() -> set[str]:
    """The keys of docs/conventions.md's table of headline definitions (linked, not copied: it is edited by hand);
    the indicator registry's generated table (between its markers, docs/gen_conventions.py) is not that table."""
    text = re.sub(r"<!-- registry:start -->.*?<!-- registry:end -->", "", CONVENTIONS.read_text(encoding="utf-8"),
                  flags=re.S)
    return set(re.findall(r"^\| `([a-z_.<>]+)` \|", text, flags=re.M))


def render(keys: list[str]) -> str:
    decls = declarations()
    found, missing = match(keys, decls)
    if missing:
        raise SystemExit("no docstring declares these keys of the default run (see docs/gen_keys.py):\n  "
                         + "\n  ".join(missing))
    headline = headline_keys()
    used = [d for d in decls if d.matched]
    by_section: dict[str, dict[str, list[Declaration]]] = {s: defaultdict(list) for s in SECTIONS}
    for d in used:
        for s in sorted({p.split(".")[0] for p in d.matched}, key=SECTIONS.index):
            by_section[s][d.obj].append(d)
    lines = [
        "# results.json keys",
        "",
        "<!-- Generated by docs/gen_keys.py from the docstrings and docs/results_keys.txt: do not edit by hand. -->",
        "",
        f"The default run (`jinlin run`, `params/default.yaml`) records {len(keys)} figures in "
        "`reports/default/results.json`. Each key is `<section>.<indicator>[.<qualifier>]` "
        "([conventions](conventions.md#dotted-keys)); its object holds `value` and, where there is uncertainty, "
        "`se`, `ci_low`, `ci_high` and `n`.",
        "",
        "Below, for each section, the functions that compute the figures, with the keys each one declares in its "
        "docstring and the definition given there; follow a function's name to its reference. `<name>` stands for "
        "a part of the key that varies; the last column says which keys of the default run a pattern gives. A "
        "function of the indicators family also gives `<key>.<group>`: its rows broken down by a category, type "
        "or level. Keys marked *headline* are defined in the table of "
        "[headline figures](conventions.md#headline-figures-definitions-report-year-y) as well. "
        "[Every key](#every-key-of-the-default-run) of the run is listed at the end.",
        "",
    ]
    for s in SECTIONS:
        if not by_section[s]:
            continue
        lines += [f"## {s}", ""]
        for obj, ds in by_section[s].items():
            if f"{s}." not in " ".join(p for d in ds for p in d.matched):
                continue
            summary = MARKER.sub("", ds[0].summary).rstrip(" ,")
            lines += [f"### [`{obj}`][{obj}] {{ #{_anchor(obj)}-{s} }}", "", _md(summary), "",
                      "| keys | definition | in the default run |", "| --- | --- | --- |"]
            for d in ds:
                # one row per declaration: its keys of this section, the text once, what the run gives of each
                pats = [p for p in d.patterns if p.startswith(f"{s}.")]
                if not pats:
                    continue
                grouped = d.obj.startswith(GROUPED)
                keys_cell = "<br>".join(f"`{p}`" + (" *headline*" if p in headline else "") for p in pats)
                run_cell = "<br>".join(_covered(p, sorted(d.matched.get(p, [])), grouped) for p in pats)
                lines.append(f"| {keys_cell} | {_md(d.text)} | {run_cell} |")
            lines.append("")
    lines += ["## Every key of the default run", "", "| key | computed by | pattern |", "| --- | --- | --- |"]
    for k in keys:
        refs = "<br>".join(f"[`{d.obj.rsplit('.', 1)[-1]}`](#{_anchor(d.obj)}-{k.split('.')[0]})"
                           for d, _ in found[k])
        pats = "<br>".join(dict.fromkeys(f"`{p}`" for _, p in found[k]))
        lines.append(f"| `{k}` | {refs} | {pats} |")
    return "\n".join(lines) + "\n"


def read_keys(path: Path = KEYS_FILE) -> list[str]:
    return [k for k in path.read_text(encoding="utf-8").split() if k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", type=Path, help="a results.json whose keys replace docs/results_keys.txt")
    args = ap.parse_args(argv)
    if args.results:
        keys = sorted(json.loads(args.results.read_text(encoding="utf-8"))["results"])
        KEYS_FILE.write_text("\n".join(keys) + "\n", encoding="utf-8")
    PAGE.write_text(render(read_keys()), encoding="utf-8")
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
