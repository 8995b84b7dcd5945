"""The bench results file (schema 1): its keys, where it goes, writing it atomically.

Written by ``nox -s bench`` (``python -m matrix.bench``) to ``runs/bench/performance.json`` (a user's
run, ignored by git), or with ``--record`` to ``results/bench/performance.json`` (the tracked
reference; not directly in ``results/``, whose ``*.json`` are matrix session records).
``docs/performance.md`` and ``docs/img/perf-*.png`` are rendered from it. Times are seconds (floats);
lists of per-run values are in run order. Every number the page shows comes from this file, and
every number here was measured by the bench (nothing is filled in or estimated).

Top level::

    schema    1
    kind      "bench"
    date      UTC, when the bench started ("2026-11-29T15:00:00Z"); ended: when it wrote the file
    commit    ``git describe --always --dirty`` of the project
    machine   {"cpu": model name, "cores": os.cpu_count(), "platform": platform.platform(),
               "gpu": the GPU's name or null, "python": the bench's own Python version}
    options   {"rounds", "steps", "log_every", "threads", "sizes", "pins", "cold"}
    pins      one per pin measured, in PINS order: {"torch": the pin, "python", "numpy", "tensorflow",
               "torch_build", "interpreter"} (versions as installed; interpreter relative to the project)
    skipped   {section: why} for each section not run at all (its list is then empty)

``shim_cost``: the legacy variant over its tensor_autograd twin, one row per pin x example::

    {"torch", "example", "device": "cpu",
     "legacy": [seconds_per_step, one per round], "tensor_autograd": [...],
     "order": ["legacy", "tensor_autograd", "tensor_autograd", "legacy", ...],   # as actually run
     "ratio": median(legacy) / median(tensor_autograd),
     "ratio_low", "ratio_high": 25th and 75th percentile of the per-round ratios legacy[i]/tensor_autograd[i],
     "status": "measured"}        # or "not_run" with "reason" (then no lists and no ratio)

``pin_cost``: each pin over the newest measured pin, same era x example (legacy and tensor_autograd
reuse the shim_cost runs; modern only on pins whose eras include it)::

    {"era", "example", "torch", "device": "cpu", "seconds_per_step": [...], "median",
     "newest", "newest_median", "over_newest": median / newest_median, "status": "measured"}
                                  # or "not_run" + "reason"

``size_sweep``: the tutorial's two-layer net with batch and hidden size scaled by ``scale``::

    {"device", "torch", "threads", "scale", "batch", "hidden", "d_in", "d_out",
     "seconds_per_step": [one per timed step], "median", "status": "measured"}
    {"device": "cuda", "torch", "scale", "status": "not_run", "reason": "..."}

``gpu_claim``: ``{"text", "source", "speedups": [{"scale", "cpu_over_cuda"}]}`` (``[]`` when no
CUDA row was measured).

``environment_build``: per pin, a fresh virtualenv with the pin's requirements::

    {"torch", "python", "requirements": [...],
     "warm_seconds": uv with its shared cache (the wheels normally already there),
     "cold_seconds": uv with an empty cache of its own (downloads), null if not run,
     "cold_download_bytes": that cache's size afterwards, null if not run,
     "status": "measured"}        # or "not_run" + "reason"

``matrix_cost``: ``nox -s modern legacy``'s CPU half once per launch way (:mod:`matrix.bench.matrix_cost`):
``[]`` with ``skipped["matrix_cost"]`` under ``--skip matrix_cost`` or ``--installed``. One row per way:
``{"launch": "spawn" | "fork", "jobs", "sessions": [nox session names], "exit_status": nox's,
"wall_seconds": the nox command start to exit, "training_seconds": every cell run's first to last
loss line, summed, "startup_seconds": every cell run's launch to first loss line (its whole run when
it printed none), summed, "cells_wall_seconds": every cell run's wall, summed, "probes_seconds" and
"warm_parent_seconds": the sessions', summed, "cell_runs", "cells": [{"session", "example", "mode",
"launch", "runs", "wall_seconds": [...], "startup_seconds": [...], "training_seconds": [...]}],
"goal": 1.5, "wall_over_baseline_training": wall over the first way's training_seconds}``; every way
but the first also has ``"losses_identical_to"`` (the first way's name), ``"losses_identical"`` and
``"losses_differ": [{"session", "example", "mode"}]``; a way whose nox exited non-zero has ``"log_tail"``.

A section that was not run has rows with ``"status": "not_run"`` and a reason, or is an empty list
with the reason in ``skipped``; the page says "not run here" for those and shows no number.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from matrix import ROOT
from matrix.records import jsonio

SCHEMA = 1
KIND = "bench"
#: A user's run (ignored by git) and the tracked reference.
USER_PATH = ROOT / "runs" / "bench" / "performance.json"
RECORD_PATH = ROOT / "results" / "bench" / "performance.json"
#: The sections, in the file's order; each is a list of rows.
SECTIONS = ("shim_cost", "pin_cost", "size_sweep", "environment_build", "matrix_cost")
#: What the whole record holds at the top level (gpu_claim is a dict, the sections are lists).
TOP_KEYS = ("schema", "kind", "date", "ended", "commit", "machine", "options", "pins", "skipped",
            "shim_cost", "pin_cost", "size_sweep", "gpu_claim", "environment_build", "matrix_cost")
MACHINE_KEYS = ("cpu", "cores", "platform", "gpu", "python")
OPTION_KEYS = ("rounds", "steps", "log_every", "threads", "sizes", "pins", "cold")
PIN_KEYS = ("torch", "python", "numpy", "tensorflow", "torch_build", "interpreter")
#: Keys of each section's measured rows (a not_run row has the identifying ones, status and reason).
ROW_KEYS = {
    "shim_cost": ("torch", "example", "device", "legacy", "tensor_autograd", "order", "ratio", "ratio_low",
                  "ratio_high", "status"),
    "pin_cost": ("era", "example", "torch", "device", "seconds_per_step", "median", "newest", "newest_median",
                 "over_newest", "status"),
    "size_sweep": ("device", "torch", "threads", "scale", "batch", "hidden", "d_in", "d_out", "seconds_per_step",
                   "median", "status"),
    "environment_build": ("torch", "python", "requirements", "warm_seconds", "cold_seconds", "cold_download_bytes",
                          "status"),
}
STATUSES = ("measured", "not_run")
#: The tutorial's claim the size sweep's CUDA rows are held against (seed 001 is the tutorial's text
#: as this project received it; the English original's sentence is this one).
GPU_CLAIM_TEXT = "GPUs often provide speedups of 50x or greater"
GPU_CLAIM_SOURCE = "the tutorial (seed 001, line 103)"


def default_path(record: bool) -> Path:
    """Where the file goes: the reference with ``--record``, else the user's runs folder."""
    return RECORD_PATH if record else USER_PATH


def project_commit(root: Path = ROOT) -> Optional[str]:
    """``git describe --always --dirty`` of the project, or None outside git."""
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=root, capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def machine(gpu: Optional[str]) -> Dict[str, Any]:
    """The machine the bench ran on; ``gpu``: the GPU's name as torch reported it, or None."""
    from matrix.running import environment

    cpu = environment.cpu_name()
    return {"cpu": cpu[:-len(" (CPU)")] if cpu.endswith(" (CPU)") else cpu, "cores": os.cpu_count(),
            "platform": platform.platform(), "gpu": gpu, "python": platform.python_version()}


def new_record(date: str, options: Mapping[str, Any], machine_info: Mapping[str, Any]) -> Dict[str, Any]:
    """An empty record: every top-level key present, every section an empty list, in the file's order."""
    return {"schema": SCHEMA, "kind": KIND, "date": date, "ended": None, "commit": project_commit(),
            "machine": dict(machine_info), "options": {k: options[k] for k in OPTION_KEYS}, "pins": [],
            "skipped": {}, "shim_cost": [], "pin_cost": [], "size_sweep": [],
            "gpu_claim": {"text": GPU_CLAIM_TEXT, "source": GPU_CLAIM_SOURCE, "speedups": []},
            "environment_build": [], "matrix_cost": []}


def not_run(reason: str, **identity: Any) -> Dict[str, Any]:
    """A row that was not measured: what it would have been (``identity``), status and reason."""
    return dict(identity, status="not_run", reason=reason)


def problems(record: Mapping[str, Any]) -> List[str]:
    """What in ``record`` breaks the schema (missing keys, a measured row lacking one, an unknown
    status, a skipped section with rows); empty when it conforms. The renderer may rely on it."""
    found = [f"missing top-level key {k!r}" for k in TOP_KEYS if k not in record]
    if found:
        return found
    if record["schema"] != SCHEMA or record["kind"] != KIND:
        found.append(f"schema/kind {record['schema']!r}/{record['kind']!r}, want {SCHEMA}/{KIND!r}")
    found += [f"machine lacks {k!r}" for k in MACHINE_KEYS if k not in record["machine"]]
    found += [f"options lack {k!r}" for k in OPTION_KEYS if k not in record["options"]]
    for pin in record["pins"]:
        found += [f"pin {pin.get('torch')} lacks {k!r}" for k in PIN_KEYS if k not in pin]
    for section, keys in ROW_KEYS.items():
        for i, row in enumerate(record[section]):
            status = row.get("status")
            if status not in STATUSES:
                found.append(f"{section}[{i}]: status {status!r}")
            elif status == "measured":
                found += [f"{section}[{i}] lacks {k!r}" for k in keys if k not in row]
            elif not row.get("reason"):
                found.append(f"{section}[{i}]: not_run without a reason")
    for section in record["skipped"]:
        if record.get(section):
            found.append(f"{section} is skipped but has rows")
    return found


def dumps(record: Mapping[str, Any]) -> str:
    """JSON with one line per row (a row's lists of per-run times stay on its line), so that a diff of
    two recorded runs reads row by row."""
    lines = ["{"]
    keys = list(record)
    for n, key in enumerate(keys):
        value = record[key]
        comma = "," if n < len(keys) - 1 else ""
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = [f"  {json.dumps(row)}" for row in value]
            lines.append(f" {json.dumps(key)}: [\n" + ",\n".join(rows) + f"\n ]{comma}")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}{comma}")
    text = "\n".join(lines) + "\n}\n"
    json.loads(text)  # the layout is ours: it must still be one JSON document
    return text


def write(path: Path, record: Mapping[str, Any]) -> None:
    """Serialise first (a value that can't be fails before any file is touched), then replace ``path``
    atomically (:func:`matrix.records.jsonio.write_atomically`), creating its folder."""
    text = dumps(record)
    path.parent.mkdir(parents=True, exist_ok=True)
    jsonio.write_atomically(path, text)
