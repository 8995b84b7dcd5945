"""matrix/probes/tensorfns.py on the installed torch: each old form does what its catalog entry says,
with the exact texts users see and the numbers releases can be compared by.

The probes run once, in a fresh interpreter, as a matrix cell runs them (some torch warnings are
issued once per process).
"""
from __future__ import annotations

import re

import pytest

from conftest import run_probes
from matrix import probes
from matrix.facts.catalog import load_catalog

Version = pytest.importorskip("packaging.version").Version
torch = pytest.importorskip("torch")

IDS = ("fft-functions", "named-tensors", "cross-default-dim", "normal-mean-std-shape", "zero-dim-transpose",
       "stft-return-complex")
CATALOG = {c["id"]: c for c in load_catalog()}
V = Version(torch.__version__)


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def record(records, change_id):
    return records[probes.probe_name(change_id)]


def clean(text: str) -> str:
    return re.sub(r"\s*\(Triggered internally at [^)]*\)\.?", "", text).strip()


def symptom(change_id: str) -> str:
    """The catalog's symptom without its leading 'Category: '."""
    return CATALOG[change_id]["symptom"].partition(": ")[2]


def test_fft_functions(records):
    rec = record(records, "fft-functions")
    if V < Version("1.8"):
        assert rec["value"]["rfft"]["result"][1] == [-4.0, 9.6569]
        return
    assert rec["outcome"] == "errors"
    assert f"{rec['error']['type']}: {rec['error']['message']}" == CATALOG["fft-functions"]["symptom"]
    seen = CATALOG["fft-functions"]["also_seen"]
    for name, fn in rec["value"].items():
        assert fn["outcome"] == "errors", name
        text = f"{fn['type']}: {fn['message']}"
        if name.startswith("Tensor."):
            assert text == f"AttributeError: 'Tensor' object has no attribute '{name[7:]}'", (name, text)
        else:
            assert text == CATALOG["fft-functions"]["symptom"] or text in seen, (name, text)
    # the replacement gives the old layout back: the numbers 1.7's torch.rfft(x, 1) gave
    assert rec["value"]["rfft"]["new_result"] == [[28.0, 0.0], [-4.0, 9.6569], [-4.0, 4.0], [-4.0, 1.6569],
                                                   [-4.0, 0.0]]


def test_named_tensors(records):
    rec = record(records, "named-tensors")
    if V < Version("1.3"):
        assert rec["outcome"] == "not_run"
    elif V < Version(CATALOG["named-tensors"]["cited_versions"]["fails"]):
        assert rec["outcome"] in ("works", "warns")
        assert rec["value"]["Tensor.align_to"]["result"] == [3, 2]
    else:
        assert rec["outcome"] == "errors"
        assert f"{rec['error']['type']}: {rec['error']['message']}" == CATALOG["named-tensors"]["symptom"]
        assert {fn["outcome"] for fn in rec["value"].values()} == {"errors"}
        assert rec["value"]["align_tensors"]["message"] == "module 'torch' has no attribute 'align_tensors'"


def test_cross_default_dim(records):
    rec = record(records, "cross-default-dim")
    value = rec["value"]
    # on (3, 3) inputs the old default is dim 0 (the columns), not the last dimension linalg.cross takes
    assert value["result"] == value["dim_0"] == [[-3.0, -3.0, -3.0], [6.0, 6.0, 6.0], [-3.0, -3.0, -3.0]]
    assert value["dim_1"] == [[-1.0, 2.0, -1.0]] * 3
    if value["linalg_cross"] is not None:
        assert value["linalg_cross"] == value["dim_1"]
    if V >= Version(CATALOG["cross-default-dim"]["cited_versions"]["warns"]):
        assert rec["outcome"] == "warns"
        assert [clean(w["message"]) for w in rec["warnings"]] == [symptom("cross-default-dim")]
    else:
        assert rec["outcome"] == "works"


def test_normal_mean_std_shape(records):
    rec = record(records, "normal-mean-std-shape")
    if rec["outcome"] == "errors":
        assert f"{rec['error']['type']}: {rec['error']['message']}" == CATALOG["normal-mean-std-shape"]["symptom"]
        assert V >= Version("1.12")  # the events: the warning (and the fallback) went in 1.12
    else:
        # std (3, 2) was reshaped to mean's (2, 3); std = 0 gives mean exactly
        assert rec["value"] == {"shape": [2, 3], "result": [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]}
        if rec["outcome"] == "warns":
            assert [clean(w["message"]) for w in rec["warnings"]] == [
                CATALOG["normal-mean-std-shape"]["also_seen"][0].partition(": ")[2]]


def test_zero_dim_transpose(records):
    rec = record(records, "zero-dim-transpose")
    assert rec["value"] == {"shape": [], "result": 2.5}  # the identity, on every release that has .T
    if V >= Version(CATALOG["zero-dim-transpose"]["cited_versions"]["warns"]):
        assert rec["outcome"] == "warns"
        assert [clean(w["message"]) for w in rec["warnings"]] == [symptom("zero-dim-transpose")]


#: torch.stft(arange(16.), 8, hop_length=4, window=ones(8)): the first frame, real and imaginary parts
STFT_FIRST_FRAMES = [[16.0, 0.0], [28.0, 0.0], [60.0, 0.0], [92.0, 0.0], [104.0, 0.0]]


def test_stft_return_complex(records):
    rec = record(records, "stft-return-complex")
    value = rec["value"]
    entry = CATALOG["stft-return-complex"]
    if V >= Version(entry["cited_versions"]["fails"]):
        assert rec["outcome"] == "errors" and value["result"] is None
        assert f"{rec['error']['type']}: {rec['error']['message']}" == entry["symptom"]
        # return_complex=False still gives the old layout, with its deprecation warning
        assert [clean(w["message"]) for w in rec["warnings"]] == [entry["also_seen"][0].partition(": ")[2]]
    else:
        assert value["result"][0] == STFT_FIRST_FRAMES
    if "complex_as_real" in value:  # the keyword exists: view_as_real of the complex result is the old layout
        assert value["complex_as_real"][0] == STFT_FIRST_FRAMES
        assert value["return_complex_false"] == value["complex_as_real"]
        if value["result"] is not None:
            assert value["result"] == value["complex_as_real"]
