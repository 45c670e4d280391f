"""The public API is the one the notebooks use, and no package reaches into another's private parts.

A name a notebook imports must be listed in ``__all__`` of the module it comes from and, when that module sits inside
a subpackage (``evaluation.indicators.tables``), in the subpackage's ``__all__`` too (``evaluation.indicators``): the
notebooks are the package's first users, so what they need is what the package promises to keep. Code in ``src/`` may
use a private module or name (``_common``, ``_parts``) of its own subpackage only. Public functions take
``confidence=``, except where they mirror an R signature (and the few listed below that are not renamed yet).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

import evaluation

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SRC = ROOT / "src"


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def notebook_imports(path: Path) -> list[tuple[str, str | None]]:
    """``(module, name)`` for every ``from evaluation… import name`` in the notebook's code cells, ``(module, None)``
    for every ``import evaluation…``."""
    found: list[tuple[str, str | None]] = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        # IPython line magics and shell escapes are not Python
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("evaluation"):
                found += [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                found += [(alias.name, None) for alias in node.names if alias.name.startswith("evaluation")]
    return found


def _submodule(module: str, name: str) -> bool:
    """Whether ``from module import name`` imports a module (``from evaluation.report.sections import survey``)."""
    try:
        importlib.import_module(f"{module}.{name}")
    except ImportError:
        return False
    return True


def api_problems(imports: list[tuple[str, str | None]]) -> list[str]:
    problems = []
    for module, name in imports:
        parts = module.split(".")
        if any(_private(p) for p in parts):
            problems.append(f"{module}: a private module")
            continue
        if name is None:
            continue
        if _private(name):
            problems.append(f"{module}.{name}: a private name")
            continue
        exported = getattr(importlib.import_module(module), "__all__", ())
        if name not in exported:
            problems.append(f"{module}.{name}: not in {module}.__all__")
        # A module imported from its package (a notebook's sections module) is public when that package lists it.
        if len(parts) > 2 and not _submodule(module, name):
            package = ".".join(parts[:2])
            if name not in getattr(importlib.import_module(package), "__all__", ()):
                problems.append(f"{module}.{name}: not in {package}.__all__")
    return list(dict.fromkeys(problems))  # a private module once, not once per name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_import_only_the_public_api(path):
    imports = notebook_imports(path)
    assert imports, f"{path.name} imports nothing from evaluation: the parser missed its imports"
    problems = api_problems(imports)
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_private_or_unexported_import():
    """The notebook check itself, on imports the notebooks once had (issue 18)."""
    assert api_problems([("evaluation.indicators._common", "in_memory")]) == [
        "evaluation.indicators._common: a private module"]
    assert api_problems([("evaluation.impact.panels", "_parts")]) == ["evaluation.impact.panels._parts: a private name"]
    assert api_problems([("evaluation.indicators.tables", "_spec")]) == [
        "evaluation.indicators.tables._spec: a private name"]
    # in the module's __all__ but not re-exported by its subpackage
    assert api_problems([("evaluation.indicators.tables", "format_cells")]) == [
        "evaluation.indicators.tables.format_cells: not in evaluation.indicators.__all__"]
    # a notebook's sections module: listed by its package, not re-exported by evaluation.report
    assert api_problems([("evaluation.report.sections", "survey")]) == []
    assert api_problems([("evaluation.report", "display")]) == ["evaluation.report.display: not in evaluation.report.__all__"]


def _imported(path: Path) -> list[tuple[int, str]]:
    """``(line, dotted target)`` of every import in a source file, relative imports resolved; the target of
    ``from a.b import c`` is ``a.b.c`` (a module or a name: both count)."""
    module = ".".join(path.relative_to(SRC).with_suffix("").parts)
    package = module.removesuffix(".__init__") if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
    return sorted(out)


def cross_package_private_imports(path: Path) -> list[str]:
    """Imports in ``path`` of a private module or name that belongs to another subpackage of evaluation."""
    own = path.relative_to(SRC).parts[1].removesuffix(".py")
    problems = []
    for line, target in _imported(path):
        parts = target.split(".")
        if parts[0] != "evaluation" or len(parts) < 2 or parts[1] == own:
            continue
        if any(_private(p) for p in parts[1:]):
            problems.append(f"{path.relative_to(SRC)}:{line} imports {target}")
    return problems


def test_no_module_imports_another_subpackage_private_parts():
    problems = [p for path in sorted(SRC.rglob("*.py")) for p in cross_package_private_imports(path)]
    assert not problems, "\n".join(problems)


def test_the_source_check_catches_a_private_import(tmp_path, monkeypatch):
    """The source check itself, on the import synthetic/comparison.py once had and on a private module of the same
    subpackage (allowed)."""
    pkg = tmp_path / "evaluation" / "synthetic"
    pkg.mkdir(parents=True)
    bad = pkg / "comparison.py"
    bad.write_text("def f():\n    from ..impact.panels import _parts\n    from ._util import rng\n"
                   "from evaluation.indicators._common import tidy\n")
    monkeypatch.setitem(globals(), "SRC", tmp_path)
    assert cross_package_private_imports(bad) == [
        "evaluation/synthetic/comparison.py:2 imports evaluation.impact.panels._parts",
        "evaluation/synthetic/comparison.py:4 imports evaluation.indicators._common.tidy"]


# Public functions take ``confidence=`` (issue 18). ``level`` and ``alpha`` stay where the signature mirrors R's ...
R_MIRRORS = (
    "evaluation.survey.design.", "evaluation.survey.replicate.", "evaluation.survey.models.",  # R survey: level=
    "evaluation.survey.ordinal.", "evaluation.survey.estimators.",
    "evaluation.impact.honest.",  # HonestDiD: alpha=
)
# ... where alpha is a test's size rather than an interval's coverage ...
TEST_SIZES = ("evaluation.survey.power.n_for_mean_change", "evaluation.survey.power.n_for_proportion_change")
# ... and nothing else: every other public function takes confidence= (issue 18's renaming is done).
NOT_YET: tuple[str, ...] = ()


def public_callables():
    """``(qualified name, function)`` of every function and public method exported by a module's ``__all__``."""
    for info in pkgutil.walk_packages(evaluation.__path__, "evaluation."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            if name not in vars(module) and _submodule(module.__name__, name):
                continue  # a submodule listed by its package: walked on its own
            obj = getattr(module, name)
            if getattr(obj, "__module__", None) != module.__name__:
                continue  # a re-export: checked where it is defined
            if inspect.isfunction(obj):
                yield f"{obj.__module__}.{obj.__qualname__}", obj
            elif inspect.isclass(obj):
                for attr, fn in vars(obj).items():
                    if not attr.startswith("_") and inspect.isfunction(fn):
                        yield f"{obj.__module__}.{fn.__qualname__}", fn


def level_or_alpha(callables) -> list[str]:
    return [f"{name}({', '.join(bad)}=)" for name, fn in callables
            if (bad := [p for p in inspect.signature(fn).parameters if p in ("level", "alpha")])
            and not name.startswith(R_MIRRORS) and name not in TEST_SIZES + NOT_YET]


def test_public_functions_take_confidence():
    found = dict(public_callables())
    assert "evaluation.impact.twfe.twfe" in found and "evaluation.survey.design.SurveyDesign.mean" in found
    stale = [name for name in TEST_SIZES + NOT_YET if name not in found]
    assert not stale, f"listed here but no longer public (drop them from the lists): {stale}"
    problems = level_or_alpha(found.items())
    assert not problems, "take confidence= instead: " + "; ".join(problems)


def test_the_confidence_check_catches_alpha():
    def twfe(data, outcome="y", alpha=0.05):
        return data

    assert level_or_alpha([("evaluation.impact.twfe.twfe", twfe)]) == ["evaluation.impact.twfe.twfe(alpha=)"]
    assert level_or_alpha([("evaluation.survey.design.SurveyDesign.mean", twfe)]) == []
