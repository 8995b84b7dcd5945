"""matrix.records.observations: probe records as observations, and the version analysis on them (the first
pin that warns or fails, where a probe's compared values change, version order), checked on fake
records; loading the records, on tests/fixtures/."""
from __future__ import annotations

import shutil

import pytest

from conftest import ROOT, change, rec
from matrix.records import observations
from matrix.facts.catalog import load_catalog, load_unrelated_warnings
from matrix.pages import versions

FIXTURES = ROOT / "tests" / "fixtures" / "results"
CATALOG = load_catalog()
UNRELATED = load_unrelated_warnings()


# ---------------------------------------------------------------- versions


def test_version_key_orders_versions_not_strings_and_ignores_local_builds():
    pins = ["2.15.0", "1.8.1", "2.4.1+cu121", "1.13.1", "2.5.0rc1", "2.5.0", "2.4.1"]
    assert sorted(pins, key=observations.version_key) == ["1.8.1", "1.13.1", "2.4.1+cu121", "2.4.1", "2.5.0rc1",
                                                          "2.5.0", "2.15.0"]


def test_version_key_puts_what_is_not_a_version_last():
    key = observations.version_key
    assert sorted(["?", "2.4.1", None, "installed", "1.8.1", ""], key=key)[:2] == ["1.8.1", "2.4.1"]
    assert key("?") == key(None) == key("installed") > key("99.0")


def test_first_pin_with_sorts_versions_not_strings():
    by_pin = {"1.13.1": rec("errors"), "1.8.1": rec("works"), "2.4.1": rec("errors"), "1.10.0": rec("warns")}
    assert observations.first_pin_with(by_pin, ["errors"]) == "1.13.1"
    assert observations.first_pin_with(by_pin, ["warns"]) == "1.10.0"
    assert observations.first_pin_with(by_pin, ["differs"]) is None


def test_measured_versions_ignores_not_run_and_crashed():
    by_pin = {"1.8.1": rec("not_run"), "2.0.1": rec("crashed"), "2.4.1": rec("warns"), "2.6.0": rec("errors"),
              "2.15.0": rec("errors")}
    m = observations.measured_versions(by_pin)
    assert m == {"pins": ["2.4.1", "2.6.0", "2.15.0"], "oldest": "2.4.1", "warns": "2.4.1", "fails": "2.6.0",
                 "differs": None}


def test_value_changes_compare_only_within_one_cpu():
    ch = dict(change(kind="silent", changed="2.0.0"), compare=["mm"])
    obs = [rec("works", "1.13.1", value={"mm": "a" * 16}), rec("works", "2.0.1", value={"mm": "b" * 16}),
           rec("works", "2.4.1", value={"mm": "b" * 16}),
           rec("works", "1.13.1", cpu="CPU B", value={"mm": "c" * 16}),
           rec("works", "2.0.1", cpu="CPU B", value={"mm": "c" * 16})]
    vc = observations.value_changes(ch, obs)
    assert [(a["_pin"], b["_pin"]) for a, b in vc["CPU A"]["changes"]] == [("1.13.1", "2.0.1")]
    assert vc["CPU B"]["changes"] == []
    text = "\n".join(versions.version_statement(ch, obs))
    assert "- **Values change** at 2.0.1 (vs 1.13.1) [A](#measured): `aaaaaaaa` -> `bbbbbbbb`" in text
    assert "- **Values** [B](#measured): the same on every pin measured (1.13.1, 2.0.1): `cccccccc`" in text


# ---------------------------------------------------------------- probe records


def test_unrelated_warnings_are_left_out_of_outcome_and_texts():
    session = {"_slug": "s", "torch_pin": "1.8.1", "device": "cpu", "device_name": "CPU A", "date": "2026-01-01"}
    noisy = {"id": "tf1_graph", "outcome": "warns", "detail": "", "error": None, "value": None,
             "warnings": [{"category": "DeprecationWarning", "message": "jax.xla_computation is deprecated. x"}]}
    o = observations.observation(noisy, session, UNRELATED)
    assert o["outcome"] == "works" and o["warnings"] == [] and len(o["_filtered"]) == 1
    real = dict(noisy, warnings=noisy["warnings"] + [{"category": "UserWarning", "message": "real"}])
    assert observations.observation(real, session, UNRELATED)["outcome"] == "warns"


def test_missing_probe_records_say_why():
    s = {"_slug": "s", "status": "ran", "torch_pin": "2.4.1", "device": "cpu", "device_name": "CPU A",
         "probes": [], "probes_error": "probe x: killed by SIGKILL"}
    obs = observations.probe_observations([s], CATALOG)
    assert {o["outcome"] for v in obs.values() for o in v} == {"not_run"}
    assert {o["detail"] for v in obs.values() for o in v} == {"probe x: killed by SIGKILL"}


# ---------------------------------------------------------------- loading


def test_load_results_skips_partial_dotfiles(tmp_path):
    for p in FIXTURES.glob("*.json"):
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / ".tmp-legacy-torch2.15.0-cpu.json").write_text('{"era": "legacy", "cells": [')
    assert [s["_slug"] for s in observations.load_results(tmp_path)] == \
        [s["_slug"] for s in observations.load_results(FIXTURES)]


def test_load_results_stops_on_a_file_that_is_not_json(tmp_path):
    """matrix.records.results.load skips such a file; a page must not quietly lose a session."""
    (tmp_path / "legacy-torch2.15.0-cpu.json").write_text('{"era": "legacy", "cells": [')
    with pytest.raises(SystemExit, match="legacy-torch2.15.0-cpu.json: not valid JSON"):
        observations.load_results(tmp_path)


# ---------------------------------------------------------------- boundaries (bracketed or not)


def boundary_lines(ch, obs):
    """The version statement's boundary lines (Bracketed / Not bracketed), the 'since' statements."""
    return [ln for ln in versions.version_statement(ch, obs) if "racketed**" in ln]


def test_boundary_is_the_last_pin_without_and_the_first_with():
    by_pin = {"1.8.1": rec("works", "1.8.1"), "1.13.1": rec("not_run", "1.13.1"), "2.0.1": rec("warns", "2.0.1"),
              "2.4.1": rec("errors", "2.4.1")}
    assert observations.boundary(by_pin, ["warns"]) == {"after": "2.0.1", "before": "1.8.1", "before_outcome": "works"}
    assert observations.boundary(by_pin, ["errors"]) == {"after": "2.4.1", "before": "2.0.1",
                                                          "before_outcome": "warns"}
    assert observations.boundary(by_pin, ["differs"]) is None


def test_bracket_names_both_pins_and_the_cited_release_in_between():
    ch = change(kind="error", warns="2.1.0", fails="2.6.0")
    obs = [rec("works", "2.0.1"), rec("warns", "2.4.1"), rec("errors", "2.15.0")]
    assert boundary_lines(ch, obs) == [
        "- **Bracketed** [A](#measured): runs on 2.0.1, warns on 2.4.1 (measured); in between, the source cites "
        "2.1.0 ([source](https://example.org/notes))",
        "- **Bracketed** [A](#measured): warns on 2.4.1, fails on 2.15.0 (measured); in between, the source cites "
        "2.6.0 ([source](https://example.org/notes))"]


def test_a_cited_release_outside_the_bracket_is_said_to_disagree():
    ch = change(kind="warning", warns="1.2.0")
    obs = [rec("works", "1.4.0"), rec("warns", "1.8.1")]
    (line,) = boundary_lines(ch, obs)
    assert "runs on 1.4.0, warns on 1.8.1 (measured)" in line and "which this measurement contradicts" in line


def test_the_oldest_pin_that_ran_is_not_bracketed_and_the_cited_release_is_marked_inferred():
    ch = change(kind="error", changed="2.0.0", verified=False)
    obs = [rec("not_run", "1.8.1", detail="no torch.func"), rec("not_run", "1.13.1", detail="no torch.func"),
           rec("errors", "2.0.1"), rec("errors", "2.4.1")]
    assert boundary_lines(ch, obs) == [
        "- **Not bracketed** [A](#measured): fails already on 2.0.1, the oldest pin whose check ran; the first "
        "release that fails is not measured here; the source cites 2.0.0 *(inferred)* "
        "([source](https://example.org/notes))"]


@pytest.mark.parametrize("extra_pin", ["1.0.1", "1.4.0", "2.2.0", "0.4.1"])
@pytest.mark.parametrize("outcomes", [("works", "warns", "errors"), ("errors", "errors", "errors"),
                                      ("works", "differs", "differs"), ("not_run", "errors", "errors")])
def test_a_not_run_pin_never_changes_a_boundary_statement(extra_pin, outcomes):
    """function-setup-context's case and others: a pin where the check could not run (no interpreter,
    no torch.func) is added, older than every pin or between two; the 'since' statements stay as they were."""
    ch = change(kind="error", warns="1.9.0", fails="2.1.0", changed="2.0.0")
    obs = [rec(o, p) for o, p in zip(outcomes, ("1.8.1", "2.0.1", "2.4.1"))]
    before = boundary_lines(ch, obs)
    assert before  # every case has a boundary statement
    for detail in ("torch 1.0.1 has no torch.func", "no Python 3.7 interpreter found"):
        added = obs + [rec("not_run", extra_pin, detail=detail)]
        assert boundary_lines(ch, added) == before
        assert boundary_lines(ch, added + [rec("crashed", "1.13.1")]) == before
