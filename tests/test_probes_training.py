"""matrix/probes/training.py on the installed torch: each probe's outcome, the exact texts (against the
catalog's symptom and also_seen) and the numbers, from one run of ``python -m matrix.probes --only ...``
in a fresh interpreter (some torch warnings are issued once per process)."""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix import probes
from matrix.facts.catalog import load_catalog

torch = pytest.importorskip("torch")
Version = pytest.importorskip("packaging.version").Version
V = Version(torch.__version__)
CATALOG = {c["id"]: c for c in load_catalog()}
IDS = ["module-backward-hook", "sampler-data-source", "scheduler-verbose", "weight-norm-parametrization",
       "state-dict-positional"]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    by_name = run_probes(tmp_path_factory, IDS)
    return {change_id: by_name[probes.probe_name(change_id)] for change_id in IDS}


def texts(rec):
    return [f"{w['category']}: {w['message']}" for w in rec["warnings"]]


def known(change_id):
    entry = CATALOG[change_id]
    return [entry["symptom"], *entry.get("also_seen", [])]


def test_every_warning_is_a_known_text(records):
    for change_id, rec in records.items():
        for text in texts(rec):
            assert any(text.startswith(k) for k in known(change_id)), (change_id, text)


def test_backward_hook_warns_and_sees_the_last_ops_gradients(records):
    rec = records["module-backward-hook"]
    assert rec["outcome"] == "warns"
    assert texts(rec)[0] == CATALOG["module-backward-hook"]["symptom"]
    assert len(texts(rec)) == 4  # multiple Nodes, different Nodes, not returning / not taking Tensors
    value = rec["value"]
    # the old hook: the gradient at the Linear's output (d sum(2 y) / dy = 2) and None for the constant
    assert value["old_grad_input_shapes"] == [[1, 2], None]
    assert value["old_grad_input"] == [[2.0, 2.0], None]
    # the full hook: the gradient at the module's input, 2 * (column sums of the Linear's weight)
    assert value["full_grad_input_shapes"] == [[1, 3]]
    torch.manual_seed(0)
    expected = (2.0 * torch.nn.Linear(3, 2).weight.sum(0)).tolist()
    assert value["full_grad_input"][0] == pytest.approx(expected, abs=1e-5)


def test_sampler_passing_data_source_up(records):
    rec = records["sampler-data-source"]
    entry = CATALOG["sampler-data-source"]
    if V >= Version(entry["cited_versions"]["fails"]):
        assert rec["outcome"] == "errors"
        assert f"{rec['error']['type']}: {rec['error']['message']}" == entry["symptom"]
    else:
        assert rec["value"]["order"] == [2, 1, 0]
        if rec["warnings"]:
            assert texts(rec) == entry["also_seen"]


def test_scheduler_verbose(records):
    rec = records["scheduler-verbose"]
    entry = CATALOG["scheduler-verbose"]
    cited = entry["cited_versions"]
    if V >= Version(cited["fails"]):
        assert rec["outcome"] == "errors"
        assert f"{rec['error']['type']}: {rec['error']['message']}" == entry["symptom"]
        return
    value = rec["value"]
    assert value["last_lr"] == [0.05]  # one step of StepLR(step_size=1, gamma=0.5) from 0.1
    if V >= Version(cited["warns"]):
        assert rec["outcome"] == "warns" and value["verbose_true_printed"] == []
        assert texts(rec)[0] == entry["also_seen"][0]


def test_weight_norm_keys_and_the_new_form_loading_them(records):
    rec = records["weight-norm-parametrization"]
    entry = CATALOG["weight-norm-parametrization"]
    value = rec["value"]
    assert value["old_keys"] == ["bias", "weight_g", "weight_v"]
    if V >= Version(entry["cited_versions"]["warns"]):
        assert rec["outcome"] == "warns"
        assert texts(rec)[0] in (entry["symptom"], *entry["also_seen"])
        assert value["new_keys"] == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
        assert value["loads_old_state_dict"] is True and value["same_output"] is True


def test_state_dict_positional(records):
    rec = records["state-dict-positional"]
    entry = CATALOG["state-dict-positional"]
    assert rec["value"] == {"positional_keys": ["net.weight", "net.bias"], "keyword_keys": ["net.weight", "net.bias"]}
    if V >= Version(entry["cited_versions"]["warns"]):
        assert rec["outcome"] == "warns"
        assert texts(rec)[0] in (entry["symptom"], *entry["also_seen"])
    if V >= Version("2.4"):  # the wording the catalog quotes as the symptom (recorded from 2.4.1 on)
        assert texts(rec) == [entry["symptom"]]
