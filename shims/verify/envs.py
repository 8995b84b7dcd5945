"""The environments verify runs a script in: one virtualenv per torch pin, built as the matrix builds
its own (:mod:`matrix.running.environment`: uv, the pin's NumPy and TensorFlow, uv's cache) and reused.

Where to look, in order: a matrix session's virtualenv under the project's ``.nox/`` that already
holds the pin (``nox -s legacy`` built it), then verify's own under ``SHIMS_VERIFY_ENVS`` (default
``~/.cache/pytorch-examples-eras/verify``), built there the first time. The Python is found as the
matrix finds it (:func:`matrix.running.interpreters.find_python`).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from matrix.running import environment, interpreters
from matrix.facts.pins import Pin

ROOT = Path(__file__).resolve().parents[2]
#: what the first build of a pin costs, measured (docs/performance.md: env builds, warm and cold)
FIRST_COST = "about 5-35 s with uv's cache warm, up to 7 GB of downloads into uv's cache when it is cold"


class NoEnvironment(Exception):
    """A pin that cannot be had here: no Python for it, or its torch does not install."""


@dataclass
class Env:
    pin: Pin
    python: str
    info: dict  # matrix.running.environment.describe of it
    built: bool  # built by this call (False: reused)
    seconds: float


def home() -> Path:
    """Where verify keeps the environments it builds."""
    base = os.environ.get("SHIMS_VERIFY_ENVS")
    if base:
        return Path(base)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pytorch-examples-eras" / "verify"


def tensorflow_of(pin: Pin, needs_tensorflow: bool) -> Optional[str]:
    return pin.tensorflow if needs_tensorflow else None


def _satisfies(python: str, pin: Pin, tensorflow: Optional[str]) -> Optional[dict]:
    try:
        info = environment.describe(python)
    except (RuntimeError, OSError, subprocess.SubprocessError):
        return None
    return info if environment.satisfied(info, pin.torch, pin.numpy, tensorflow) else None


def _nox_envs() -> list:
    nox_dir = ROOT / ".nox"
    return sorted(nox_dir.glob("*/bin/python")) if nox_dir.is_dir() else []


def ensure(pin: Pin, needs_tensorflow: bool, say: Callable[[str], None]) -> Env:
    """The pin's environment, reused or built; :class:`NoEnvironment` where it can't be had."""
    started = time.monotonic()
    tensorflow = tensorflow_of(pin, needs_tensorflow)
    for python in _nox_envs():
        info = _satisfies(str(python), pin, tensorflow)
        if info and info.get("python", "").startswith(pin.python + "."):
            return Env(pin, str(python), info, False, time.monotonic() - started)
    folder = home() / f"torch{pin.torch}-py{pin.python}{'-tf' if tensorflow else ''}"
    python = folder / "bin" / "python"
    if python.exists():
        info = _satisfies(str(python), pin, tensorflow)
        if info:
            return Env(pin, str(python), info, False, time.monotonic() - started)
    search = interpreters.find_python(pin.python)
    if not search.found:
        raise NoEnvironment(search.remedy(f"torch {pin.torch} runs on Python {pin.python}"))
    say(f"building the torch {pin.torch} environment (Python {pin.python}) in {folder}: {FIRST_COST}; "
        "later runs reuse it")
    folder.parent.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv") or os.path.join(os.path.dirname(sys.executable), "uv")  # as environment.install
    made = subprocess.run([uv, "venv", "--quiet", "--allow-existing", "--python", search.found, str(folder)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise NoEnvironment(f"uv venv {folder} failed: {made.stderr.strip()[-500:]}")
    reqs = environment.requirements(pin.torch, pin.numpy, tensorflow)
    rc, output = environment.install(str(python), reqs, environment.index_args())
    if rc != 0:
        missing = environment.no_distribution(output, "torch")
        raise NoEnvironment(missing or f"installing {' '.join(reqs)} failed (exit {rc}): "
                                       f"{output.strip().splitlines()[-1] if output.strip() else ''}")
    info = environment.describe(str(python))
    say(f"built the torch {pin.torch} environment in {time.monotonic() - started:.0f} s")
    return Env(pin, str(python), info, True, time.monotonic() - started)

