"""The probes of matrix/probes/idioms.py on the tests' torch: scheduler.get_lr() read as the rate in use,
meshgrid without indexing, x.T on tensors that are not 2-D, load_lua, torch.tensor of a tensor."""
from __future__ import annotations

import pytest

from conftest import message_body, run_probes
from matrix.facts.catalog import load_catalog

torch = pytest.importorskip("torch")
CATALOG = {c["id"]: c for c in load_catalog()}
IDS = ("scheduler-get-lr", "meshgrid-indexing", "transpose-non-2d", "load-lua", "tensor-copy-construct")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def messages(rec) -> list:
    """The record's warnings as "Category: message", C++ warnings' "(Triggered internally at ...)" left out."""
    return [f"{w['category']}: {w['message'].split(' (Triggered internally')[0]}" for w in rec["warnings"]]


def test_scheduler_get_lr(records):
    rec = records["scheduler_get_lr"]
    assert rec["outcome"] == "warns"
    symptom = CATALOG["scheduler-get-lr"]["symptom"]
    assert {"category": symptom.partition(": ")[0], "message": message_body(symptom)} in rec["warnings"]
    step = rec["value"]["steplr"]
    # at each step boundary get_lr() applies gamma once more than the rate the optimizer uses (1.0 and
    # earlier: the same list twice)
    assert step["lr"] == step["get_last_lr"] == [1.0, 0.1, 0.1, 0.1 * 0.1]
    assert step["get_lr"] == [1.0, 0.1 * 0.1, 0.1, 0.1 * 0.1 * 0.1]
    multi = rec["value"]["multisteplr"]
    assert multi["lr"] == [0.1, 0.1 * 0.1, 0.1 * 0.1] and multi["get_lr"] == [0.1 * 0.1, 0.1 * 0.1 * 0.1, 0.1 * 0.1]
    assert rec["value"]["get_lr_is_rate_in_use"] is False


def test_meshgrid_indexing(records):
    rec = records["meshgrid_indexing"]
    assert rec["outcome"] == "warns"
    assert CATALOG["meshgrid-indexing"]["symptom"] in messages(rec)
    # the old call still builds 'ij' grids: rows follow the first input, columns the second
    assert rec["value"] == {"grids": [[[1, 1], [2, 2], [3, 3]], [[4, 5], [4, 5], [4, 5]]], "same_as_ij": True,
                            "has_indexing": True}


def test_transpose_non_2d(records):
    rec = records["transpose_non_2d"]
    assert rec["outcome"] == "warns"
    assert CATALOG["transpose-non-2d"]["symptom"] in messages(rec)
    # still the reversed shape (no error yet); the 1-D case warns too, the 2-D one does not
    assert rec["value"] == {"2x3x4": {"outcome": "warns", "shape": [4, 3, 2]}, "3": {"outcome": "warns", "shape": [3]},
                            "2x3": {"outcome": "works", "shape": [3, 2]}}


def test_load_lua(records):
    rec = records["load_lua"]
    assert rec["outcome"] == "errors"
    symptom = CATALOG["load-lua"]["symptom"]
    # torch 2.15 has a torch.utils.serialization (a config) without load_lua; the message ends with its path
    assert rec["error"]["type"] == symptom.partition(": ")[0]
    assert rec["error"]["message"].startswith(message_body(symptom) + " (")
    assert rec["value"] == {"module_exists": True, "has_load_lua": False}


def test_tensor_copy_construct(records):
    rec = records["tensor_copy_construct"]
    assert rec["outcome"] == "warns"
    assert CATALOG["tensor-copy-construct"]["symptom"] in messages(rec)
    copy = {"warns": True, "shares_memory": False, "requires_grad": False, "same_object": False}
    assert rec["value"] == {
        "tensor(weight)": copy, "tensor(plain)": copy,  # a detached copy: requires_grad dropped
        # the legacy constructor is silent and aliases: same memory, requires_grad kept
        "Tensor(weight)": {"warns": False, "shares_memory": True, "requires_grad": True, "same_object": False},
        "Tensor(plain)": {"warns": False, "shares_memory": True, "requires_grad": False, "same_object": False},
    }
