"""The package built as a wheel and installed outside the checkout (issue 18, "An installable package").

A wheel must carry everything it reads (notebooks, parameter sets, the claims rule table, the award criteria, the
bundled submission, the translation catalogue) and write ``reports/`` under the folder it runs in. The test builds a
wheel from a copy of the sources (``pip wheel --no-build-isolation``: no network), installs it into a new virtual
environment that cannot see the checkout, and runs ``jinlin`` there in an empty folder.

The new environment gets its dependencies from the environment running the tests through a ``.pth`` file. A line
of a ``.pth`` file only adds a directory to ``sys.path``: the ``.pth`` files inside that directory are not run, so
the editable install's hook (which puts the checkout's ``src/`` on the path) is not, and ``evaluation`` can only
come from the wheel. Each test checks that, in the command-line process and in the notebook kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, TEST_SALT

# What the build reads: the project files and the folders the package's resources link to (src/evaluation/config.py)
_SOURCES = ("pyproject.toml", "README.md", "src", "notebooks", "params", "data/submissions")
# Every kind of file the package reads at run time, as the wheel must hold it
_SHIPPED = ("evaluation/resources/notebooks/00_data_quality.ipynb", "evaluation/resources/notebooks/50_award_claims.ipynb",
            "evaluation/resources/notebooks/60_community_profile.ipynb", "evaluation/resources/params/default.yaml",
            "evaluation/resources/submissions/daya_bay_2024.md", "evaluation/resources/claims/claims_rules.csv",
            "evaluation/resources/claims/award_criteria.csv", "evaluation/resources/i18n/claims.yaml")


@dataclass(frozen=True)
class Installed:
    prefix: Path  # the new environment
    env: dict[str, str]  # the environment variables of a process that must not see the checkout

    def jinlin(self, *args: str, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.prefix / "bin" / "jinlin"), *args], cwd=cwd, env=self.env,
                              capture_output=True, text=True, timeout=timeout)

    def python(self, code: str, cwd: Path) -> str:
        r = subprocess.run([str(self.prefix / "bin" / "python"), "-c", code], cwd=cwd, env=self.env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr[-3000:]
        return r.stdout


def _outside_checkout(path: str | Path) -> bool:
    return not Path(path).resolve().is_relative_to(ROOT)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and an .egg-info beside the sources, and a build/ left by an
    # older build would put stale files into the wheel. The resources' symbolic links are copied as links, so the
    # build must follow them as it does in the checkout.
    sources = base / "sources"
    for name in _SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, sources / name, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints"))
        else:
            (sources / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, sources / name)
    dist = base / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                        "--wheel-dir", str(dist), str(sources)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    wheel = next(dist.glob("jinlin-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    assert not [f for f in _SHIPPED if f not in names], sorted(n for n in names if "/resources/" in n)

    prefix = base / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True, timeout=120)
    python = prefix / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(purelib, "jinlin-test-dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    # Installing the dependencies would also have put their data files under the new prefix: nbconvert's templates
    # in share/jupyter/nbconvert. Linked from the test environment, all but its kernels/: the python3 kernel that
    # `make setup` registers there runs the test environment's Python, which the new one must not use.
    shared = Path(sys.prefix) / "share" / "jupyter"
    if shared.is_dir():
        (prefix / "share" / "jupyter").mkdir(parents=True)
        for entry in shared.iterdir():
            if entry.name != "kernels":
                (prefix / "share" / "jupyter" / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "JINLIN_ROOT", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    # the salt as in every test (this fixture starts before the per-test one): never the user's salt file
    env.update(PATH=f"{prefix / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1",
               JINLIN_SALT=TEST_SALT)
    # --ignore-installed: the editable jinlin of the test environment is visible through the .pth; pip must
    # neither count it as installed nor touch it
    r = subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed",
                        "--disable-pip-version-check", str(wheel)], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    return Installed(prefix, env)


@pytest.mark.notebook
def test_wheel_installed_elsewhere_generates_runs_and_audits(installed: Installed, tmp_path: Path):
    work = tmp_path / "empty"
    work.mkdir()
    where = installed.python("import evaluation; print(evaluation.__file__)", cwd=work).strip()
    assert _outside_checkout(where) and Path(where).is_relative_to(installed.prefix), where
    # The notebooks run in the kernel named like the runner's: it must be this environment's Python, with the
    # wheel's package, or the report would come from other code than the command line's.
    kernel = json.loads(installed.python(
        "import json\n"
        "from jupyter_client.manager import start_new_kernel\n"
        "from evaluation.run.runner import KERNEL\n"
        "km, kc = start_new_kernel(kernel_name=KERNEL)\n"
        "out = []\n"
        "kc.execute_interactive('import sys, evaluation; print(sys.prefix); print(evaluation.__file__)', timeout=60,\n"
        "    output_hook=lambda m: out.append(m['content']['text']) if m['msg_type'] == 'stream' else None)\n"
        "kc.stop_channels(); km.shutdown_kernel(now=True)\n"
        "print(json.dumps(''.join(out).split()))\n", cwd=work).splitlines()[-1])
    assert Path(kernel[0]).resolve() == installed.prefix.resolve(), kernel
    assert _outside_checkout(kernel[1]) and Path(kernel[1]).is_relative_to(installed.prefix), kernel

    r = installed.jinlin("generate", "d", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (work / "d" / "dataset.yaml").is_file()
    # The default parameter set, notebooks and submission come from the package; 00 and 50 (the one that reads the
    # rule table, the award criteria and the submission) keep the test short, the whole run is the slow test below.
    r = installed.jinlin("run", "-p", "data_dir=d", "-p", "notebooks=[00_data_quality, 50_award_claims]", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    [results_file] = (work / "reports").glob("*/results.json")
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    assert results["data.rows.grid_events"]["value"] > 0
    assert results["claims.check.grid_events_closed_count"]["value"] == "supported"
    manifest = json.loads((results_file.parent / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["git"] == {"commit": None, "dirty": None}  # no checkout: no commit to cite
    assert (results_file.parent / "report.html").is_file() and (results_file.parent / "report.docx").is_file()

    # --lang en: the messages otherwise follow the run's language (Chinese by default), and this checks their words
    r = installed.jinlin("--lang", "en", "audit", "data/submissions/daya_bay_2024.md", "--data", "d", "--format",
                         "json", cwd=work)
    assert r.returncode == 0, r.stderr[-3000:]
    assert f"using {results_file} " in r.stderr, r.stderr  # the run above, found under the working folder
    verdicts = [v["verdict"] for v in json.loads(r.stdout)]
    assert len(verdicts) > 20 and "supported" in verdicts
    # everything written is under the working folder: the district asked for and reports/
    assert sorted(p.name for p in work.iterdir()) == ["d", "reports"]


@pytest.mark.slow
@pytest.mark.notebook
def test_wheel_full_run_equals_the_checkouts(installed: Installed, tmp_path: Path):
    """The whole evaluation from the wheel gives the checkout's results.json, byte for byte."""
    from evaluation.run.runner import run

    work = tmp_path / "empty"
    work.mkdir()
    assert installed.jinlin("generate", "d", cwd=work).returncode == 0
    r = installed.jinlin("run", "-p", "data_dir=d", cwd=work, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    wheel_results = (work / "reports" / "default+data_dir=d" / "results.json").read_bytes()
    here = run(ROOT / "params" / "default.yaml", {"data_dir": str(work / "d")}, out_root=tmp_path / "reports",
               workers=2)
    assert (here.out_dir / "results.json").read_bytes() == wheel_results
