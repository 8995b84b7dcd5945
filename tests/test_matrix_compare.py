"""matrix.records.compare: where a user's runs differ from the reference."""
from __future__ import annotations

import math

from matrix.records import compare, results


def _record(losses, *, status="passed", cpu="Intel Xeon (CPU)", build="2.4.1+cu121", example="nn"):
    cell = results.not_run_cell({"era": "modern", "device": "cpu"}, example, "x")
    cell.update(status=status, reason=None, losses=losses, last_loss=losses[-1][1] if losses else None)
    record = results.session_record(era="modern", torch_pin="2.4.1", device="cpu",
                                    info={"device_name": cpu, "torch_build": build}, cells=[cell], status="ran",
                                    reason=None, probes=[{"id": "p", "outcome": "works", "value": 1}])
    return record


def test_curve_difference():
    assert compare.curve_difference([[0, 1.0], [1, 0.5]], [[0, 1.0], [1, 0.5]]) == (None, 0.0)
    first, worst = compare.curve_difference([[0, 1.0], [1, 0.5]], [[0, 1.0], [1, 0.55]])
    assert first == 1 and math.isclose(worst, 0.05 / 0.55)
    assert compare.curve_difference([[0, 1.0]], [[0, 1.0], [1, 2.0]])[0] == 1
    assert compare.curve_difference([[0, float("nan")]], [[0, float("nan")]]) == (None, 0.0)


def test_sections():
    ref = [_record([[0, 1.0], [1, 0.5]])]
    same = compare.compare([_record([[0, 1.0], [1, 0.5]])], ref)
    assert len(same["same"]) == 1 and "identical bit for bit" in same["same"][0]
    other_cpu = compare.compare([_record([[0, 1.0], [1, 0.51]], cpu="AMD EPYC (CPU)")], ref)
    assert other_cpu["values"][0].startswith("- modern/nn, torch 2.4.1, cpu: losses differ from step 1")
    assert "another CPU: AMD EPYC (CPU) (reference: Intel Xeon (CPU))" in other_cpu["values"][0]
    broke = compare.compare([_record([[0, 1.0]], status="failed")], ref)
    assert broke["outcome"][0].startswith("- modern/nn, torch 2.4.1, cpu: **failed** here, passed in the reference")


def test_render_and_probes(tmp_path):
    mine = _record([[0, 1.0]])
    mine["probes"][0]["value"] = 2
    text = compare.render([mine], [_record([[0, 1.0]])], "runs/results", "results")
    assert text.startswith("# Your runs against the reference")
    assert "probe `p`: works 2 here, works 1 in the reference" in text
    results.write_json_atomically(tmp_path / "mine" / "a.json", mine)
    results.write_json_atomically(tmp_path / "ref" / "a.json", _record([[0, 1.0]]))
    out = tmp_path / "d.md"
    assert compare.main([str(tmp_path / "mine"), str(tmp_path / "ref"), "--out", str(out)]) == 0
    assert "identical bit for bit" in out.read_text()


def test_a_shorter_run_is_compared_over_the_steps_both_ran():
    """A --steps 3 run against the reference's 5 steps: not "other numbers, largest relative difference 0"
    beside last losses steps apart."""
    ref = [_record([[0, 9.0], [1, 5.0], [2, 3.0], [3, 1e-9], [4, 1e-10]])]
    same = compare.compare([_record([[0, 9.0], [1, 5.0], [2, 3.0]])], ref)
    assert same["values"] == [] and same["same"] == []
    assert same["steps"] == ["- modern/nn, torch 2.4.1, cpu: passed, 3 steps here, 5 in the reference (a shorter "
                             "run): identical bit for bit over the 3 shared steps (loss 3.0 at step 2)"]
    other = compare.compare([_record([[0, 9.0], [1, 5.5], [2, 3.0]], cpu="AMD EPYC (CPU)")], ref)["steps"][0]
    assert "over the 3 shared steps, losses differ from step 1 (largest relative difference 0.0909); " \
           "at step 2: 3.0 here, 3.0 in the reference" in other and "another CPU" in other
    text = compare.render([_record([[0, 9.0], [1, 5.0], [2, 3.0]])], ref, "runs/results", "results")
    assert "## Another number of steps (compared over the steps both ran)" in text
    assert "1 another number of steps" in text and "## Same outcome, other numbers" not in text
