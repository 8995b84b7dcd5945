"""matrix/probes.py on the installed torch: each probe's outcome is what the catalog and this
torch's version imply, with the exact texts users see.

The probes run once, in a fresh interpreter, exactly as a matrix cell runs them
(``python -m matrix.probes --out FILE``): some torch warnings are issued once per process.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from matrix import probes
from matrix.catalog import by_probe, load_catalog

torch = pytest.importorskip("torch")
CATALOG = by_probe(load_catalog())
V = probes._version_tuple(torch.__version__)
OUTCOMES = {"works", "warns", "errors", "differs", "not_run"}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    out = tmp_path_factory.mktemp("probes") / "probes.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-m", "matrix.probes", "--out", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.read_text())
    return {r["id"]: r for r in data}


def symptom_body(probe_id: str) -> str:
    """The catalog's symptom without its leading 'Category: '."""
    text = CATALOG[probe_id]["symptom"]
    head, sep, rest = text.partition(": ")
    return rest if sep and head.replace("_pickle.", "").isidentifier() else text


def messages(rec, kind="warnings"):
    return [probes_clean(w["message"]) for w in rec[kind]]


def probes_clean(text):
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return re.sub(r"\s*\(Triggered internally at [^)]*\)\.?", "", text).strip()


def test_every_record_follows_the_contract(records):
    assert set(records) == {p.__name__ for p in probes.PROBES}
    for rec in records.values():
        assert set(rec) == {"id", "outcome", "detail", "warnings", "error", "value"}, rec["id"]
        assert rec["outcome"] in OUTCOMES
        assert isinstance(rec["detail"], str)
        for w in rec["warnings"]:
            assert set(w) == {"category", "message"}
        if rec["outcome"] == "errors":
            assert set(rec["error"]) == {"type", "message"} and rec["error"]["message"]
        if rec["outcome"] == "warns":
            assert rec["warnings"]
        if rec["outcome"] == "not_run":
            assert rec["detail"], f"{rec['id']}: not_run without a reason"


def test_variable_volatile(records):
    rec = records["variable_volatile"]
    assert rec["outcome"] == "warns"
    assert symptom_body("variable_volatile") in messages(rec)


def test_zero_dim_index(records):
    rec = records["zero_dim_index"]
    assert rec["outcome"] == "errors" and rec["error"]["type"] == "IndexError"
    assert rec["error"]["message"] == symptom_body("zero_dim_index")


def test_data_update_hides_a_stale_gradient(records):
    rec = records["data_update_vs_no_grad"]
    assert rec["outcome"] == "works"
    assert rec["value"]["grad_after_data_write"] == [1.0, 3.0]
    assert rec["value"]["no_grad_write"].startswith(
        "RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation")


def test_size_average(records):
    rec = records["size_average"]
    assert rec["outcome"] == "warns"
    assert symptom_body("size_average") in messages(rec)
    assert rec["value"]["old"] == rec["value"]["reduction_sum"]


def test_legacy_autograd_function(records):
    rec = records["legacy_autograd_function"]  # every installable torch (>= 1.5) raises
    assert rec["outcome"] == "errors" and rec["error"]["type"] == "RuntimeError"
    assert rec["error"]["message"] == symptom_body("legacy_autograd_function")


def test_function_setup_context(records):
    rec = records["function_setup_context"]
    if V >= (2, 0):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "RuntimeError"
        assert rec["error"]["message"].startswith(
            "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, ...), "
            "it must override the setup_context staticmethod.")
    else:
        assert rec["outcome"] == "not_run"


def test_legacy_tensor_types(records):
    rec = records["legacy_tensor_types"]
    assert rec["outcome"] == "works"
    assert rec["value"]["dtype"] == "torch.float32" and rec["value"]["type"] == "torch.FloatTensor"


def test_zero_grad_set_to_none(records):
    rec = records["zero_grad_set_to_none"]
    if V >= (2, 0):
        assert rec["outcome"] == "differs"
        assert rec["value"] == {"module_zero_grad": None, "optimizer_zero_grad": None}
    else:
        assert rec["outcome"] == "works"
        assert rec["value"]["module_zero_grad"] == [[0.0, 0.0]]


def test_set_default_tensor_type(records):
    rec = records["set_default_tensor_type"]
    assert rec["value"] == "torch.float64"
    if V >= (2, 1):
        assert rec["outcome"] == "warns"
        assert symptom_body("set_default_tensor_type") in messages(rec)
    else:
        assert rec["outcome"] == "works"
    assert torch.get_default_dtype() == torch.float32  # (this process) untouched


def test_cuda_amp(records):
    rec = records["cuda_amp"]
    if V >= (2, 4):
        assert rec["outcome"] == "warns"
        assert {w["category"] for w in rec["warnings"]} == {"FutureWarning"}
        assert symptom_body("cuda_amp") in messages(rec)
        assert "`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use `torch.amp.GradScaler('cuda', args...)` instead." in messages(rec)
    else:
        assert rec["outcome"] == "works"


def test_torch_load_weights_only(records):
    rec = records["torch_load_weights_only"]
    if V >= (2, 6):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "UnpicklingError"
        msg = probes_clean(rec["error"]["message"])
        assert msg.splitlines()[0].strip() == symptom_body("torch_load_weights_only")
        assert "Unsupported global: GLOBAL argparse.Namespace was not an allowed global by default." in msg
    elif V >= (2, 4):
        assert rec["outcome"] == "warns"
        assert messages(rec)[0].startswith("You are using `torch.load` with `weights_only=False` (the current default value)")
    else:
        assert rec["outcome"] == "works" and rec["value"] == {"step": 3}


def test_functorch_import(records):
    rec = records["functorch_import"]
    if V >= (2, 0) and importlib.util.find_spec("functorch"):
        assert rec["outcome"] == "warns"
        assert messages(rec)[0] == symptom_body("functorch_import")
    elif not importlib.util.find_spec("functorch"):
        assert rec["outcome"] == "not_run"


def test_removed_linalg(records):
    rec = records["removed_linalg"]
    if V >= (2, 0):
        assert rec["outcome"] == "errors"
        for name in ("symeig", "eig", "lstsq", "solve", "matrix_rank"):
            assert rec["value"][name]["outcome"] == "errors", name
            assert rec["value"][name]["message"].startswith(
                "This function was deprecated since version 1.9 and is now removed."), name
    elif V < (1, 9):
        assert rec["outcome"] == "works"


def test_tf1_graph(records):
    rec = records["tf1_graph"]
    if importlib.util.find_spec("tensorflow") is None:
        assert rec["outcome"] == "not_run"
    elif rec["value"]["tensorflow"].startswith("2."):
        assert rec["outcome"] == "errors"
        assert rec["error"] == {"type": "AttributeError", "message": symptom_body("tf1_graph")}


def test_grad_none_zero(records):
    rec = records["grad_none_zero"]
    assert rec["outcome"] == "errors"
    assert rec["error"] == {"type": "AttributeError", "message": symptom_body("grad_none_zero")}


def test_numpy_abi(records):
    rec = records["numpy_abi"]
    np = pytest.importorskip("numpy")
    assert rec["outcome"] == "works"
    assert rec["value"]["numpy"] == np.__version__ and rec["value"]["result"] == [0.0, 2.0, 4.0]


def test_a_probe_that_raises_is_recorded_not_propagated():
    def boom():
        raise ValueError("old form failed")

    rec = probes.run_probe(boom)
    assert rec["outcome"] == "errors" and rec["error"] == {"type": "ValueError", "message": "old form failed"}


def test_cli_only_and_list(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp_path / "one.json"
    proc = subprocess.run([sys.executable, "-m", "matrix.probes", "--only", "grad_none_zero", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert [r["id"] for r in json.loads(out.read_text())] == ["grad_none_zero"]
