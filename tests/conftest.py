"""Shared helpers: run a variant the way a person does, as a file in a fresh interpreter."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import ERAS, EXAMPLES, ROOT  # noqa: E402,F401  (the one list of eras and examples)

LOSS_LINE = re.compile(r"^(\d+) (\S+)$")


def variant_path(era: str, example: str) -> Path:
    return ROOT / "variants" / era / f"{example}.py"


def run_variant(era: str, example: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python variants/<era>/<example>.py ARGS`` with the repo root importable, as the matrix runs it."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run(
        [sys.executable, str(variant_path(era, example)), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )


def parse_losses(stdout: str) -> list[tuple[int, float]]:
    """The ``step loss`` lines of a run, in order."""
    return [(int(m[1]), float(m[2])) for line in stdout.splitlines() if (m := LOSS_LINE.match(line.strip()))]


def needs(module: str) -> None:
    """Skip, naming the module, where this environment lacks it."""
    pytest.importorskip(module, reason=f"{module} is not installed in this environment")
