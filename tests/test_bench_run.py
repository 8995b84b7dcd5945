"""matrix.bench.run's sections with the runs faked (no process is started): what is run in which
order, what is reused, and how a failure or a missing Python becomes a not-run row with its reason."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from matrix.bench import run, timing
from matrix.running.interpreters import Search


def opts(**kw):
    base = dict(rounds=2, steps=20, log_every=2, timeout=60, examples=["nn"], skip=[], cold=False, sizes=[1])
    return SimpleNamespace(**dict(base, **kw))


@pytest.fixture
def fake_runs(monkeypatch):
    """Each era's run takes a fixed time per step; legacy on torch 'bad' fails. Records the calls."""
    calls = []
    per_step = {"legacy": 2.0, "tensor_autograd": 1.0, "modern": 0.5}

    def run_variant(python, era, example, **kw):
        calls.append((python, era, example))
        if python == "bad" and era == "legacy":
            return timing.Timing(None, "failed", "AttributeError: no Variable")
        scale = 2.0 if python == "old" else 1.0
        return timing.Timing(per_step[era] * scale * (1 + len(calls) / 1000), "passed", None)

    monkeypatch.setattr(timing, "run_variant", run_variant)
    return calls


def targets():
    return [run.Target("1.0.1", ("legacy", "tensor_autograd"), python="old"),
            run.Target("2.15.0", ("legacy", "tensor_autograd", "modern"), python="new")]


def test_shim_cost_interleaves_and_pin_cost_reuses_its_runs(fake_runs):
    runs: run.Runs = {}
    shim = run.shim_cost(targets(), opts(), runs)
    assert [c[1] for c in fake_runs[:4]] == ["legacy", "tensor_autograd", "tensor_autograd", "legacy"]
    assert [r["order"] for r in shim] == [["legacy", "tensor_autograd", "tensor_autograd", "legacy"]] * 2
    row = shim[0]
    assert row["status"] == "measured" and row["legacy"] == [2.0 * 2 * 1.001, 2.0 * 2 * 1.004]
    assert row["ratio"] == pytest.approx(2.0, rel=1e-2)
    before = len(fake_runs)
    cost = run.pin_cost(targets(), opts(), runs)
    assert [c[1] for c in fake_runs[before:]] == ["modern", "modern"]  # legacy/tensor_autograd reused
    by = {(r["era"], r["torch"]): r for r in cost}
    assert by[("legacy", "1.0.1")]["newest"] == "2.15.0"
    assert by[("legacy", "1.0.1")]["over_newest"] == pytest.approx(2.0, rel=1e-2)
    assert by[("modern", "2.15.0")]["over_newest"] == 1.0 and ("modern", "1.0.1") not in by


def test_a_failing_legacy_run_is_not_run_again_and_its_row_says_why(fake_runs):
    bad = [run.Target("2.15.0", ("legacy", "tensor_autograd"), python="bad")]
    runs: run.Runs = {}
    (row,) = run.shim_cost(bad, opts(rounds=3), runs)
    assert row == {"torch": "2.15.0", "example": "nn", "device": "cpu", "status": "not_run",
                   "reason": "legacy failed: AttributeError: no Variable"}
    assert [c[1] for c in fake_runs].count("legacy") == 1
    assert [c[1] for c in fake_runs].count("tensor_autograd") == 3  # the twin still measured, for pin_cost
    cost = {r["era"]: r for r in run.pin_cost(bad, opts(rounds=3), runs)}
    assert cost["legacy"]["status"] == "not_run" and cost["tensor_autograd"]["status"] == "measured"


def test_pins_over_a_newest_that_failed_are_not_run(fake_runs):
    pins = [run.Target("1.0.1", ("legacy",), python="old"), run.Target("2.15.0", ("legacy",), python="bad")]
    cost = run.pin_cost(pins, opts(), {})
    assert [r["status"] for r in cost] == ["not_run", "not_run"]
    assert cost[0]["reason"].startswith("the newest pin (2.15.0) was not measured: legacy failed")


def test_a_pin_without_its_python_is_not_run_with_the_remedy(monkeypatch, fake_runs):
    monkeypatch.setattr(run.interpreters, "find_python", lambda version: Search(version))
    pin = SimpleNamespace(torch="1.0.1", python="3.7", numpy="numpy<1.17", tensorflow="1.13.1",
                          eras=("legacy", "tensor_autograd"))
    target, build = run.prepare(pin, opts())
    assert build["status"] == "not_run" and "Python 3.7 not found" in build["reason"]
    assert build["requirements"][0] == "torch==1.0.1"
    (row,) = run.shim_cost([target], opts(), {})
    assert row["status"] == "not_run" and row["reason"] == target.reason
    assert fake_runs == []


def test_matrix_cost_is_skipped_with_a_reason_when_asked_to_or_installed():
    rows, why = run.matrix_cost(SimpleNamespace(skip=["matrix_cost"], installed=False))
    assert rows == [] and why == "--skip matrix_cost"
    rows, why = run.matrix_cost(SimpleNamespace(skip=[], installed=True))
    assert rows == [] and "--installed" in why
