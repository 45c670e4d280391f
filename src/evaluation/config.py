"""Every path the package uses, built from the project root (cookiecutter-data-science style).

No module or notebook hard-codes a path: they ask here.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["resolve", "PACKAGE_DIR", "RESOURCES_DIR", "PROJECT_ROOT", "DATA_DIR", "SYNTHETIC_DIR", "NOTEBOOKS_DIR",
           "PARAMS_DIR", "REPORTS_DIR", "SHARED_DIR", "REFERENCE_DATA_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCES_DIR = PACKAGE_DIR / "resources"


def _find_root() -> Path:
    env = os.environ.get("JINLIN_ROOT")
    if env:
        return Path(env).resolve()
    # An editable install lives in src/evaluation; the project root is two levels up.
    candidate = PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


PROJECT_ROOT = _find_root()
DATA_DIR = PROJECT_ROOT / "data"
SYNTHETIC_DIR = DATA_DIR / "synthetic"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
REPORTS_DIR = PROJECT_ROOT / "reports"
SHARED_DIR = PROJECT_ROOT.parent / "shared"  # steering notes beside the clone; never needed at runtime
REFERENCE_DATA_DIR = DATA_DIR / "reference"  # public data sets with published results (estimator tests)


def resolve(path: str | os.PathLike[str], base: Path | None = None) -> Path:
    """Resolve ``path`` against ``base`` (default: the project root) unless it is absolute."""
    p = Path(path).expanduser()
    if p.is_absolute():
        return p
    return ((base or PROJECT_ROOT) / p).resolve()
