"""The matrix's own cost: the same nox sessions run once per launch way, timed, in one bench run.

    rows = measure_matrix_cost(opts)       # python -m matrix.bench (section "matrix_cost")
    rows = measure(sessions, [("spawn", 1), ("fork", 1), ("fork", 2)], Path("runs/bench/matrix"))

Each way runs ``nox -s SESSION... -- --results DIR --launch L --jobs J`` (the pins' environments
already built: the warm matrix), timed from start to exit. Its records then say, per cell run, the
seconds from launch to the first loss line (interpreter start, imports, setup: ``startup``) and from
the first to the last loss line (``training``); per session, the probes' seconds and the warm
parents' start. The first way is the baseline: every other way's cells must print its losses bit
for bit (a race that is "nondeterministic" either way aside).

The sessions are ``nox -s modern legacy``'s CPU half (the README's main job without its cuda
sessions), for the pins of ``--pins``; the ways are the matrix before the warm parents (every cell
spawned, one at a time), forked one at a time, and forked ``--jobs`` at a time (the default). Each
way writes its records under runs/bench/matrix/ (never results/). The goal (:data:`GOAL`) is judged
against the training time of the first way, whose cells ran one at a time on an otherwise idle
machine: with several cells at once, each cell's own stamps measure a shared machine.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from matrix import ROOT, UNTRUSTED, launch
from matrix.records import results
from matrix.facts.pins import PINS

#: The issue's goal for the fastest way: the whole nox command within this many times its cells'
#: training time.
GOAL = 1.5


def nox_command(sessions: Sequence[str], out: Path, launch: str, jobs: int) -> List[str]:
    return ["nox", "-s", *sessions, "--", "--results", str(out), "--launch", launch, "--jobs", str(jobs)]


def run_way(sessions: Sequence[str], out: Path, launch: str, jobs: int) -> Tuple[float, int, str]:
    """Run the sessions one way into ``out`` (emptied first); (wall seconds, exit status, log tail)."""
    out.mkdir(parents=True, exist_ok=True)
    for old in results.record_paths(out):
        old.unlink()
    env = {k: v for k, v in os.environ.items() if k not in ("MATRIX_RECORD", "MATRIX_RESULTS", "MATRIX_LAUNCH",
                                                            "MATRIX_JOBS", "MATRIX_STEPS")}
    started = time.monotonic()
    done = subprocess.run(nox_command(sessions, out, launch, jobs), cwd=ROOT, env=env, capture_output=True, text=True)
    return time.monotonic() - started, done.returncode, (done.stdout + done.stderr)[-3000:]


def _runs(cell: Dict[str, Any], key: str) -> List[float]:
    first = cell.get(key)
    return [first, *(cell.get(f"repeat_{key}") or [])]


def cell_rows(records: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per cell that ran: its runs' wall, startup (launch to first loss line; the whole run when it
    printed none) and training (first to last loss line; 0 without two lines) seconds."""
    rows = []
    for record in records:
        for cell in record.get("cells", []):
            if cell.get("status") == "not_run" or cell.get("wall_seconds") is None:
                continue
            walls = _runs(cell, "wall_seconds")
            training = [t or 0.0 for t in _runs(cell, "training_seconds")][:len(walls)]
            startup = [s if s is not None else w for s, w in zip(_runs(cell, "startup_seconds"), walls)]
            rows.append({"session": record["session"], "example": cell["example"], "mode": cell.get("mode", "variant"),
                         "launch": cell.get("launch", "spawn"), "runs": len(walls), "wall_seconds": walls,
                         "startup_seconds": startup, "training_seconds": training})
    return rows


def losses_by_cell(records: Sequence[Dict[str, Any]]) -> Dict[tuple, Tuple[str, list]]:
    return {(r["session"], c["example"], c.get("mode", "variant")): (c["status"], c.get("losses"))
            for r in records for c in r.get("cells", []) if c.get("status") != "not_run"}


def differences(baseline: Dict[tuple, Tuple[str, list]], other: Dict[tuple, Tuple[str, list]]) -> List[dict]:
    """The cells whose status or losses differ from the baseline's (untrusted ones, a race, aside)."""
    out = []
    for key in sorted(set(baseline) | set(other)):
        a, b = baseline.get(key), other.get(key)
        if a and b and (a[0] in UNTRUSTED or b[0] in UNTRUSTED):
            continue
        if a != b:
            out.append({"session": key[0], "example": key[1], "mode": key[2]})
    return out


def sessions_of(pins: Sequence[Any], chosen: Sequence[str]) -> List[str]:
    """``nox -s modern legacy``'s CPU sessions for the ``chosen`` pins, in nox's order (era, then pin)."""
    return [results.session_name(era, pin.torch, "cpu") for era in ("legacy", "modern") for pin in pins
            if pin.torch in chosen and era in pin.eras]


def ways_of(jobs: int) -> List[Tuple[str, int]]:
    """Before (spawned, one at a time), forked one at a time, forked ``jobs`` at a time (if above 1)."""
    return [("spawn", 1), ("fork", 1)] + ([("fork", jobs)] if jobs > 1 else [])


def measure_matrix_cost(opts: Any) -> List[Dict[str, Any]]:
    """The bench's section: :func:`measure` of :func:`sessions_of` the bench's pins, :func:`ways_of`
    the default jobs, into runs/bench/matrix/."""
    return measure(sessions_of(PINS, opts.pins), ways_of(launch.default_jobs()),
                   results.RUNS_DIR / "bench" / "matrix")


def measure(sessions: Sequence[str], ways: Sequence[Tuple[str, int]], folder: Path) -> List[Dict[str, Any]]:
    """One schema row per way (docs/performance.md's "matrix cost"); the first way is the baseline."""
    rows: List[Dict[str, Any]] = []
    baseline = None
    for way, jobs in ways:
        launch_name = f"{way}, jobs {jobs}"
        out = folder / f"{way}-jobs{jobs}"
        print(f"matrix cost: nox -s ({len(sessions)} sessions) -- --launch {way} --jobs {jobs}", file=sys.stderr,
              flush=True)
        wall, code, tail = run_way(sessions, out, way, jobs)
        records = results.load(out)
        cells = cell_rows(records)
        timings = [r.get("timings") or {} for r in records]
        row: Dict[str, Any] = {
            "launch": way, "jobs": jobs, "sessions": list(sessions), "exit_status": code,
            "wall_seconds": round(wall, 3),
            "training_seconds": round(sum(sum(c["training_seconds"]) for c in cells), 3),
            "startup_seconds": round(sum(sum(c["startup_seconds"]) for c in cells), 3),
            "cells_wall_seconds": round(sum(sum(c["wall_seconds"]) for c in cells), 3),
            "probes_seconds": round(sum(t.get("probes_seconds") or 0.0 for t in timings), 3),
            "warm_parent_seconds": round(sum(p["seconds"] for t in timings for p in t.get("warm_parents") or []), 3),
            "cell_runs": sum(c["runs"] for c in cells),
            "cells": cells,
        }
        if code != 0:
            row["log_tail"] = tail
        losses = losses_by_cell(records)
        if baseline is None:
            baseline = (launch_name, losses)
        else:
            differ = differences(baseline[1], losses)
            row.update(losses_identical_to=baseline[0], losses_identical=not differ, losses_differ=differ)
        rows.append(row)
    goal_basis = rows[0]["training_seconds"] if rows else None
    for row in rows:
        row["goal"] = GOAL
        row["wall_over_baseline_training"] = round(row["wall_seconds"] / goal_basis, 4) if goal_basis else None
    return rows
