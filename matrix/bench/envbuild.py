"""A pin's virtualenv, built and timed: warm (uv's shared cache) and, with ``--cold``, cold.

What a matrix session pays before its first cell (:func:`matrix.running.session.install_pin`): ``uv venv``
with the pin's Python, then ``uv pip install --compile-bytecode`` of the pin's requirements
(:func:`matrix.running.environment.requirements`, with ``TORCH_INDEX_URL``'s options). Timed from the start of
``uv venv`` to the end of the install.

- warm: uv's shared cache, as a second run of the matrix finds it (the wheels normally already
  there). This build is the bench's own environment for the pin, ``.nox/bench-torch-<pin>``, which the
  timings then use;
- cold: ``UV_CACHE_DIR`` set to a fresh empty folder, so every wheel is downloaded; that folder's size
  afterwards is the download. The venv and the cache go to a temporary folder, deleted right after
  the measurement (gigabytes per pin).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

from matrix import ROOT
from matrix.running import environment

#: The bench's own environments, one per pin (ignored by git, as all of .nox/).
ENVS = ROOT / ".nox"


@dataclass(frozen=True)
class Build:
    """One environment build: seconds (start of ``uv venv`` to end of the install), exit status, output."""

    seconds: float
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self) -> str:
        """One line for a not-run reason: the exit status and uv's last line."""
        return f"building the environment failed (exit status {self.returncode}): " \
               f"{(self.output.strip().splitlines() or [''])[-1][:300]}"


def env_folder(torch: str) -> Path:
    """``.nox/bench-torch-2-15-0`` for torch 2.15.0 (nox's way of naming a folder after a session)."""
    return ENVS / f"bench-torch-{torch.replace('.', '-')}"


def interpreter(folder: Path) -> Path:
    return folder / "bin" / "python"


def uv() -> str:
    """uv on PATH, else next to this interpreter (a virtualenv with the ci group)."""
    return shutil.which("uv") or os.path.join(os.path.dirname(sys.executable), "uv")


def build(python: str, folder: Path, requirements: Sequence[str], cache: Optional[Path] = None) -> Build:
    """A fresh virtualenv at ``folder`` (removed first) with ``requirements``, timed; ``cache``: uv's
    cache folder for this build (None: uv's shared one)."""
    if folder.exists():
        shutil.rmtree(folder)
    env: Mapping[str, str] = dict(os.environ, UV_CACHE_DIR=str(cache)) if cache else dict(os.environ)
    output = []
    start = time.monotonic()
    for cmd in ([uv(), "venv", "--quiet", "--python", python, str(folder)],
                [uv(), "pip", "install", "--compile-bytecode", "--python", str(interpreter(folder)),
                 *environment.index_args(), *requirements]):
        done = subprocess.run(cmd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output.append(" ".join(cmd) + "\n" + done.stdout)
        if done.returncode != 0:
            return Build(time.monotonic() - start, done.returncode, "\n".join(output))
    return Build(time.monotonic() - start, 0, "\n".join(output))


def folder_bytes(folder: Path, *, on_disk: bool = False) -> int:
    """Bytes of the files under ``folder``, each file counted once (uv's cache hard-links); ``on_disk``:
    the blocks they take rather than their sizes (what a disk budget sees)."""
    seen = set()
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                stat = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) not in seen:
                seen.add((stat.st_dev, stat.st_ino))
                total += stat.st_blocks * 512 if on_disk else stat.st_size
    return total


def cold_build(python: str, requirements: Sequence[str]) -> tuple[Build, int]:
    """A build with an empty cache of its own, in a temporary folder deleted afterwards; (build, bytes
    the cache held afterwards: what was downloaded, unpacked as uv keeps it)."""
    with tempfile.TemporaryDirectory(prefix="bench-cold-", dir=ENVS if ENVS.is_dir() else None) as tmp:
        cache = Path(tmp) / "uv-cache"
        cache.mkdir()
        result = build(python, Path(tmp) / "venv", requirements, cache=cache)
        size = folder_bytes(cache)
        # uv marks parts of its cache read-only; make them removable for the context manager's cleanup.
        subprocess.run(["chmod", "-R", "u+w", tmp], check=False)
    return result, size
