"""matrix.bench.record: the results file's keys, its layout, where it goes; a tiny real run's record
(--installed: this interpreter's torch, one round, one example) conforms to the schema."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from matrix import ROOT
from matrix.bench import record


def test_default_paths_user_run_and_reference():
    assert record.default_path(False) == ROOT / "runs" / "bench" / "performance.json"
    assert record.default_path(True) == ROOT / "results" / "bench" / "performance.json"


def _empty() -> dict:
    options = {"rounds": 1, "steps": 20, "log_every": 2, "threads": 1, "sizes": [1], "pins": ["2.15.0"], "cold": False}
    machine = {"cpu": "CPU A", "cores": 2, "platform": "Linux", "gpu": None, "python": "3.11.7"}
    return record.new_record("2026-11-29T15:00:00Z", options, machine)


def test_a_new_record_has_every_key_in_the_files_order():
    out = _empty()
    assert tuple(out) == record.TOP_KEYS
    assert out["schema"] == 1 and out["kind"] == "bench"
    assert all(out[s] == [] for s in record.SECTIONS)
    assert out["gpu_claim"]["speedups"] == [] and "50x" in out["gpu_claim"]["text"]
    assert record.problems(out) == []


def test_problems_names_what_breaks_the_schema():
    out = _empty()
    out["shim_cost"] = [{"torch": "2.15.0", "example": "nn", "device": "cpu", "status": "measured"},
                        {"torch": "2.15.0", "example": "nn", "device": "cpu", "status": "not_run"},
                        {"status": "done"}]
    out["skipped"] = {"shim_cost": "--skip shim_cost"}
    found = record.problems(out)
    assert "shim_cost[0] lacks 'ratio'" in found
    assert "shim_cost[1]: not_run without a reason" in found
    assert "shim_cost[2]: status 'done'" in found
    assert "shim_cost is skipped but has rows" in found
    del out["machine"]
    assert record.problems(out) == ["missing top-level key 'machine'"]


def test_not_run_rows_keep_their_identity_and_reason():
    row = record.not_run("no Python 3.7", torch="1.0.1", example="nn", device="cpu")
    assert row == {"torch": "1.0.1", "example": "nn", "device": "cpu", "status": "not_run", "reason": "no Python 3.7"}


def test_one_line_per_row_and_written_atomically(tmp_path):
    out = _empty()
    out["pin_cost"] = [{"era": "modern", "example": "nn", "seconds_per_step": [0.1, 0.2]}] * 2
    path = tmp_path / "deep" / "performance.json"
    record.write(path, out)
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == out
    rows = [line for line in text.splitlines() if '"era"' in line]
    assert len(rows) == 2 and all('"seconds_per_step": [0.1, 0.2]' in line for line in rows)
    assert os.listdir(path.parent) == ["performance.json"]  # no temporary file left behind


def test_an_unserialisable_record_leaves_the_old_file(tmp_path):
    path = tmp_path / "performance.json"
    path.write_text("old", encoding="utf-8")
    bad = dict(_empty(), ended=object())
    with pytest.raises(TypeError):
        record.write(path, bad)
    assert path.read_text(encoding="utf-8") == "old"


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> dict:
    """One real bench run on this interpreter's torch: 1 round, 20 steps, the nn example, scale 1."""
    pytest.importorskip("torch")
    out = tmp_path_factory.mktemp("bench") / "performance.json"
    done = subprocess.run([sys.executable, "-m", "matrix.bench", "--installed", "--rounds", "1", "--steps", "20",
                           "--examples", "nn", "--sizes", "1", "--sweep-steps", "2", "--skip", "upgrade_cost", "--out", str(out)],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stdout
    return json.loads(out.read_text(encoding="utf-8"))


def test_a_tiny_real_run_conforms_to_the_schema(tiny_run):
    assert record.problems(tiny_run) == []
    assert tiny_run["options"]["pins"] == ["installed"] and tiny_run["options"]["threads"] == 1
    assert [p["torch"] for p in tiny_run["pins"]] == [tiny_run["shim_cost"][0]["torch"]]
    assert set(tiny_run["skipped"]) == {"environment_build", "matrix_cost"}
    assert tiny_run["environment_build"] == [] and tiny_run["matrix_cost"] == []


def test_the_tiny_runs_shim_cost_and_pin_cost(tiny_run):
    (shim,) = tiny_run["shim_cost"]
    assert shim["example"] == "nn" and shim["status"] == "measured"
    assert shim["order"] == ["legacy", "tensor_autograd"]
    assert len(shim["legacy"]) == len(shim["tensor_autograd"]) == 1
    assert shim["ratio"] == shim["legacy"][0] / shim["tensor_autograd"][0] == shim["ratio_low"] == shim["ratio_high"]
    assert [(r["era"], r["example"]) for r in tiny_run["pin_cost"]] == [
        ("legacy", "nn"), ("tensor_autograd", "nn"), ("modern", "nn")]
    legacy = tiny_run["pin_cost"][0]
    assert legacy["seconds_per_step"] == shim["legacy"]  # the shim_cost run reused, not run again
    assert all(r["over_newest"] == 1.0 for r in tiny_run["pin_cost"])  # the one pin is the newest


def test_the_tiny_runs_size_sweep(tiny_run):
    cpu = [r for r in tiny_run["size_sweep"] if r["device"] == "cpu"]
    cuda = [r for r in tiny_run["size_sweep"] if r["device"] == "cuda"]
    assert [(r["scale"], r["batch"], r["hidden"], r["status"]) for r in cpu] == [(1, 64, 100, "measured")]
    assert len(cpu[0]["seconds_per_step"]) == 2 and cpu[0]["threads"] == 1
    assert len(cuda) == 1
    if cuda[0]["status"] == "measured":
        assert tiny_run["gpu_claim"]["speedups"][0]["scale"] == 1
    else:
        assert cuda[0]["reason"] and tiny_run["gpu_claim"]["speedups"] == []
