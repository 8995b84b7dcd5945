"""The reference recorded with forked cells reproduces the one recorded with spawned cells, bit for bit.

tests/fixtures/reference/spawned_losses.json holds, per results file and cell, a SHA-256 of the loss
list recorded when every cell was a fresh interpreter (before matrix/launch.py). results/ is now
recorded with cells forked from a warm parent; on the same CPU model and torch build, every cell that
ran must print the same losses, to the last bit, and end the same way.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from matrix import UNTRUSTED
from matrix.records import results

ROOT = Path(__file__).resolve().parent.parent
BASELINE = json.loads((ROOT / "tests" / "fixtures" / "reference" / "spawned_losses.json").read_text())


def losses_sha256(cell: dict) -> str:
    return hashlib.sha256(json.dumps(cell.get("losses") or []).encode()).hexdigest()


def comparable_cells():
    """(file, cell key, recorded cell, baseline cell) for every cell recorded in both, on the same CPU and build."""
    for path in results.record_paths(results.RESULTS_DIR):
        record = json.loads(path.read_text())
        before = BASELINE["sessions"].get(path.name)
        if not before or record.get("status") != "ran" or record.get("device_name") != before["device_name"] \
                or record.get("torch_build") != before["torch_build"]:
            continue
        for cell in record["cells"]:
            key = f"{cell['example']}/{cell.get('mode', 'variant')}"
            if cell["status"] != "not_run" and key in before["cells"]:
                yield path.name, key, cell, before["cells"][key]


def test_the_reference_was_recorded_with_forked_cells_on_the_baselines_machine():
    compared = list(comparable_cells())
    forked = [c for _, _, c, _ in compared if c.get("launch") == "fork"]
    assert len(compared) >= 200, f"only {len(compared)} cells share a CPU and torch build with the baseline"
    assert len(forked) == len(compared), "cells of the reference were not forked: re-record it (nox -t cpu -- --record)"


def test_every_reference_cell_prints_the_spawned_cells_losses_bit_for_bit():
    differ = []
    for name, key, cell, before in comparable_cells():
        if cell["status"] in UNTRUSTED or before["status"] in UNTRUSTED:
            # a race (TensorFlow 1's as-published graph): its curves differ from run to run either way
            continue
        if losses_sha256(cell) != before["losses_sha256"] or cell["status"] != before["status"]:
            differ.append(f"{name} {key}: {before['status']} -> {cell['status']}, "
                          f"{before['steps']} -> {len(cell.get('losses') or [])} loss lines")
    assert differ == []


def test_the_baseline_names_what_it_was_made_from():
    assert "spawn" in BASELINE["about"] and BASELINE["made_from"]
    assert all(c["launch"] == "spawn" for s in BASELINE["sessions"].values() for c in s["cells"].values())
