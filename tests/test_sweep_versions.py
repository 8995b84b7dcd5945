"""The probe sweep (every minor release) in the version answers: matrix/records/sweep.py read as sessions,
the boundaries placed at the release where they happen (matrix/pages/versions.py), the cited release
no longer called inferred where the sweep brackets it, and ``upgrade --target-torch`` deciding from it."""
from __future__ import annotations

import json

from conftest import change, rec
from matrix.pages import versions
from matrix.records import sweep

RELEASES = ["1.0.1", "1.1.0", "1.2.0", "1.3.1", "1.4.0", "1.5.1"]


def swept(*outcomes, **kw):
    return [rec(o, pin, cpu="AMD EPYC", **kw) for pin, o in zip(RELEASES, outcomes)]


def test_each_boundary_is_placed_at_the_release_where_it_happens():
    obs = swept("works", "works", "warns", "warns", "warns", "errors")
    lines, measured = versions.sweep_statement(change(kind="error", warns="1.2.0", fails="1.5.0",
                                                      verified=["warns"]), obs)
    assert lines[0].endswith("runs 1.0.1-1.1.0 · warns 1.2.0-1.4.0 · fails 1.5.1")
    assert lines[1].startswith("**Where it happens** (every release): first warns on 1.2.0; 1.1.0 runs; "
                               "the source cites 1.2.0 ([source]")
    assert lines[2].startswith("**Where it happens** (every release): first fails on 1.5.1; 1.4.0 warns; "
                               "the source cites 1.5.0 *(not stated by the source)*")
    assert measured["fails"] == "not stated by the source; [the sweep](coverage.md#sweep): first fails on 1.5.1"


def test_a_cited_release_outside_the_bracket_is_said_to_contradict():
    lines, _ = versions.sweep_statement(change(warns="1.4.0"), swept("works", "warns", "warns", "warns"))
    assert "first warns on 1.1.0; 1.0.1 runs; the source cites 1.4.0" in lines[1]
    assert lines[1].endswith("which this measurement contradicts: check the source")


def test_a_warning_that_came_and_went_is_said_and_the_last_run_counts():
    lines, _ = versions.sweep_statement(change(), swept("works", "warns", "works", "works", "warns", "warns"))
    assert "first warns on 1.4.0; 1.3.1 runs (also warns on 1.1.0, then not: see Evidence)" in lines[1]


def test_not_run_releases_before_the_first_that_ran():
    obs = swept("not_run", "not_run", "errors", "errors", "errors", "errors")
    lines, measured = versions.sweep_statement(change(kind="error", changed="1.2.0", verified=False), obs)
    assert "first fails on 1.2.0, the first release where the check runs (1.1.0: not run)" in lines[1]
    assert measured["changed"].endswith("first fails on 1.2.0")  # a cited 'changed' stands for the failure


def test_inferred_is_left_only_where_no_older_release_installs():
    obs = swept("errors", "errors", "errors", "errors", "errors", "errors")
    cited = change(kind="error", warns="0.4.0", fails="1.0.0", verified=False)
    lines, measured = versions.sweep_statement(cited, obs)
    assert "fails already on 1.0.1, the oldest minor release on PyPI" in lines[1]
    line = versions.cited_line(cited, measured)
    assert "warns since 0.4.0 *(inferred: no release before 1.0 installs from PyPI)*" in line
    assert "fails since 1.0.0 *(inferred: fails on 1.0.1, the oldest release swept; none before 1.0 installs " \
        "from PyPI)*" in line


def test_a_sweep_that_ran_nothing_leaves_the_pins_brackets():
    obs = [rec("works", "1.0.1"), rec("warns", "1.4.0")]
    lines = versions.version_statement(change(), obs, sweep_obs=swept("not_run", "not_run"))
    assert any(ln.startswith("- **Bracketed**") for ln in lines)
    assert not any("Every minor release" in ln for ln in lines)


def test_functions_are_said_per_function():
    value = lambda *outs: {"gesv": {"outcome": outs[0]}, "potrf": {"outcome": outs[1]}}  # noqa: E731
    obs = [rec("works", "1.0.1", value=value("works", "works")), rec("warns", "1.1.0", value=value("warns", "works")),
           rec("errors", "1.2.0", value=value("errors", "errors"))]
    ch = dict(change(kind="removal", fails="1.2.0", verified=False), breakdown="functions")
    lines, measured = versions.sweep_statement(ch, obs)
    assert lines[0].endswith("per function: `gesv` runs 1.0.1 · warns 1.1.0 · fails 1.2.0; `potrf` runs "
                             "1.0.1-1.1.0 · fails 1.2.0")
    assert len(lines) == 1 and "per function" in measured["fails"]


def test_records_read_as_sessions(tmp_path):
    record = {"torch": "1.2.0", "torch_build": "1.2.0", "python": "3.7.16", "cpu": "AMD EPYC", "machine": "x86_64",
              "date": "2026-12-04", "probes": [{"id": "size_average", "outcome": "warns"}]}
    (tmp_path / "torch-1.2.0.json").write_text(json.dumps(record))
    (tmp_path / "torch-1.10.2.json").write_text(json.dumps(dict(record, torch="1.10.2", torch_build="1.10.2+cu102")))
    sessions = sweep.sessions(tmp_path)
    assert [s["torch_pin"] for s in sessions] == ["1.2.0", "1.10.2"]  # by version, not by name
    assert sessions[1]["torch"] == "1.10.2+cu102" and sessions[0]["status"] == "ran"
    assert sessions[0]["device"] == "cpu" and sessions[0]["device_name"] == "AMD EPYC"


def test_the_upgrade_target_reads_the_sweep():
    """set_default_tensor_type: runs on 2.0.1, warns from 2.1.2 in the committed sweep; the pins alone (2.0.1,
    2.4.1) could not say whether 2.1 still ran silently."""
    from shims.upgrade import target

    pins = dict(target.measured()["set-default-tensor-type"])
    releases = {str(v) for v in pins}
    assert {"2.0.1", "2.1.2", "2.2.2"} <= releases
    assert pins[max(v for v in pins if str(v) == "2.0.1")] is True
    assert pins[max(v for v in pins if str(v) == "2.1.2")] is False
