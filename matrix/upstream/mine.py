"""Install each torch release into a throwaway virtualenv and record what it says about itself.

    python -m matrix.upstream mine [--release 2.4.1 ...] [--out results/upstream/releases]
    python -m matrix.upstream sweep [--release 2.4.1 ...]     # the catalog's probes instead (results/upstream/probes)

For each release (default: all of :data:`matrix.upstream.releases.RELEASES` not yet recorded) a
temporary folder gets a uv virtualenv on the release's Python and its own ``UV_CACHE_DIR``, so the
shared uv cache is neither read nor grown; torch is installed from PyPI with its dependencies (its
CUDA wheels included: the 2.x wheels do not import without them), ``extract.py`` is run with that
venv's Python, and the folder is deleted, cache and all, before the next release. One release's folder
held 1-7.3 GB here (2.8.0 with its CUDA wheels the most; uv hard-links its cache into the venv,
counted once). Each record is written as
``torch-<release>.json``: sorted keys, one JSON value per line, so that a re-run that finds the same
texts writes the same bytes and git shows what changed.

``sweep`` runs the catalog's probes instead (``python -m matrix.probes`` with this checkout on
PYTHONPATH; no TensorFlow, so its probes are not run) and writes results/upstream/probes/torch-<release>.json
with the Python, the CPU and the date. A release that cannot be installed or read is logged with the
reason and skipped (exit 1 at the end).
"""
from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Iterable, List, Optional, TextIO, Tuple

from matrix import ROOT
from matrix.bench.envbuild import folder_bytes
from matrix.upstream.releases import key, python_of

EXTRACT = Path(__file__).resolve().parent / "extract.py"
RECORDS = ROOT / "results" / "upstream" / "releases"
#: the probes take seconds per release; a hung one is cut here and the release reported as failed
PROBE_TIMEOUT = 900


def numpy_of(release: str) -> str:
    """The NumPy a release imports with: torch's C extension of 1.0-1.4 needs an old one (the pins' rule),
    and before 2.3 torch was built against NumPy 1."""
    if key(release) < (1, 5):
        return "numpy<1.17"
    return "numpy<2" if key(release) < (2, 3) else "numpy"


def record_path(out: Path, release: str) -> Path:
    return out / f"torch-{release}.json"


def probe_path(out: Path, release: str) -> Path:
    """Where the probe sweep's record of ``release`` goes: a folder beside the release records."""
    return out.parent / "probes" / f"torch-{release}.json"


def find_python(version: str) -> str:
    """The interpreter of ``version`` ("3.7"): pyenv's, else one on PATH; SystemExit naming the fix."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob(f"{version}.*/bin/python"))
    if found:
        return str(found[-1])
    on_path = shutil.which(f"python{version}")
    if on_path:
        return on_path
    raise SystemExit(f"no Python {version} found: install it (pyenv install {version}) to mine its releases")


def write_record(record: dict, path: Path) -> None:
    """``record`` as deterministic JSON: sorted keys, compact, one message or name list per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, sort_keys=True, indent=0, separators=(",", ":"), ensure_ascii=False) + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else the platform's word for it."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _extract(release: str, venv_python: Path, folder: Path, env: dict, out: Path) -> None:
    raw = folder / "record.json"
    subprocess.run([str(venv_python), str(EXTRACT), str(raw)], env=env, check=True, cwd=str(folder))
    record = json.loads(raw.read_text(encoding="utf-8"))
    if record["torch"].split("+")[0] != release:
        raise RuntimeError(f"asked for torch {release}, the venv holds {record['torch']}")
    record["torch"] = release
    write_record(record, record_path(out, release))


def _probes(release: str, venv_python: Path, folder: Path, env: dict, out: Path) -> None:
    """The catalog's probes (``python -m matrix.probes``) on this release, with its Python, CPU and date."""
    raw = folder / "probes.json"
    version = subprocess.run([str(venv_python), "-c", "import platform, torch; print(torch.__version__, "
                              "platform.python_version())"], env=env, check=True, capture_output=True,
                             text=True).stdout.split()
    subprocess.run([str(venv_python), "-m", "matrix.probes", "--out", str(raw)], check=True, timeout=PROBE_TIMEOUT,
                   cwd=str(ROOT), env=dict(env, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1"))
    record = {"torch": release, "torch_build": version[0], "python": version[1], "cpu": cpu_model(),
              "machine": platform.machine(), "date": time.strftime("%Y-%m-%d", time.gmtime()),
              "probes": json.loads(raw.read_text(encoding="utf-8"))}
    write_record(record, probe_path(out, release))


STEPS = {"extract": _extract, "probes": _probes}


def mine_one(release: str, out: Path, log: TextIO, workdir: Optional[Path] = None,
             steps: Tuple[str, ...] = ("extract",)) -> int:
    """Install, run ``steps`` (extract: the record; probes: the catalog's probes), delete; returns the
    peak bytes the release's folder held."""
    python = find_python(python_of(release))
    folder = Path(tempfile.mkdtemp(prefix=f"upstream-torch-{release}-", dir=workdir))
    try:
        env = dict(os.environ, UV_CACHE_DIR=str(folder / "cache"), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
        venv = folder / "venv"
        subprocess.run(["uv", "venv", "-q", "-p", python, str(venv)], env=env, check=True)
        started = time.monotonic()
        # torch 1.10 imports pkg_resources.packaging and 2.1's optimizers import pkg_resources; uv's venvs have
        # no setuptools, 70 dropped pkg_resources.packaging and 67.5 made importing pkg_resources warn
        extra = ["setuptools<67.5"] if key(release) < (2, 2) else []
        subprocess.run(["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python"), f"torch=={release}",
                        numpy_of(release)] + extra, env=env, check=True)
        peak = folder_bytes(folder, on_disk=True)
        print(f"  installed {release} in {time.monotonic() - started:.0f} s, folder {peak / 1e9:.1f} GB",
              file=log, flush=True)
        for step in steps:
            STEPS[step](release, venv / "bin" / "python", folder, env, out)
        return peak
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def mine(releases: Iterable[str], out: Path, log: TextIO, redo: bool = False, workdir: Optional[Path] = None,
         steps: Tuple[str, ...] = ("extract",)) -> int:
    """Run ``steps`` on each release not yet recorded in ``out`` (all of them with ``redo``); exit status."""
    failed: List[str] = []
    peak = 0
    done = probe_path if steps == ("probes",) else record_path
    for release in releases:
        if done(out, release).exists() and not redo:
            print(f"{release}: recorded already ({done(out, release)})", file=log, flush=True)
            continue
        started = time.monotonic()
        print(f"{release}: {', '.join(steps)} (Python {python_of(release)})", file=log, flush=True)
        try:
            size = mine_one(release, out, log, workdir, steps)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError, OSError,
                ValueError) as error:
            failed.append(release)
            print(f"{release}: FAILED: {error}", file=log, flush=True)
            continue
        peak = max(peak, size)
        print(f"{release}: done in {time.monotonic() - started:.0f} s; peak so far {peak / 1e9:.1f} GB",
              file=log, flush=True)
    print(f"peak folder size {peak / 1e9:.1f} GB; failed: {', '.join(failed) or 'none'}", file=log, flush=True)
    return 1 if failed else 0


__all__ = ["EXTRACT", "RECORDS", "STEPS", "cpu_model", "mine", "mine_one", "probe_path", "record_path", "write_record"]
