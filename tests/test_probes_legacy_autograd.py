"""matrix/probes/legacy_autograd.py on the tests' torch: the legacy autograd forms of issue 19, their
outcome, the exact texts (against the catalog's symptom) and the numbers.

The probes run once, in a fresh interpreter, as a matrix cell runs them (``python -m matrix.probes``).
"""
from __future__ import annotations

import pytest

from conftest import run_probes
from matrix.facts.catalog import load_catalog

torch = pytest.importorskip("torch")
Version = pytest.importorskip("packaging.version").Version
CATALOG = {c["id"]: c for c in load_catalog()}
IDS = ["function-instance-attributes", "grad-variables", "function-traceable", "mark-shared-storage",
       "distribution-sample-n"]


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


@pytest.mark.skipif(Version(torch.__version__) < Version("2.15"), reason="the catalog's symptom is 2.15's")
def test_function_instance_attributes_answer_but_hooks_never_run(records):
    rec = records["function_instance_attributes"]
    value = rec["value"]
    assert rec["outcome"] == "works" and rec["error"] is None
    for attr in ("next_functions", "register_hook", "name", "register_prehook"):
        assert value[attr]["outcome"] == "works", (attr, value[attr])
    assert value["next_functions"]["returned"] == "()"   # the instance is in no graph
    assert value["name"]["returned"] == "'Double'"
    assert value["register_hook"]["hook_called"] is False and value["register_prehook"]["hook_called"] is False
    assert "next_functions is ()" in CATALOG["function-instance-attributes"]["symptom"]
    assert "never runs" in CATALOG["function-instance-attributes"]["symptom"]
    # calling _register_hook_dict on an instance kills the interpreter: the child process's outcome
    assert value["_register_hook_dict"]["outcome"] == "crashed"
    assert value["instantiate_warnings"] and value["instantiate_warnings"][0].startswith(
        "DeprecationWarning: <class ")


def test_function_instance_attribute_texts_are_the_releases_wordings():
    """The 1.9-2.7 message, per attribute, is in also_seen exactly as the releases print it."""
    seen = CATALOG["function-instance-attributes"]["also_seen"]
    for attr in ("next_functions", "register_hook", "name", "register_prehook", "_register_hook_dict"):
        text = (f"RuntimeError: Attribute '{attr}' is invalid for this instance of _C._FunctionBase. Accessing "
                "this attribute directly on an instance of autograd.Function is a legacy access pattern that is "
                "no longer supported.")
        assert any(s.startswith(text) for s in seen), attr


@pytest.mark.skipif(Version(torch.__version__) < Version("2.4"), reason="the catalog's symptom is the 2.4+ wording")
def test_grad_variables_warns_and_gives_the_grad_tensors_gradient(records):
    rec, entry = records["grad_variables"], CATALOG["grad-variables"]
    assert rec["outcome"] == "warns"
    assert [f"{w['category']}: {w['message']}" for w in rec["warnings"]] == [entry["symptom"]]
    assert rec["value"]["old"] == rec["value"]["grad_tensors"] == [3.0, 6.0]
    assert rec["value"]["both_passed"] in entry["also_seen"]


@pytest.mark.skipif(Version(torch.__version__) < Version("2.4"), reason="traceable is removed from 2.4 on")
def test_traceable_import_fails(records):
    rec, entry = records["function_traceable"], CATALOG["function-traceable"]
    assert rec["outcome"] == "errors" and rec["error"]["type"] == "ImportError"
    assert f"ImportError: {rec['error']['message']}".startswith(entry["symptom"])


@pytest.mark.skipif(Version(torch.__version__) < Version("2.4"), reason="the catalog's symptom is the 2.4+ wording")
def test_mark_shared_storage_only_warns(records):
    rec, entry = records["mark_shared_storage"], CATALOG["mark-shared-storage"]
    assert rec["outcome"] == "warns"
    assert [f"{w['category']}: {w['message']}" for w in rec["warnings"]] == [entry["symptom"]]
    assert rec["value"]["grad"] == [[0.0, 1.0], [2.0, 3.0]]


def test_mark_shared_storage_inside_another_statement_is_reported():
    pytest.importorskip("libcst")
    from shims.upgrade.engine import upgrade_source
    src = "import torch\nclass F(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n" \
          "        return ctx.mark_shared_storage((x, x)) or x\n"
    result = upgrade_source(src, "f.py")
    assert result.new == src
    assert [(f.action, f.line) for f in result.findings if f.change_id == "mark-shared-storage"] == [("found", 5)]


@pytest.mark.skipif(Version(torch.__version__) < Version("2.4"), reason="the catalog's symptom is the 2.4+ wording")
def test_sample_n_warns_and_draws_what_sample_draws(records):
    rec, entry = records["distribution_sample_n"], CATALOG["distribution-sample-n"]
    assert rec["outcome"] == "warns"
    assert [f"{w['category']}: {w['message']}" for w in rec["warnings"]] == [entry["symptom"]]
    value = rec["value"]
    assert value["same"] is True and value["shape"] == [3, 1]
    assert value["sample_n"] == value["sample"] == pytest.approx([1.5409960746765137, -0.293428897857666,
                                                                   -2.1787893772125244])


def test_sample_n_on_an_unknown_receiver_is_reported_not_rewritten():
    pytest.importorskip("libcst")
    from shims.upgrade.engine import upgrade_source
    src = "import torch\n\ndef draw(d, n):\n    return d.sample_n(n)\n"
    result = upgrade_source(src, "f.py")
    assert result.new == src
    assert [(f.action, f.line) for f in result.findings if f.change_id == "distribution-sample-n"] == [("found", 4)]
