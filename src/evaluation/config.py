"""Every path the package uses. No module or notebook hard-codes a path: they ask here.

There are two kinds of path, so that the package runs from a checkout and installed as a wheel alike:

* **Read-only things the package ships** (notebooks, parameter sets, the claims rule table, the award criteria, the
  bundled submission, the translation catalogue) are package data under ``evaluation/resources/``, found with
  :mod:`importlib.resources`. A wheel installed anywhere reads them from the package, never from a checkout.
* **The project root** is where relative data paths (``data_dir: data/synthetic``) are resolved and where
  ``reports/`` is written: ``JINLIN_ROOT`` if set, else the checkout an editable install runs from, else the current
  working directory (an installed wheel writes ``reports/`` under the folder it is run in).

Each shipped file has one copy in git:

* ``resources/claims/`` holds the rule table and the award criteria themselves: only code reads them.
* ``notebooks/``, ``params/`` and ``data/submissions/`` stay where the README, the Makefile, nbval (pytest's
  ``testpaths``) and ``make lab`` expect them; ``resources/notebooks``, ``resources/params`` and
  ``resources/submissions`` are relative symbolic links to those folders. Setuptools follows the links when it
  builds the wheel, which then holds the files themselves (``tests/test_wheel.py`` builds one and runs it). This is
  the simplest option that keeps one copy: no build hook, no generated copy that could drift, and in a checkout the
  package reads the very files being edited. (A checkout needs symbolic links, git's default on Linux and macOS.)

Relative paths that name a shipped file (``params/default.yaml``, ``data/submissions/daya_bay_2024.md``) mean the
package's copy when no such file exists where they are looked up (:func:`bundled`, :func:`resolve`), so the
defaults and the README's commands work outside a checkout too.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path, PurePosixPath

__all__ = ["resolve", "resource", "bundled", "PACKAGE_DIR", "RESOURCES_DIR", "CHECKOUT", "PROJECT_ROOT", "DATA_DIR",
           "SYNTHETIC_DIR", "NOTEBOOKS_DIR", "PARAMS_DIR", "REPORTS_DIR", "SHARED_DIR", "REFERENCE_DATA_DIR",
           "CLAIMS_RULES", "AWARD_CRITERIA", "KERNEL_CWD", "SNAPSHOT_ENV"]

PACKAGE_DIR = Path(__file__).resolve().parent


def _resources() -> Path:
    res = importlib.resources.files(__package__) / "resources"
    # Papermill, Jupyter and pandas need file-system paths. pip installs a wheel unpacked, so the package data are
    # files on disk; a package imported from a zip archive is the one case without them, and is refused here.
    if not isinstance(res, Path):
        raise ImportError(f"the jinlin package must be installed unpacked (its resources are at {res}); "
                          "install the wheel with pip")
    return res


RESOURCES_DIR = _resources()


def resource(*parts: str) -> Path:
    """A file or folder the package ships under ``resources/`` (read-only), symbolic links resolved."""
    return RESOURCES_DIR.joinpath(*parts).resolve()


def _find_checkout() -> Path | None:
    env = os.environ.get("JINLIN_ROOT")
    if env:
        return Path(env).resolve()
    # An editable install lives in src/evaluation; the project root is two levels up. Installed as a wheel, the
    # package lives in site-packages, with no pyproject.toml two levels up.
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return None


# The project folder the package runs from (JINLIN_ROOT or the checkout), or None for an installed wheel: then
# there is no repository whose commit a manifest could cite or that a salt file must stay out of.
CHECKOUT = _find_checkout()
PROJECT_ROOT = CHECKOUT or Path.cwd()
DATA_DIR = PROJECT_ROOT / "data"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
REPORTS_DIR = PROJECT_ROOT / "reports"
SHARED_DIR = PROJECT_ROOT.parent / "shared"  # steering notes beside the clone; never needed at runtime
REFERENCE_DATA_DIR = DATA_DIR / "reference"  # public data sets with published results (estimator tests)
NOTEBOOKS_DIR = resource("notebooks")  # in a checkout: notebooks/ itself (the link resolved)
PARAMS_DIR = resource("params")
CLAIMS_RULES = resource("claims", "claims_rules.csv")
AWARD_CRITERIA = resource("claims", "award_criteria.csv")
# The working folder of the notebook kernels. In a checkout it is notebooks/, as in JupyterLab and under nbval.
# Outside one it is the project root: a kernel of an installed package takes its working folder as the project root
# (it inherits no JINLIN_ROOT), and must resolve data_dir as the runner did.
KERNEL_CWD = NOTEBOOKS_DIR if CHECKOUT is not None else PROJECT_ROOT
# Set by `jinlin run` for the kernels of one run: "<district folder>" + os.pathsep + "<snapshot folder>" (read by
# evaluation.data.loader; here so that a notebook worker sets it without importing the loader).
SNAPSHOT_ENV = "JINLIN_DISTRICT_SNAPSHOT"

# Folders of a checkout whose files the package ships, and where they are under resources/ (see the module docstring).
_BUNDLED = {"params": "params", "data/submissions": "submissions", "notebooks": "notebooks"}


def bundled(path: str | os.PathLike[str]) -> Path | None:
    """The package's copy of a shipped file named as in a checkout, e.g. ``params/default.yaml``; None if none.

    Absolute paths and paths leaving their folder (``..``) never name a shipped file.
    """
    p = PurePosixPath(Path(path).as_posix())
    if p.is_absolute() or ".." in p.parts:
        return None
    for prefix, folder in _BUNDLED.items():
        if p.parts[: len(PurePosixPath(prefix).parts)] == PurePosixPath(prefix).parts:
            f = RESOURCES_DIR / folder / p.relative_to(prefix)
            return f.resolve() if f.is_file() else None
    return None


def resolve(path: str | os.PathLike[str], base: Path | None = None) -> Path:
    """Resolve ``path`` against ``base`` (default: the project root) unless it is absolute.

    A relative path that does not exist there but names a shipped file (:func:`bundled`) is the package's copy:
    outside a checkout, ``data/submissions/daya_bay_2024.md`` is still the bundled submission.
    """
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    out = ((base or PROJECT_ROOT) / p).resolve()
    if not out.exists():
        return bundled(p) or out
    return out
