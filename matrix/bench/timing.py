"""Timings taken in a pin's interpreter: one variant run once, and the size sweep.

A variant runs as the matrix runs a cell (:mod:`matrix.running.cell`): under :mod:`matrix.running.trace`, in a fresh
process, the project on PYTHONPATH, one compute thread (:func:`matrix.running.cell.child_env`), classified by
:func:`matrix.running.cell.classify`; and under :mod:`matrix.bench.stamp`, which stamps each printed line in
the child itself. Its seconds per step is :func:`matrix.running.cell.seconds_per_step` of those stamps: the
time between the first and the last loss line over the steps between them, so the interpreter's
start, the imports and the setup are not in it. ``--log-every`` is larger than the matrix's 1 so that printing (and the trace's
line handling here) does not weigh on the step.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from matrix import PASSING, ROOT
from matrix.running import cell as matrix_cell
from matrix import launch

SWEEP_SCRIPT = Path(__file__).resolve().parent / "sweep.py"


@dataclass(frozen=True)
class Timing:
    """One run: its seconds per step (None unless it passed with two loss lines), status and why not."""

    seconds_per_step: Optional[float]
    status: str
    reason: Optional[str]

    @property
    def measured(self) -> bool:
        return self.seconds_per_step is not None


def run_variant(python: str, era: str, example: str, *, steps: int, log_every: int, device: str = "cpu",
                timeout: float = 600, seed: int = 0) -> Timing:
    """Run ``variants/<era>/<example>.py`` once in ``python`` (a fresh process); its seconds per step.

    A run that did not pass (an exception, a signal, the timeout, no loss line, a nan loss) gives no
    time: its status and reason say why (:func:`matrix.running.cell.classify`)."""
    script = ROOT / "variants" / era / f"{example}.py"
    env = matrix_cell.child_env(os.environ, ROOT)
    env["PYTHONUNBUFFERED"] = "1"
    args = ["--steps", str(steps), "--log-every", str(log_every), "--seed", str(seed), "--device", device]
    with tempfile.TemporaryDirectory(prefix="matrix-bench-") as tmp:
        report_path, stamps_path = os.path.join(tmp, "report.json"), os.path.join(tmp, "stamps.json")
        raw = launch.run_process([python, "-m", "matrix.bench.stamp", stamps_path, report_path, str(script),
                                       *args], timeout=timeout, cwd=ROOT, env=env)
        report = _load(report_path)
        stamped = _load(stamps_path)
    outcome = matrix_cell.classify(raw, report)
    if outcome["status"] not in PASSING:
        return Timing(None, outcome["status"], outcome.get("reason"))
    if stamped is None:
        return Timing(None, "failed", "the run passed but wrote no stamps (matrix.bench.stamp)")
    # The child's own stamps (matrix/bench/stamp.py says why the parent's read times won't do).
    sps = matrix_cell.seconds_per_step(matrix_cell.parse_losses([(t, line) for t, line in stamped]))
    if sps is None:
        return Timing(None, "failed", f"fewer than two loss lines with --steps {steps} --log-every {log_every}")
    return Timing(sps, outcome["status"], None)


def _load(path: str) -> Any:
    """A JSON file the child wrote, or None when it wrote none (killed first)."""
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def run_sweep(python: str, sizes: Sequence[int], *, steps: int, warmup: int, devices: Sequence[str] = ("cpu", "cuda"),
              timeout: float = 1800) -> Dict[str, Any]:
    """Run :mod:`matrix.bench.sweep` in ``python`` (one process, one compute thread); its JSON.

    Raises RuntimeError with the process's last line when it fails."""
    env = matrix_cell.child_env(os.environ)
    cmd = [python, str(SWEEP_SCRIPT), "--sizes", *map(str, sizes), "--steps", str(steps), "--warmup", str(warmup),
           "--devices", *devices]
    raw = launch.run_process(cmd, timeout=timeout, cwd=ROOT, env=env)
    if raw["timed_out"] or raw["returncode"] != 0:
        why = f"timed out after {timeout:g} s" if raw["timed_out"] else f"exit status {raw['returncode']}"
        raise RuntimeError(f"the size sweep failed ({why}): {matrix_cell.last_line(raw['stderr'])}")
    return json.loads(raw["lines"][-1][1])


def this_python() -> str:
    """The interpreter the bench runs in (``--installed`` without MATRIX_PYTHON)."""
    return os.environ.get("MATRIX_PYTHON") or sys.executable


def timings_of(runs: List[Timing]) -> List[float]:
    """The seconds per step of ``runs``, all measured (callers check first)."""
    return [run.seconds_per_step for run in runs if run.seconds_per_step is not None]
