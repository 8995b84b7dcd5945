"""matrix.records.divergence: loss curves are compared only within one era, example, device, CPU, seed and
steps, and a difference is attributed to a catalog entry only by the rule the pages state; checked on
tests/fixtures/, and re-derived from the raw committed records."""
from __future__ import annotations

import pytest

from conftest import ROOT
from matrix.records import divergence, observations
from matrix.facts.catalog import load_catalog, load_unrelated_warnings
from matrix.probes import probe_name

FIXTURES = ROOT / "tests" / "fixtures" / "results"
RESULTS = ROOT / "results"
CATALOG = load_catalog()
UNRELATED = load_unrelated_warnings()


@pytest.fixture(scope="module")
def sessions():
    return observations.load_results(FIXTURES)


def test_divergence_finder_groups_by_cpu(sessions):
    divs = {(d["era"], d["example"]): d for d in divergence.find_divergences(sessions)}
    # tensor_autograd: 1.13.1 on one CPU, 2.15.0 on another: different groups, never compared
    assert set(divs) == {("legacy", "autograd"), ("modern", "dynamic_net"), ("modern", "optim")}
    d = divs[("modern", "dynamic_net")]
    rows = {r["pin"]: r for r in d["rows"]}
    assert d["reference"] == "2.4.1" and d["device_name"] == "Intel(R) Xeon(R) Processor (CPU)"
    assert rows["2.4.1"]["first_diff_step"] is None and rows["2.15.0"]["first_diff_step"] == 20
    assert rows["2.15.0"]["max_rel_diff"] > 0 and rows["2.15.0"]["first_loss"] == rows["2.4.1"]["first_loss"]


def test_divergence_finder_skips_single_pin_and_failed(sessions):
    for d in divergence.find_divergences(sessions):
        assert len(d["rows"]) >= 2
        assert d["era"] != "legacy" or d["example"] != "custom_function"


def test_attribution_needs_the_listing_and_a_probe_change_on_the_same_pins(sessions):
    obs = observations.probe_observations(sessions, CATALOG, UNRELATED)
    divs = {(d["era"], d["example"]): d for d in divergence.find_divergences(sessions)}
    (e,) = divergence.explain_divergence(divs[("legacy", "autograd")], CATALOG, obs)
    assert [ch["id"] for ch in e["entries"]] == ["clamp-boundary-subgradient"]   # [0,1,1] -> [0,0,1]
    assert {ch["id"] for ch, _ in e["checked"]} >= {"float32-matmul-bits", "clamp-boundary-subgradient"}
    (e,) = divergence.explain_divergence(divs[("modern", "dynamic_net")], CATALOG, obs)
    assert e["entries"] == [] and e["pin"] == "2.15.0" and e["step"] == 20
    assert "NumPy 2.0.2 -> 2.4.6" in e["environment"]
    # an entry that lists the script but whose probe does not change between the pins: not attributed
    listing = {"id": "float32-matmul-bits", "compare": ["mm"], "may_change": ["modern/dynamic_net"]}
    assert divergence.explain_divergence(divs[("modern", "dynamic_net")], [listing], obs)[0]["entries"] == []
    # one whose probe changes but that does not list the script: not attributed either
    clamp = next(ch for ch in CATALOG if ch["id"] == "clamp-boundary-subgradient")
    assert divergence.explain_divergence(divs[("modern", "optim")], [clamp], obs)[0]["checked"] == []
    assert divergence.unexplained_divergences(sessions, CATALOG, UNRELATED) == [
        "modern/dynamic_net on Intel(R) Xeon(R) Processor (CPU): torch 2.4.1 -> 2.15.0 (step 20)",
        "modern/optim on Intel(R) Xeon(R) Processor (CPU): torch 2.4.1 -> 2.15.0 (step 35)"]


# ---------------------------------------------------------------- the committed results


def test_every_recorded_attribution_follows_the_rule():
    """Re-derived from the raw records: an attributed entry lists the script and its probe's compare
    values differ between the same two pins on the same CPU; every other difference is listed as
    unexplained in the generated page (which must then also say so)."""
    sessions = observations.load_results(RESULTS)
    obs = observations.probe_observations(sessions, CATALOG, UNRELATED)
    for d in divergence.find_divergences(sessions):
        for e in divergence.explain_divergence(d, CATALOG, obs):
            for ch in e["entries"]:
                assert f"{d['era']}/{d['example']}" in ch["may_change"]
                assert raw_compare(sessions, ch, d["device_name"], e["previous"]) != \
                    raw_compare(sessions, ch, d["device_name"], e["pin"]), (ch["id"], d["example"], e)


def raw_compare(sessions, ch, cpu, pin):
    for s in sessions:
        if s.get("status") == "ran" and s.get("device") == "cpu" and s.get("device_name") == cpu \
                and s.get("torch_pin") == pin:
            rec = next((r for r in s.get("probes") or [] if r.get("id") == probe_name(ch["id"])), None)
            if rec and rec.get("outcome") in ("works", "warns", "differs", "errors"):
                return [rec["value"].get(k) for k in ch["compare"]]
    pytest.fail(f"{probe_name(ch['id'])}: no record on torch {pin}, {cpu}")


def test_largest_difference_is_where_the_curves_differ_most_not_the_last_step():
    a = [[0, 10.0], [1, 50.0], [2, 8.0], [3, 1.0]]
    b = [[0, 10.5], [1, 12.0], [2, 8.0], [3, 1.0]]
    assert divergence.largest_difference(a, b) == (1, 50.0, 12.0)
    assert divergence.largest_difference(a, a) is None
    assert divergence.largest_difference(a, [[1, 49.0], [9, 0.0]]) == (1, 50.0, 49.0)  # common steps only


def test_the_recorded_modern_dynamic_net_shows_its_largest_difference():
    """The committed records: the modern dynamic_net curves of 1.13.1 and 2.0.1 end within 1e-4 of each
    other but differ by millions at step 25 (zeroed vs None grads: the zero-grad-set-to-none check's
    loop measures the same numbers)."""
    divs = [d for d in divergence.find_divergences(observations.load_results(RESULTS))
            if (d["era"], d["example"], d["device"]) == ("modern", "dynamic_net", "cpu")]
    if not divs:
        pytest.skip("no modern/dynamic_net curves recorded on two pins of one CPU")
    rows = {r["pin"]: r for r in divs[0]["rows"]}
    if "1.13.1" not in rows or "2.0.1" not in rows:
        pytest.skip("1.13.1 and 2.0.1 not both recorded")
    assert rows["2.0.1"]["largest_diff_vs_previous"] == (25, 46770404.0, 8628811.0)
    assert abs(rows["2.0.1"]["last_loss"] - rows["1.13.1"]["last_loss"]) < 1e-3


def _isolated(zeros, none, rounded_digest):
    return {"script": "modern/dynamic_net", "steps": 3000,
            "zero_grad": {"step": 25, "zeros": zeros, "none": none},
            "linspace": {"step": 17, "torch_linspace": 28799432.0, "rounded_float64": 28799388.0},
            "curves": {"linspace_zeros": "a" * 16, "linspace_none": "b" * 16, "rounded_zeros": rounded_digest},
            "last": {"linspace_zeros": 1608.289306640625, "linspace_none": 1558.0447998046875,
                     "rounded_zeros": 1608.289794921875}}


def test_isolated_runs_separate_the_causes_per_pin_and_say_whether_anything_else_changed():
    from conftest import rec
    from matrix.pages.migration import isolated_lines

    ch = next(c for c in CATALOG if c["id"] == "zero-grad-set-to-none")
    obs = {ch["id"]: [rec("works", "1.13.1", value={"isolated": _isolated(46770404.0, 8628812.0, "c" * 16)}),
                         rec("differs", "2.0.1", value={"isolated": _isolated(46770404.0, 8628811.0, "c" * 16)}),
                         rec("differs", "2.4.1", cpu="CPU B", value={"isolated": _isolated(1.0, 2.0, "d" * 16)})]}
    items = divergence.isolated_runs("modern/dynamic_net", "CPU A", ("1.13.1", "2.0.1"), CATALOG, obs)
    assert [(i["change"]["id"], list(i["runs"]), i["same_elsewhere"]) for i in items] == \
        [("zero-grad-set-to-none", ["1.13.1", "2.0.1"], True)]
    assert divergence.isolated_runs("modern/nn", "CPU A", ("1.13.1", "2.0.1"), CATALOG, obs) == []
    assert divergence.isolated_runs("modern/dynamic_net", None, ("1.13.1", "2.0.1"), CATALOG, obs) == []
    lines = isolated_lines({"isolated": items}, " [A](#measured)")
    text = "\n".join(lines)
    assert "- torch 2.0.1: zeroed (1.x `zero_grad()`) vs None (2.x) grads, same x: largest difference at step 25: " \
           "46770404.0 with zeroed grads, 8628811.0 with None" in text
    assert "at step 17: 28799432.0 with this torch's linspace, 28799388.0 with the rounded one" in text
    assert lines[-1].endswith("same curve on 1.13.1 and 2.0.1: nothing else in it changed between them.")
    assert lines[-2].endswith("the same on 1.13.1 and 2.0.1: the linspace bits do not move them.")
    obs[ch["id"]][1]["value"]["isolated"]["curves"]["linspace_zeros"] = "f" * 16
    items = divergence.isolated_runs("modern/dynamic_net", "CPU A", ("1.13.1", "2.0.1"), CATALOG, obs)
    assert isolated_lines({"isolated": items}, "")[-2].endswith("not the same on 1.13.1 and 2.0.1: the linspace "
                                                                "bits alone move them.")
    # a curve that still differs with both causes held fixed is said to
    obs[ch["id"]][1]["value"]["isolated"]["curves"]["rounded_zeros"] = "e" * 16
    items = divergence.isolated_runs("modern/dynamic_net", "CPU A", ("1.13.1", "2.0.1"), CATALOG, obs)
    assert isolated_lines({"isolated": items}, "")[-1].endswith("something else in it changed too.")
