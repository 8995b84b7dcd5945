"""Shared helpers: run a variant the way a person does, as a file in a fresh interpreter; fake probe
observations and catalog entries for the derivations behind docs/ (test_observations, test_pages)."""
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


def rec(outcome, pin="2.4.1", cpu="CPU A", value=None, **kw):
    return dict({"id": "p", "outcome": outcome, "detail": kw.pop("detail", ""), "warnings": [], "error": None,
                 "value": value, "_pin": pin, "_torch": kw.pop("torch", pin), "_cpu": cpu,
                 "_date": kw.pop("date", "2026-01-01T00:00:00Z"), "_session": kw.pop("session", f"s-{pin}-{cpu}"),
                 "_numpy": None, "_tensorflow": kw.pop("tensorflow", None), "_filtered": []}, **kw)


def change(kind="warning", **cited):
    return {"id": "c", "kind": kind, "cited_versions": dict({"source": "https://example.org/notes", "verified": True},
                                                             **cited)}


def python_or_skip(version: str) -> str:
    """The absolute path of a Python ``version`` that runs here (the torch 1.0.1/1.4.0 pins need 3.7),
    found as the matrix finds one (matrix/running/interpreters.py); else the test is skipped, saying so."""
    from matrix.running import interpreters

    found = interpreters.find_python(version).found
    if not found:
        pytest.skip(f"no Python {version} that runs on this machine (pyenv install {version})")
    return found
