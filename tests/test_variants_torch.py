"""The legacy and tensor_autograd variants (16 scripts): they run to the end, learn, agree with each
other bit for bit, are reproducible, refuse a CUDA device they cannot have, and run as plain
``python variants/<era>/<example>.py`` where the project is installed.

Each script runs once at its default step count (500) with ``--log-every 1``; that one run serves
the "runs to the end", "loss falls" and "legacy == tensor_autograd" checks. The reproducibility
checks add two 5-step runs per script.
"""
from __future__ import annotations

import functools
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, parse_losses, run_variant, variant_path

torch = pytest.importorskip("torch", reason="torch is not installed in this environment")

from matrix import EXAMPLES as ALL_EXAMPLES  # noqa: E402

ERAS = ("legacy", "tensor_autograd")  # modern has its own file: a different problem (sin(x))
EXAMPLES = tuple(ex for ex in ALL_EXAMPLES if ex != "tf_static_graph")  # TensorFlow: test_variants_modern
STEPS = 500  # the tutorial's, the scripts' default

# Loss fall = first loss / last loss over the 500 default steps at seed 0 (the same for both eras:
# see test_legacy_equals_tensor_autograd). Measured on torch 2.15.0+cu132 (CPU) / NumPy 2.4.6 at
# seeds 0-4. Each threshold sits orders of magnitude below the smallest fall measured, so another
# BLAS, CPU or torch build does not trip it, yet far above what a script that does not learn gives
# (a fall of ~1, or below 1 when it diverges). For dynamic_net, whose random depth and momentum
# make the tail jumpy, the table also gives the fall to the *worst* of the last 50 losses: the
# threshold is below that too, so a spike on the last step cannot fail it.
#
# | example         | seed 0 | seeds 0-4: min .. max  | worst of last 50, min | threshold | margin |
# | --------------- | ------ | ---------------------- | --------------------- | --------- | ------ |
# | numpy_warmup    | 3.8e11 | 3.8e11 .. 2.2e17       | 2.1e12                | 1e6       | 10^5   |
# | tensors         | 9.7e11 | 3.6e10 .. 1.6e12       | 9.1e9                 | 1e6       | 10^4   |
# | autograd        | 9.8e11 | 3.6e10 .. 1.6e12       | 9.1e9                 | 1e6       | 10^4   |
# | custom_function | 9.7e11 | 3.6e10 .. 1.6e12       | 9.1e9                 | 1e6       | 10^4   |
# | nn              | 4.3e7  | 4.3e7 .. 1.1e9         | 1.1e7                 | 1e4       | 10^3   |
# | optim           | 9.4e8  | 3.7e8 .. 2.4e12        | 2.5e7                 | 1e5       | 10^3   |
# | custom_module   | 4.3e7  | 4.3e7 .. 1.1e9         | 1.1e7                 | 1e4       | 10^3   |
# | dynamic_net     | 3.2e3  | 3.5e2 .. 1.0e4         | 80                    | 30        | 2.7x   |
#
# (float32 examples stop near 1e-5 .. 1e-10 from ~3e7 (hand-written nets: unit-variance weights)
# or ~650 (nn.Linear's scaled init); NumPy's float64 keeps falling.)
MIN_FALL = {
    "numpy_warmup": 1e6,
    "tensors": 1e6,
    "autograd": 1e6,
    "custom_function": 1e6,
    "nn": 1e4,
    "optim": 1e5,
    "custom_module": 1e4,
    "dynamic_net": 30.0,
}


@functools.lru_cache(maxsize=None)
def full_run(era: str, example: str):
    """Seed 0, the default 500 steps, every step printed."""
    return run_variant(era, example, "--log-every", "1")


def loss_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if parse_losses(line)]


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("era", ERAS)
def test_runs_to_the_end_and_loss_falls(era, example):
    proc = full_run(era, example)
    assert proc.returncode == 0, proc.stderr
    # The shims exist so that the legacy code runs without torch's deprecation warnings.
    assert "Warning" not in proc.stderr, proc.stderr
    losses = parse_losses(proc.stdout)
    assert [t for t, _ in losses] == list(range(STEPS))
    values = [v for _, v in losses]
    assert all(math.isfinite(v) for v in values)
    fall = values[0] / values[-1]
    assert fall >= MIN_FALL[example], f"loss fell only {fall:.3g}x ({values[0]:.6g} -> {values[-1]:.6g})"


@pytest.mark.parametrize("example", EXAMPLES)
def test_legacy_equals_tensor_autograd(example):
    """Same seed, same torch, CPU: the 2017 spelling and the 2019 spelling compute the same numbers."""
    legacy, modern = full_run("legacy", example), full_run("tensor_autograd", example)
    assert legacy.returncode == 0 and modern.returncode == 0
    assert parse_losses(legacy.stdout) == parse_losses(modern.stdout)


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("era", ERAS)
def test_same_seed_same_output_different_seed_different_output(era, example):
    # A step's numbers do not depend on how many steps follow, so a 5-step run with the same seed
    # must print exactly the first 5 lines of the full run; with another seed, other numbers.
    reference = loss_lines(full_run(era, example).stdout)[:5]
    same = run_variant(era, example, "--steps", "5", "--log-every", "1", "--seed", "0")
    other = run_variant(era, example, "--steps", "5", "--log-every", "1", "--seed", "1")
    assert same.returncode == 0 and other.returncode == 0
    assert loss_lines(same.stdout) == reference
    other_lines = loss_lines(other.stdout)
    assert len(other_lines) == 5
    assert all(a != b for a, b in zip(other_lines, reference))


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("era", ERAS)
def test_cuda_without_a_device_exits_69(era, example):
    if example != "numpy_warmup" and torch.cuda.is_available():
        pytest.skip("torch sees a CUDA device here, so --device cuda is not refused")
    proc = run_variant(era, example, "--device", "cuda")
    assert proc.returncode == 69
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert "--device cuda" in proc.stderr and "Traceback" not in proc.stderr
    assert parse_losses(proc.stdout) == []


# --- as a person runs them: no PYTHONPATH ------------------------------------------------------------
def _without_pythonpath() -> dict:
    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


@pytest.mark.parametrize("era", ERAS)
def test_runs_as_a_plain_file_where_the_project_is_installed(era, tmp_path):
    """``python variants/<era>/nn.py`` from any directory, with no PYTHONPATH: the legacy scripts
    import ``shims``, which the interpreter then finds only where the project is installed
    (``pip install -e .``, as the nox tests session does). The scripts keep that import rather than
    edit sys.path, so this holds only there: elsewhere the test says why it skips. (The
    tensor_autograd scripts import nothing of ours and run anywhere: tests/test_standalone.py.)"""
    env = _without_pythonpath()
    found = subprocess.run([sys.executable, "-c", "import shims; print(shims.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    if found.returncode != 0:
        pytest.skip("without PYTHONPATH this interpreter cannot import shims: the project is not installed "
                    "(pip install -e .), so python variants/... needs PYTHONPATH=. here")
    where = Path(found.stdout.strip()).resolve().parent
    if where != (ROOT / "shims").resolve():
        pytest.skip(f"without PYTHONPATH this interpreter imports shims from {where}, not from this checkout "
                    "(installed from another one, or not editable): this checkout's scripts would run on those shims")
    proc = subprocess.run([sys.executable, str(variant_path(era, "nn")), "--steps", "2", "--log-every", "1"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    # the numbers of the run with PYTHONPATH set: the same code, found another way
    assert loss_lines(proc.stdout) == loss_lines(full_run(era, "nn").stdout)[:2]
