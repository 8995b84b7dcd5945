"""Expected failures (matrix/expected.toml) and what fails a session."""
from __future__ import annotations

import pytest

from matrix.facts import expected

ENTRIES = [
    {"era": "legacy", "example": "tf_static_graph", "tensorflow": ">=2.16", "reason": "Keras 3"},
    {"era": "modern", "torch": "<1.9", "device": ["cpu", "cuda"], "reason": "no torch.special before 1.9"},
    {"torch_pin": "installed", "example": "nn", "reason": "someone's build"},
]


def facts(**kw):
    base = {"era": "legacy", "example": "nn", "torch_pin": "2.4.1", "torch": "2.4.1+cu121", "python": "3.11.7",
            "numpy": "2.0.2", "tensorflow": "2.18.1", "device": "cpu"}
    base.update(kw)
    return base


@pytest.mark.parametrize("kw, want", [
    ({"example": "tf_static_graph"}, ("fail", "Keras 3")),
    ({"example": "tf_static_graph", "tensorflow": "2.15.1"}, ("pass", None)),
    ({"example": "tf_static_graph", "tensorflow": None}, ("pass", None)),  # no TF: a spec can't match
    ({"era": "tensor_autograd", "example": "tf_static_graph"}, ("pass", None)),
    ({"era": "modern", "torch": "1.8.1+cu102", "torch_pin": "1.8.1"}, ("fail", "no torch.special before 1.9")),
    ({"era": "modern", "torch": "1.8.1", "device": "mps"}, ("pass", None)),
    ({"era": "modern"}, ("pass", None)),
    ({"torch_pin": "installed"}, ("fail", "someone's build")),
])
def test_expectation_matches_every_given_key(kw, want):
    assert expected.expectation(ENTRIES, facts(**kw)) == want


def test_the_projects_expected_file_parses_and_every_entry_has_a_reason():
    entries = expected.load_expected()
    known = {"era", "example", "device", "mode", "torch_pin", "torch", "python", "numpy", "tensorflow", "error",
             "change", "reason", "status"}
    for entry in entries:
        assert set(entry) <= known, entry
        assert entry["reason"].strip()


def test_an_entry_without_reason_is_refused(tmp_path):
    path = tmp_path / "expected.toml"
    path.write_text('[[fail]]\nera = "legacy"\n')
    with pytest.raises(ValueError, match="reason"):
        expected.load_expected(path)
    assert expected.load_expected(tmp_path / "missing.toml") == []


def c(status, expected="pass", reason=None):
    return {"example": "nn", "status": status, "expected": expected, "reason": reason}


def test_apply_expectation_marks_xpass_and_expected_failures():
    xpass = expected.apply_expectation(c("passed"), "fail", "Keras 3")
    assert xpass["expected"] == "fail" and xpass["reason"].startswith("XPASS: ") and "Keras 3" in xpass["reason"]
    xfail = expected.apply_expectation(c("failed", reason="ImportError: x"), "fail", "Keras 3")
    assert xfail["reason"] == "expected failure (Keras 3): ImportError: x"
    assert expected.apply_expectation(c("passed"), "pass", None) == c("passed")


def test_verdict_fails_only_on_cells_expected_to_pass():
    cells = [c("passed"), c("passed_with_warnings", reason="w"), c("not_run", reason="no GPU"),
             c("failed", "fail", "known"), c("crashed", "fail", "known")]
    assert expected.verdict(cells) == ([], [])
    bad = [c("failed", reason="E"), c("crashed", reason="SIGSEGV")]
    xpass = [c("passed", "fail", "XPASS")]
    unexpected, xp = expected.verdict(cells + bad + xpass)
    assert unexpected == bad and xp == xpass


def test_not_run_never_counts_as_passed():
    unexpected, xpass = expected.verdict([c("not_run", "fail", "no GPU")])
    assert unexpected == [] and xpass == []  # nor as an XPASS


def test_an_expected_failure_with_another_error_fails_the_session():
    """`error` pins how the 2017 code breaks: breaking some other way is news, not an expected failure."""
    same = expected.apply_expectation(c("failed", reason="IndexError: invalid index of a 0-dim tensor. Use ..."),
                                  "fail", "loss.data[0]", "IndexError: invalid index of a 0-dim tensor")
    other = expected.apply_expectation(c("failed", reason="ImportError: no torch"), "fail", "loss.data[0]",
                                   "IndexError: invalid index of a 0-dim tensor")
    assert same["reason"].startswith("expected failure (loss.data[0]): IndexError")
    assert "unexpected_error" not in same
    assert other["reason"].startswith("failed, but not with the 'IndexError: invalid index of a 0-dim tensor'")
    unexpected, xpass = expected.verdict([same, other])
    assert unexpected == [other] and xpass == []


def test_as_published_cells_are_matched_by_mode():
    entries = expected.load_expected()
    published = facts(example="autograd", mode="as_published", torch="2.15.0")
    shimmed = facts(example="autograd", mode="variant", torch="2.15.0")
    assert expected.expectation(entries, published)[0] == "fail"
    assert expected.expectation(entries, shimmed) == ("pass", None)
    assert expected.matching_entry(entries, published)["error"].startswith("IndexError")


def test_every_expected_failure_names_a_catalog_entry():
    from matrix.facts.catalog import load_catalog

    ids = {entry["id"] for entry in load_catalog()}
    for entry in expected.load_expected():
        assert entry.get("change") in ids, entry


def test_expectation_of_an_entry():
    assert expected.expectation_of(None) == ("pass", None)
    assert expected.expectation_of({"example": "nn", "reason": "  known  "}) == ("fail", "known")


def test_a_diverged_or_nondeterministic_cell_expected_to_pass_fails_the_session():
    diverged = c("diverged", reason="loss nan at step 12 (first non-finite of 50 steps)")
    unsteady = c("nondeterministic", reason="loss at step 3 differs between runs with the same seed: 1.0, 1.5")
    assert expected.verdict([diverged, unsteady]) == ([diverged, unsteady], [])
    assert expected.apply_expectation(dict(diverged), "pass", None) == diverged  # nor an XPASS


def test_an_expected_failure_that_diverges_instead_is_news_unless_its_entry_names_the_status():
    """An entry expects the script to break (failed, crashed); losses that blow up or differ between
    runs are another story, and fail the session unless the entry says ``status = "diverged"``."""
    reason = "loss inf at step 4 (first non-finite of 10 steps)"
    other = expected.apply_expectation(c("diverged", reason=reason), "fail", "known", "IndexError")
    assert other["reason"] == f"diverged, not the failed or crashed that matrix/expected.toml expects: {reason}"
    assert other["unexpected_error"] == "IndexError"
    plain = expected.apply_expectation(c("nondeterministic", reason="x"), "fail", "known")
    assert plain["unexpected_error"] == "status failed or crashed"
    entry = {"example": "nn", "status": "diverged", "reason": "lr too high on purpose"}
    named = expected.apply_expectation(c("diverged", reason=reason), "fail", "known", None, expected.statuses_of(entry))
    assert named["reason"] == f"expected failure (known): {reason}" and "unexpected_error" not in named
    assert expected.verdict([other, plain, named]) == ([other, plain], [])
    assert expected.statuses_of(None) == ("failed", "crashed")
    assert expected.statuses_of({"status": ["diverged", "nondeterministic"]}) == ("diverged", "nondeterministic")
    assert expected.matching_entry([entry], {"example": "nn"}) is entry  # status is said, not matched


def test_an_entry_whose_status_is_not_a_way_to_fail_is_refused(tmp_path):
    path = tmp_path / "expected.toml"
    path.write_text('[[fail]]\nexample = "nn"\nstatus = ["passed"]\nreason = "x"\n')
    with pytest.raises(ValueError, match="status 'passed' must name a way to fail"):
        expected.load_expected(path)
    path.write_text('[[fail]]\nexample = "nn"\nstatus = ["diverged", "sideways"]\nreason = "x"\n')
    with pytest.raises(ValueError, match="status 'sideways' must name a way to fail"):
        expected.load_expected(path)


def test_a_race_that_goes_right_is_a_pass_not_an_xpass(tmp_path):
    """An entry whose outcome is a race (catalog tf1-assign-race) lists a pass among its statuses: a
    run where the race went right is recorded as passed, with the entry's reason; the other outcomes
    it lists are expected failures; one it does not list (failed) is news."""
    path = tmp_path / "expected.toml"
    path.write_text('[[fail]]\nexample = "nn"\nstatus = ["nondeterministic", "diverged", "passed"]\n'
                    'reason = "the assigns race with the reads"\n')
    (entry,) = expected.load_expected(path)
    statuses = expected.statuses_of(entry)
    went_right = expected.apply_expectation(c("passed"), "fail", entry["reason"], None, statuses)
    assert went_right["expected"] == "pass" and went_right["reason"].startswith("passed this time;")
    racy = expected.apply_expectation(c("nondeterministic", reason="loss at step 2 differs"), "fail",
                                      entry["reason"], None, statuses)
    broke = expected.apply_expectation(c("failed", reason="boom"), "fail", entry["reason"], None, statuses)
    unexpected, xpass = expected.verdict([went_right, racy, broke])
    assert xpass == [] and unexpected == [broke]
    assert racy["reason"].startswith("expected failure (the assigns race")
