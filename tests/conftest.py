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


#: where the tests build the environments of old torch pins (verify's and the target fixtures' old
#: side): kept between test runs, outside the repository, so a second run reuses them
TEST_ENVS = Path(os.environ.get("SHIMS_TEST_ENVS") or Path(__import__("tempfile").gettempdir()) /
                 "pytorch-examples-eras-tests" / "envs")


def oldest_pin_python() -> tuple:
    """(Python of the oldest pin whose interpreter is found here, its torch) built with verify's
    machinery (shims.verify.envs) under TEST_ENVS; (None, why) where it can't be had."""
    import shutil

    from matrix.running.interpreters import find_python
    from matrix.facts.pins import PINS
    from shims.verify import envs

    if not (shutil.which("uv") or os.path.exists(os.path.join(os.path.dirname(sys.executable), "uv"))):
        return None, "uv is not installed (pip install uv): it builds the old torch's environment"
    pin = next((p for p in PINS if find_python(p.python).found), None)
    if pin is None:
        return None, "no Python of any pin is found here"
    saved = os.environ.get("SHIMS_VERIFY_ENVS")
    os.environ["SHIMS_VERIFY_ENVS"] = str(TEST_ENVS)
    try:
        env = envs.ensure(pin, False, lambda _: None)
    except envs.NoEnvironment as exc:
        return None, str(exc)
    finally:
        if saved is None:
            del os.environ["SHIMS_VERIFY_ENVS"]
        else:
            os.environ["SHIMS_VERIFY_ENVS"] = saved
    return env.python, pin.torch


def run_probes(tmp_path_factory, change_ids) -> dict:
    """The probes of ``change_ids`` run once, in a fresh interpreter, as a matrix cell runs them
    (``python -m matrix.probes --only ID ... --out FILE``: some torch warnings are issued once per process):
    the record's probe name -> the record."""
    import json
    import os
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("probes") / "probes.json"
    only = [arg for change_id in change_ids for arg in ("--only", change_id)]
    proc = subprocess.run([sys.executable, "-m", "matrix.probes", *only, "--out", str(out)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {r["id"]: r for r in json.loads(out.read_text())}


def message_body(text: str) -> str:
    """A catalog text without its leading 'Category: ' (the recorded warning's message); a text without a
    category is returned whole."""
    head, sep, rest = text.partition(": ")
    return rest if sep and head.isidentifier() else text
