"""The baselines `make bench` compares against, installed by the benchmark itself in scratch environments.

The Python peers of the staggered DiD (csdid, differences, moderndid) each get their own venv under
``benchmarks/.cache/peers/<name>`` (pinned versions, so that a later run measures the same code; one venv each
because their pins of pandas/numpy need not agree). They run in subprocesses: the project never imports them, and
they are never a dependency of the package. R ``survey`` comes from Debian's packages (``r-base-core
r-cran-survey``), installed with apt-get when the benchmark runs as root on a Debian machine; otherwise the row says
why it is missing. Each install is attempted once per checkout; its log is kept beside the venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["PEERS", "peer_python", "r_survey"]

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "peers"
# the versions the README's table was measured with
PEERS = {"csdid": "csdid==0.4.3", "differences": "differences==0.3.0", "moderndid": "moderndid==0.2.0"}
DEBIAN_R = ("r-base-core", "r-cran-survey")


def _base_python() -> str:
    """The interpreter the project's venv was made from: a venv made from inside a venv would inherit nothing, but
    ``sys._base_executable`` is the clean one."""
    return getattr(sys, "_base_executable", None) or sys.executable


def peer_python(name: str) -> tuple[Path | None, str]:
    """(python of the peer's scratch venv, status): installs it on first use. Status is "ok" or why not."""
    venv = CACHE / name
    python = venv / "bin" / "python"
    done = venv / ".installed"
    if done.exists() and python.exists():
        return python, "ok"
    failed = CACHE / f"{name}.failed"
    if failed.exists():
        return None, f"install failed earlier, see {failed.relative_to(HERE.parent)} (delete it to retry)"
    CACHE.mkdir(parents=True, exist_ok=True)
    log = CACHE / f"{name}.log"
    print(f"  installing {PEERS[name]} into {venv.relative_to(HERE.parent)} …", file=sys.stderr, flush=True)
    with open(log, "w", encoding="utf-8") as out:
        steps = [[_base_python(), "-m", "venv", "--clear", str(venv)],
                 [str(python), "-m", "pip", "install", "--quiet", PEERS[name]]]
        for cmd in steps:
            if subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode != 0:
                shutil.copy(log, failed)
                return None, f"install failed, see {failed.relative_to(HERE.parent)}"
    done.touch()
    return python, "ok"


def r_survey() -> tuple[str | None, str]:
    """(Rscript, status) with the R package survey loadable; installs Debian's packages when it can."""
    def ready() -> str | None:
        rscript = shutil.which("Rscript")
        if rscript and subprocess.run([rscript, "-e", "library(survey)"], capture_output=True).returncode == 0:
            return rscript
        return None

    if (rscript := ready()) is not None:
        return rscript, "ok"
    if not shutil.which("apt-get"):
        return None, "not installed: no apt-get (install R and its survey package by hand)"
    if os.geteuid() != 0:
        return None, f"not installed: apt-get needs root (sudo apt-get install {' '.join(DEBIAN_R)})"
    print(f"  installing {' '.join(DEBIAN_R)} with apt-get …", file=sys.stderr, flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "r-survey.log", "w", encoding="utf-8") as out:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], stdout=out, stderr=subprocess.STDOUT, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *DEBIAN_R], stdout=out,
                       stderr=subprocess.STDOUT, env=env)
    if (rscript := ready()) is not None:
        return rscript, "ok"
    return None, "not installed: apt-get failed, see benchmarks/.cache/peers/r-survey.log"
