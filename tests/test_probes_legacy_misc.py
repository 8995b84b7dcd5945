"""The probes of matrix/probes/legacy_misc.py on the tests' torch: a plain-method ``__torch_function__``, a
pickled Storage, ``gumbel_softmax``'s ``eps``, ``torch.utils.ffi`` and ``comm.gather(..., destination=-1)``."""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix.facts.catalog import load_catalog

torch = pytest.importorskip("torch")
CATALOG = {c["id"]: c for c in load_catalog()}
IDS = ("torch-function-classmethod", "storage-pickle", "gumbel-softmax-eps", "utils-ffi",
       "parallel-gather-cpu-minus-one")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def split(text: str):
    """"Category: message" -> (category, message)."""
    category, _, message = text.partition(": ")
    return category, message


def messages(rec):
    """(category, message) of each warning, C++ warnings' "(Triggered internally at ...)" suffix left out."""
    return [(w["category"], w["message"].split(" (Triggered internally")[0]) for w in rec["warnings"]]


def test_torch_function_plain_method_still_dispatches_and_warns(records):
    rec = records["torch_function_classmethod"]
    assert rec["outcome"] == "warns" and rec["value"] == {"dispatched": True}
    assert split(CATALOG["torch-function-classmethod"]["symptom"]) in messages(rec)


def test_storage_pickle_round_trips_with_the_typed_storage_warning(records):
    rec = records["storage_pickle"]
    assert rec["outcome"] == "warns"
    assert rec["value"] == {"values": [1.5, -2.0, 3.25], "same": True}
    assert split(CATALOG["storage-pickle"]["symptom"]) in messages(rec)


def test_gumbel_softmax_eps_has_no_effect(records):
    rec = records["gumbel_softmax_eps"]
    assert rec["outcome"] == "warns"
    assert rec["value"] == {"same_as_without_eps": True, "row_sums": [1.0, 1.0]}
    assert messages(rec) == [split(CATALOG["gumbel-softmax-eps"]["symptom"])]


def test_utils_ffi_is_gone(records):
    rec = records["utils_ffi"]
    assert rec["outcome"] == "errors"
    assert (rec["error"]["type"], rec["error"]["message"]) == split(CATALOG["utils-ffi"]["symptom"])


def test_gather_minus_one_warns_before_the_cuda_check(records):
    rec = records["parallel_gather_cpu_minus_one"]
    assert rec["outcome"] == "warns" and rec["value"]["warned"] is True
    assert split(CATALOG["parallel-gather-cpu-minus-one"]["symptom"]) in messages(rec)
    if not torch.cuda.is_available():
        assert rec["value"]["gpu"] is False and "CUDA" in rec["value"]["then_failed"]
    else:
        assert rec["value"]["device"] == "cpu" and rec["value"]["values"] == [1.0, 1.0, 2.0, 2.0]
