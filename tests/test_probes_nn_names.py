"""matrix/probes/nn_names.py on the installed torch: the torch.nn names renamed still run, warn
with the catalog's exact texts, and give the same numbers as the names that replaced them.

The probes run once, in a fresh interpreter, as a matrix cell runs them (some warnings are issued once
per process).
"""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix import probes
from matrix.facts.catalog import load_catalog

pytest.importorskip("torch")
IDS = ("nn-init-underscore", "clip-grad-norm-underscore", "hardtanh-min-max-value", "nllloss2d", "nn-container",
       "functional-upsample-bilinear")
CATALOG = {c["id"]: c for c in load_catalog()}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def record(records, change_id):
    return records[probes.probe_name(change_id)]


def texts(rec):
    return [f"{w['category']}: {w['message']}" for w in rec["warnings"]]


def known(change_id):
    change = CATALOG[change_id]
    return [change["symptom"], *change.get("also_seen", [])]


def test_nn_init_old_names_warn_and_fill_the_same_numbers(records):
    rec = record(records, "nn-init-underscore")
    assert rec["outcome"] == "warns"
    assert CATALOG["nn-init-underscore"]["symptom"] in texts(rec)
    # every old name warns with a text the catalog knows (one per function)
    assert len(rec["warnings"]) == 11 and all(t in known("nn-init-underscore") for t in texts(rec))
    assert rec["value"]["same"] is True and all(rec["value"]["functions"].values())
    assert len(rec["value"]["functions"]) == 11


def test_clip_grad_norm_warns_and_clips_like_the_new_name(records):
    rec = record(records, "clip-grad-norm-underscore")
    assert rec["outcome"] == "warns"
    assert texts(rec) == [CATALOG["clip-grad-norm-underscore"]["symptom"]]
    # gradient (3, 4), max norm 1: total norm 5, the gradient scaled to about (0.6, 0.8)
    assert rec["value"]["same"] is True and rec["value"]["total_norm"] == 5.0
    assert rec["value"]["grad"] == pytest.approx([0.6, 0.8], abs=1e-6)


def test_hardtanh_old_keywords_warn_once_each_and_set_the_same_bounds(records):
    rec = record(records, "hardtanh-min-max-value")
    assert rec["outcome"] == "warns"
    symptom = CATALOG["hardtanh-min-max-value"]["symptom"]
    assert texts(rec) == [symptom, symptom.replace("min_", "max_")]
    assert all(t in known("hardtanh-min-max-value") for t in texts(rec))
    assert rec["value"] == {"same": True, "output": [-2.0, -1.5, 0.0, 1.5, 2.0], "range": [-2.0, 2.0]}


def test_nllloss2d_warns_and_gives_nllloss_s_loss(records):
    rec = record(records, "nllloss2d")
    assert rec["outcome"] == "warns"
    assert texts(rec) == [CATALOG["nllloss2d"]["symptom"]]
    assert rec["value"]["same"] is True and rec["value"]["loss"] == pytest.approx(1.16482532, abs=1e-6)


def test_nn_container_warns_and_registers_its_keyword_modules(records):
    rec = record(records, "nn-container")
    assert rec["outcome"] == "warns"
    assert texts(rec) == [CATALOG["nn-container"]["symptom"]]
    # what makes the upgrade report it: Container(fc=...) registers fc, nn.Module takes no modules
    assert rec["value"]["children"] == ["fc"] and rec["value"]["is_module"] is True
    assert len(rec["value"]["warned_at"]) == 1


def test_upsample_bilinear_and_nearest_warn_and_equal_interpolate(records):
    rec = record(records, "functional-upsample-bilinear")
    assert rec["outcome"] == "warns"
    symptom = CATALOG["functional-upsample-bilinear"]["symptom"]
    assert texts(rec) == [symptom, symptom.replace("bilinear", "nearest")]
    value = rec["value"]
    assert value["same_bilinear"] is True and value["same_nearest"] is True
    # 2x2 -> 4x4 with align_corners=True: the corners kept, thirds between them
    assert value["bilinear"][:4] == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0], abs=1e-6)
    # what a rewrite without align_corners=True would compute instead
    assert value["align_corners_false"][:4] == [0.0, 0.25, 0.75, 1.0]
