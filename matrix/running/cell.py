"""Run one matrix cell (an example, in its own process) and classify what happened.

A cell is ``python -m matrix.running.trace REPORT.json variants/<era>/<example>.py --log-every 1 --seed S
--device D`` in the session's interpreter, with PYTHONUNBUFFERED=1 so that each ``step loss`` line
reaches us when it is printed: its arrival time is stamped here, and ``seconds_per_step`` is the time
between the first and the last loss line over the steps between them (import time and setup excluded).

Status of a cell (contract):

- ``passed``: exit 0, at least one loss line, no warning from the script's own code;
- ``passed_with_warnings``: the same with warnings from the script's own code (listed; reason = the
  first);
- ``failed``: an exception (recorded type and message), a non-zero exit, or no loss line at all;
- ``crashed``: killed by a signal (the signal's name), or still running at the timeout (killed);
- ``diverged``: it would have passed, but a loss line printed nan or inf (the run diverged); reason =
  the first non-finite step and value ("loss nan at step 12 (first non-finite of 50 steps)");
- ``nondeterministic``: run again with the same seed in a fresh process (``--repeats``, 2 runs by
  default), it printed other losses (compared exactly, nan equal to nan), another number of them,
  or ended with another status; reason = the first step that differs and both values, and how each
  run ended where that differs ("run 1 passed, run 2 diverged: ..."). Otherwise the cell is the first
  run's, with the later runs' wall times;
- ``not_run``: exit status 69 (the script says this machine lacks the device), or decided before
  running (no GPU, no interpreter, no TensorFlow for this pin...).

Only ``passed`` and ``passed_with_warnings`` count as passed: ``not_run`` never does, and a diverged
or nondeterministic cell ran to the end but its numbers are no result (``matrix.UNTRUSTED``).

Warnings shown while a module was being imported (TensorFlow's or NumPy's own at ``import
tensorflow``: :mod:`matrix.running.trace` tells them apart) are kept apart as ``import_warnings``, each naming
the import, and never make a cell "passed_with_warnings": they are the installed libraries' news, not
the tutorial code's.

Whether a cell is expected to pass is :mod:`matrix.facts.expected`'s; the session around the cells
(install the pin, run every cell and the probes, write the record) is :mod:`matrix.running.session`'s.
"""
from __future__ import annotations

import json
import math
import os
import re
import signal
from pathlib import Path
from typing import Any, Mapping, Sequence, Tuple

from matrix import FAILING, ROOT
from matrix import launch
from matrix.running import options, scratch
from matrix.launch import RawRun, run_process  # noqa: F401  (spawning a process is launch's; named here too)
from matrix.records.schema import CellRun, Outcome

LOSS_LINE = re.compile(r"^(\d+) (\S+)$")
EXIT_UNAVAILABLE = 69
#: One compute thread per cell unless the caller sets these. The tutorial's models are tiny, so one
#: thread is as fast as many on a quiet machine; the float sums no longer depend on the machine's core
#: count (torch 1.8.1 custom_function, 100 steps: loss 427.8185 with 1 thread, 427.81805 with 2); and
#: OpenMP's spinning threads don't collapse on a shared runner (measured on 2 busy cores: 3.3 ms/step
#: with 1 thread, 78 ms/step with 2).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
DEFAULT_TIMEOUT = options.DEFAULT_TIMEOUT
DEFAULT_REPEATS = options.DEFAULT_REPEATS
AS_PUBLISHED = ROOT / "matrix" / "as_published"


def parse_losses(lines: Sequence[tuple]) -> list:
    """``(stamp, text)`` lines -> ``[(stamp, step, loss)]`` for lines of the form ``<int> <float>``."""
    out = []
    for stamp, text in lines:
        match = LOSS_LINE.match(text.strip())
        if not match:
            continue
        try:
            loss = float(match.group(2))
        except ValueError:
            continue
        out.append((stamp, int(match.group(1)), loss))
    return out


def seconds_per_step(curve: Sequence[tuple]) -> float | None:
    """Time between the first and last loss line over the steps between them (needs two lines)."""
    if len(curve) < 2:
        return None
    (t0, s0, _), (t1, s1, _) = curve[0], curve[-1]
    if s1 <= s0:
        return None
    return (t1 - t0) / (s1 - s0)


def first_non_finite(curve: Sequence[tuple]) -> tuple | None:
    """The first ``(stamp, step, loss)`` of ``curve`` whose loss is nan or inf, or None."""
    return next((point for point in curve if not math.isfinite(point[2])), None)


def divergence_reason(curve: Sequence[tuple]) -> str:
    """Why a curve is "diverged": its first non-finite loss, and how many loss lines there were, so
    that a blow-up at the last step reads differently from one at the first."""
    _, step, loss = first_non_finite(curve)  # type: ignore[misc]
    return f"loss {loss} at step {step} (first non-finite of {len(curve)} steps)"


def signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def last_line(text: str) -> str:
    """The last non-blank line of ``text``, stripped ("" if none)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def classify(raw: Mapping[str, Any], report: Mapping[str, Any] | None) -> Outcome:
    """Status, reason, error, signal of one run, from the process outcome and the trace report."""
    rc = raw.get("returncode")
    stderr = raw.get("stderr") or ""
    losses = parse_losses(raw.get("lines") or [])
    warnings = list((report or {}).get("warnings") or [])
    error = (report or {}).get("error")
    out: dict = {"warnings": warnings, "error": error, "returncode": rc, "signal": None}
    if raw.get("timed_out"):
        out.update(status="crashed", signal="SIGKILL",
                   reason=f"still running after the {raw.get('timeout'):g} s timeout (hang or far too slow); killed"
                          + (f" after step {losses[-1][1]}" if losses else " before the first loss line"))
    elif rc is not None and rc < 0:
        name = signal_name(rc)
        when = "after the script finished (at interpreter exit)" if (report or {}).get("finished") else (
            f"after step {losses[-1][1]}" if losses else "before the first loss line")
        out.update(status="crashed", signal=name, reason=f"killed by {name} {when}")
    elif rc == EXIT_UNAVAILABLE:
        out.update(status="not_run", reason=last_line(stderr) or "exit status 69: device unavailable")
    elif error:
        out.update(status="failed", reason=f"{error.get('type')}: {error.get('message')}".strip())
    elif rc != 0:
        detail = last_line(stderr)
        if report is None:
            detail = f"no trace report; {detail}" if detail else "no trace report"
        out.update(status="failed", reason=f"exit status {rc}" + (f": {detail}" if detail else ""))
    elif not losses:
        printed = [text.strip() for _, text in raw.get("lines") or [] if text.strip()]
        seen = f" (it printed {printed[0][:120]!r} instead)" if printed else ""
        out.update(status="failed", reason=f"exit status 0 but no `step loss` line on stdout{seen}")
    elif first_non_finite(losses):
        out.update(status="diverged", reason=divergence_reason(losses))
    elif warnings:
        first = warnings[0]
        more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
        out.update(status="passed_with_warnings", reason=f"{first.get('category')}: {first.get('message')}{more}")
    else:
        out.update(status="passed", reason=None)
    return out


def child_env(base: Mapping[str, str], *paths: str | os.PathLike) -> dict:
    """The environment of a process run in a session's interpreter: ``paths`` first on PYTHONPATH, one
    compute thread (see THREAD_VARIABLES) and TensorFlow's C++ log quieted, unless ``base`` sets them."""
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (*map(str, paths), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in THREAD_VARIABLES:
        env.setdefault(name, "1")
    return env


def run_cell(python: str, era: str, example: str, *, device: str = "cpu", seed: int = 0, steps: int | None = None,
             timeout: float = DEFAULT_TIMEOUT, root: str | os.PathLike = ROOT, script: str | os.PathLike | None = None,
             env: Mapping[str, str] | None = None, mode: str = "variant", repeats: int = DEFAULT_REPEATS,
             launcher: launch.Launcher | None = None) -> CellRun:
    """Run one example ``repeats`` times, each in its own process with the same seed; returns the
    measured part of a cell record: the first run's, "nondeterministic" if another differs.

    ``mode="as_published"`` puts matrix/as_published first on PYTHONPATH, so the script's
    ``import shims...`` gets the 2017 code each adapter replaced: the cell shows what the original
    tutorial does on this torch.

    The runs are compared by :func:`compare_runs`; one that was not run (exit 69) or hit the timeout
    is not run again (another ``timeout`` seconds would say nothing new about the numbers).

    ``launcher``: how each run's process starts (:mod:`matrix.launch`: forked from a warm parent, or
    spawned); None spawns.
    """
    def once() -> Tuple[CellRun, bool]:
        return run_once(python, era, example, device=device, seed=seed, steps=steps, timeout=timeout, root=root,
                        script=script, env=env, mode=mode, launcher=launcher)

    first, timed_out = once()
    runs = [first]
    if first["status"] != "not_run" and not timed_out:
        runs += [once()[0] for _ in range(repeats - 1)]
    return compare_runs(runs)


def run_once(python: str, era: str, example: str, *, device: str, seed: int, steps: int | None, timeout: float,
             root: str | os.PathLike, script: str | os.PathLike | None, env: Mapping[str, str] | None,
             mode: str, launcher: launch.Launcher | None = None) -> Tuple[CellRun, bool]:
    """Run one example once in its own process: (the measured part of a cell record, whether it was
    killed at the timeout). :func:`run_cell`'s arguments."""
    root = Path(root)
    script = Path(script) if script else root / "variants" / era / f"{example}.py"
    args = ["--log-every", "1", "--seed", str(seed), "--device", device]
    if steps:
        args += ["--steps", str(steps)]
    first = [AS_PUBLISHED] if mode == "as_published" else []
    run_env = child_env(os.environ if env is None else env, *first, root)
    run_env["PYTHONUNBUFFERED"] = "1"
    with scratch.folder("matrix-cell-") as tmp:  # removed when a kill leaves it: scratch.sweep
        report_path = os.path.join(tmp, "report.json")
        argv = [report_path, str(script), *args]
        if launcher is None:
            raw = run_process([python, "-m", "matrix.running.trace", *argv], timeout=timeout, cwd=root, env=run_env)
        else:
            raw = launcher.run(python, argv, timeout=timeout, cwd=root, env=run_env, script=script)
        report = None
        if os.path.exists(report_path):
            with open(report_path, encoding="utf-8") as handle:
                report = json.load(handle)
    curve = parse_losses(raw["lines"])
    cell = classify(raw, report)
    cell.update({
        "mode": mode,
        "steps": steps or (curve[-1][1] + 1 if curve else 0),
        "seed": seed,
        "losses": [[step, loss] for _, step, loss in curve],
        "first_loss": curve[0][2] if curve else None,
        "last_loss": curve[-1][2] if curve else None,
        "seconds_per_step": seconds_per_step(curve),
        "wall_seconds": round(raw["wall_seconds"], 3),
        "launch": raw.get("launch", "spawn"),
        "startup_seconds": _rounded(curve[0][0] if curve else None),
        "training_seconds": _rounded(curve[-1][0] - curve[0][0] if curve else None),
        "import_warnings": list((report or {}).get("import_warnings") or []),
        "stderr_tail": (raw.get("stderr") or "")[-2000:] if cell["status"] in FAILING else None,
    })
    if cell["stderr_tail"] is None:
        del cell["stderr_tail"]
    return cell, bool(raw.get("timed_out"))


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 4)


# ------------------------------------------------------------------------------ runs compared
def same_loss(x: float, y: float) -> bool:
    """Exactly the same float, nan being the same as nan (a run that diverges the same way twice is
    reproducible: it is "diverged", not "nondeterministic")."""
    return x == y or (math.isnan(x) and math.isnan(y))


def run_difference(first: Mapping[str, Any], other: Mapping[str, Any], number: int) -> str | None:
    """How run ``number`` differs from run 1 (the first loss that differs, another count of loss
    lines, another status), or None when it printed the same losses and ended the same way."""
    parts = []
    a, b = first.get("losses") or [], other.get("losses") or []
    for (step_a, x), (step_b, y) in zip(a, b):
        if step_a != step_b:
            parts.append(f"run 1 printed step {step_a} where run {number} printed step {step_b}")
            break
        if not same_loss(x, y):
            parts.append(f"loss at step {step_a} differs between runs with the same seed: {x} (run 1), "
                         f"{y} (run {number})")
            break
    else:
        if len(a) != len(b):
            parts.append(f"run 1 printed {len(a)} loss lines, run {number} {len(b)}")
    if first.get("status") != other.get("status"):
        parts.append(f"run 1 {_ended(first)}, run {number} {_ended(other)}")
    return "; ".join(parts) or None


def _ended(run: Mapping[str, Any]) -> str:
    """How a run ended, for a reason: "passed", or "diverged: loss nan at step 3 (...)"."""
    status = str(run.get("status")).replace("_", " ")
    return status if run.get("status") == "passed" or not run.get("reason") else f"{status}: {run['reason']}"


def compare_runs(runs: Sequence[CellRun]) -> CellRun:
    """One cell of several runs of it: the first run's record, its status "nondeterministic" (reason:
    the first run that differs, and how) when another run printed other losses or ended otherwise.
    The later runs' wall times are kept (``repeat_wall_seconds``); their losses are not, since they are
    the first run's, or the reason says where they part."""
    cell = dict(runs[0])
    cell["repeat_wall_seconds"] = [run["wall_seconds"] for run in runs[1:]]
    cell["repeat_startup_seconds"] = [run.get("startup_seconds") for run in runs[1:]]
    cell["repeat_training_seconds"] = [run.get("training_seconds") for run in runs[1:]]
    for number, other in enumerate(runs[1:], start=2):
        difference = run_difference(runs[0], other, number)
        if difference:
            cell.update(status="nondeterministic", reason=difference)
            break
    return cell  # type: ignore[return-value]
