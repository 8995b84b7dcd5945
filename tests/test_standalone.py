"""The tensor_autograd and modern scripts stand alone: each one, copied by itself into an empty folder,
runs there with an interpreter that has torch, numpy and tensorflow but not this project.

That is how README says to take a script, and what tests/test_variant_rules.py checks on the syntax
tree (no import of ours); here the copies run. The test session itself has the project importable
(installed editable by the nox tests session, or on PYTHONPATH), so "not installed" is made
explicit: a folder first on PYTHONPATH holds stub packages ``shims`` and ``matrix`` whose import
raises ImportError, and each test first checks that ``import shims`` does fail in that environment,
so that a pass proves the isolation instead of assuming it. Three steps each: importing torch takes
most of the few seconds a script needs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, LOSS_LINE, needs, variant_path

STANDALONE_ERAS = ("tensor_autograd", "modern")
SCRIPTS = [(era, example) for era in STANDALONE_ERAS for example in EXAMPLES]
STUB = 'raise ImportError("this project is not installed here (test_standalone)")\n'
STEPS = 3


def backend(example: str) -> str:
    return {"tf_static_graph": "tensorflow", "numpy_warmup": "numpy"}.get(example, "torch")


@pytest.fixture(scope="module")
def not_installed(tmp_path_factory) -> Path:
    """A folder of stubs for this project's packages: first on PYTHONPATH, it hides the real ones."""
    stubs = tmp_path_factory.mktemp("project_not_installed")
    for package in ("shims", "matrix"):
        (stubs / package).mkdir()
        (stubs / package / "__init__.py").write_text(STUB)
    return stubs


@pytest.mark.parametrize("era,example", SCRIPTS, ids=[f"{e}/{x}" for e, x in SCRIPTS])
def test_a_copy_alone_runs_where_the_project_is_not_installed(era, example, not_installed, tmp_path):
    needs(backend(example))
    folder = tmp_path / "copied"
    folder.mkdir()
    copy = Path(shutil.copy(variant_path(era, example), folder / f"{example}.py"))
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update(PYTHONPATH=str(not_installed), TF_CPP_MIN_LOG_LEVEL="2")
    env.setdefault("OMP_NUM_THREADS", "1")  # as the matrix runs a cell; the models are tiny

    probe = subprocess.run([sys.executable, "-c", "import shims"], cwd=folder, env=env,
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and "this project is not installed here" in probe.stderr, (
        f"the isolation does not hold: `import shims` here gave exit {probe.returncode}, {probe.stderr[-500:]!r}")

    proc = subprocess.run([sys.executable, str(copy), "--steps", str(STEPS), "--log-every", "1"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "shims" not in proc.stderr and "No module named" not in proc.stderr, proc.stderr[-3000:]
    steps = [int(m[1]) for line in proc.stdout.splitlines() if (m := LOSS_LINE.match(line))]
    assert steps == list(range(STEPS)), proc.stdout
    assert sorted(p.name for p in folder.iterdir() if p.name != "__pycache__") == [copy.name]
