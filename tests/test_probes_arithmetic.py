"""matrix/probes/arithmetic.py on the installed torch: the numbers the old forms give (integer
division, torch.range, linspace without steps, torch.ger), with the exact texts users see, against
the catalog's entries.

The probes run once, in a fresh interpreter (``python -m matrix.probes --only ...``), as a matrix cell
runs them: some of these warnings are issued once per process.
"""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix import probes
from matrix.facts.catalog import load_catalog

Version = pytest.importorskip("packaging.version").Version
torch = pytest.importorskip("torch")
V = Version(torch.__version__)
IDS = ["integer-division", "torch-range", "linspace-default-steps", "torch-ger"]
CATALOG = {c["id"]: c for c in load_catalog() if c["id"] in IDS}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def record(records, change_id):
    return records[probes.probe_name(change_id)]


def test_every_entry_has_its_record(records):
    assert {probes.probe_name(i) for i in IDS} == set(records)


def test_integer_division_records_the_numbers(records):
    rec = record(records, "integer-division")
    value = rec["value"]
    if V >= Version("1.13"):
        # true division, and // floors: -7 // 2 is -4 as in Python
        assert rec["outcome"] == "differs" and not rec["warnings"] and rec["error"] is None
        assert value["true_div"] == [-3.5, 3.5]
        assert value["floor_div_op"] == value["floor_divide"] == [-4, 3] == [-7 // 2, 7 // 2]
        assert value["errors"] == {}
    elif V < Version("1.5"):
        assert rec["outcome"] == "works" and value["true_div"] == value["floor_div_op"] == [-3, 3]


def test_integer_division_names_the_old_rounding_in_the_detail(records):
    rec = record(records, "integer-division")
    assert rec["detail"].startswith("a = [-7, 7]; a / 2: ")
    assert "floor_divide(a, 2): " in rec["detail"]


def test_integer_division_wordings_are_the_catalogs():
    """Every wording users met (1.5 warning, 1.6 error, the floor_divide / __floordiv__ warnings) is in
    also_seen, with its category; the silent symptom has none."""
    change = CATALOG["integer-division"]
    assert change["kind"] == "silent" and change["symptom"].startswith("(no message")
    seen = change["also_seen"]
    error = "RuntimeError: Integer division of tensors using div or / is no longer supported"
    assert any(s.startswith(error) for s in seen)
    for op in ("floor_divide", "__floordiv__", "__rfloordiv__"):
        assert any(s.startswith(f"UserWarning: {op} is deprecated, and ") for s in seen), op


def test_torch_range_includes_its_end_and_warns_with_the_catalogs_text(records):
    rec = record(records, "torch-range")
    assert rec["outcome"] == "warns" and rec["error"] is None
    assert rec["value"]["range"] == [0.0, 1.0, 2.0, 3.0, 4.0] and rec["value"]["arange"] == [0, 1, 2, 3]
    assert rec["value"]["range_dtype"] == str(torch.get_default_dtype())
    symptom = CATALOG["torch-range"]["symptom"]
    texts = [f"{w['category']}: {w['message']}" for w in rec["warnings"]]
    if V >= Version("1.7"):
        assert texts == [symptom]
    else:
        assert texts == CATALOG["torch-range"]["also_seen"]


def test_the_torch_range_rewrite_gives_the_same_values_and_dtype():
    """What the rule writes for integer literals (torch.arange with float literals, one step past the end)
    equals torch.range, dtype included, both directions."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pairs = [(torch.range(0, 10), torch.arange(0.0, 11.0)),
                 (torch.range(10, 0, -2), torch.arange(10.0, -1.0, -2.0))]
    for old, new in pairs:
        assert old.dtype == new.dtype and torch.equal(old, new)


def test_linspace_without_steps_fails_with_the_catalogs_text(records):
    rec = record(records, "linspace-default-steps")
    change = CATALOG["linspace-default-steps"]
    if V >= Version("2.1"):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "TypeError"
        assert f"TypeError: {rec['error']['message'].splitlines()[0]}" == change["symptom"]
        logspace = rec["value"]["errors"]["logspace"]
        assert f"TypeError: {logspace['message'].splitlines()[0]}" in change["also_seen"]
        assert rec["value"]["linspace"] is None and rec["value"]["logspace"] is None
    elif V < Version("1.7"):
        assert rec["outcome"] == "works" and rec["value"]["linspace"] == rec["value"]["logspace"] == 100


def test_linspace_with_steps_100_is_the_old_default(records):
    rec = record(records, "linspace-default-steps")
    assert rec["value"]["with_steps_100"] == {"linspace": 100, "logspace": 100}


def test_torch_ger_warns_only_with_out_and_equals_outer(records):
    rec = record(records, "torch-ger")
    value = rec["value"]
    assert value["ger"] == value["tensor_ger"] == value["addr"] == [[3.0, 4.0, 5.0], [6.0, 8.0, 10.0]]
    if V >= Version("1.8"):
        assert value["has_outer"] and value["outer_equal"]
        assert rec["outcome"] == "warns" and value["warned"] == ["ger_out"]
        assert [f"{w['category']}: {w['message']}".split(" (Triggered internally")[0] for w in rec["warnings"]] == \
            [CATALOG["torch-ger"]["symptom"]]
    elif V < Version("1.7"):
        assert not value["has_outer"] and rec["outcome"] == "works"
