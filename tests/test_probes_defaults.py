"""The probes of matrix/probes/defaults.py on the tests' torch: softmax's implicit dim, the scalar-first
overloads (each in a fresh interpreter), the scheduler's step order and its epoch argument."""
from __future__ import annotations

import pytest

from conftest import message_body, run_probes
from matrix.facts.catalog import load_catalog

Version = pytest.importorskip("packaging.version").Version
torch = pytest.importorskip("torch")
V = Version(torch.__version__)
CATALOG = {c["id"]: c for c in load_catalog()}
IDS = ("softmax-implicit-dim", "scalar-first-overloads", "scheduler-step-order", "scheduler-step-epoch",
       "grid-sample-align-corners", "bilinear-align-corners")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def test_softmax_implicit_dim(records):
    rec = records["softmax_implicit_dim"]
    assert rec["outcome"] == "warns"
    assert message_body(CATALOG["softmax-implicit-dim"]["symptom"]) in [w["message"] for w in rec["warnings"]]
    # 1 for (batch, classes); 0 for (batch, time, classes): the batch, not the classes
    assert rec["value"] == {"dim_2d": 1, "dim_3d": 0, "module_same_as_dim_1": True}


def test_scalar_first_overloads(records):
    rec = records["scalar_first_overloads"]
    per = rec["value"]
    assert per["add_"]["old_value"] == [0.5, 0.0] and per["addcmul_"]["old_value"] == [1.5, 3.0]
    assert per["addcdiv_"]["old_value"] == [1.5, 1.5] and per["add"]["old_value"] == [3.0, 5.0]
    assert all(v["same"] is True for v in per.values())  # the keyword form gives the same values
    if V >= Version("2.0"):
        # each warns on its own: a fresh interpreter per call (torch warns once per process for all)
        assert {k: v["outcome"] for k, v in per.items()} == dict.fromkeys(per, "warns")
        symptom = CATALOG["scalar-first-overloads"]["symptom"]
        assert per["add_"]["warning"].split(" (Triggered internally")[0] == message_body(symptom)


def test_scheduler_step_order(records):
    rec = records["scheduler_step_order"]
    assert rec["outcome"] == "warns"
    assert rec["value"]["lrs"] == [0.5, 0.25, 0.125]  # 1.0 gave [1.0, 0.5, 0.25]: the first rate skipped
    assert [w["message"] for w in rec["warnings"]] == [message_body(CATALOG["scheduler-step-order"]["symptom"])]


def test_scheduler_step_epoch(records):
    rec = records["scheduler_step_epoch"]
    assert rec["outcome"] == "warns" and rec["value"]["lrs"] == [1.0, 0.5, 0.25]
    assert message_body(CATALOG["scheduler-step-epoch"]["symptom"]) in [w["message"] for w in rec["warnings"]]


def test_grid_sample_align_corners(records):
    rec = records["grid_sample_align_corners"]
    assert rec["outcome"] == "warns"  # and no longer the image: the 1.2 grid samples between pixels
    assert [w["message"] for w in rec["warnings"]] == [message_body(CATALOG["grid-sample-align-corners"]["symptom"])]
    assert rec["value"] == {"identity": False, "row1": [1.6667, 4.1667, 5.5, 3.1667]}


def test_bilinear_align_corners(records):
    rec = records["bilinear_align_corners"]
    assert rec["value"] == {"row0": [0.0, 0.25, 0.75, 1.0], "row0_align_corners_true": [0.0, 0.3333, 0.6667, 1.0]}
    if V >= Version("2.4"):
        assert rec["outcome"] == "differs" and not rec["warnings"]
