"""matrix/probes/ on the installed torch: each probe's outcome is what the catalog and this
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
from matrix.facts.catalog import known_texts, load_catalog, message

Version = pytest.importorskip("packaging.version").Version

torch = pytest.importorskip("torch")
CATALOG = {probes.probe_name(c["id"]): c for c in load_catalog()}  # the records' probe name -> entry
# packaging.version: "2.4.1+cu121" is 2.4.1, and a pre-release ("2.6.0a0+git...", "2.6.0.dev2024...") is
# older than 2.6 (it may lack what 2.6 shipped), not equal to it
V = Version(torch.__version__)
OUTCOMES = {"works", "warns", "errors", "differs", "not_run"}


def at_least(release: str) -> bool:
    return V >= Version(release)


def cited(probe_id: str, key: str) -> str:
    """The release the catalog cites for a probe's change (warns / fails / changed): the one place."""
    return CATALOG[probe_id]["cited_versions"][key]


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
    assert set(records) == {p.__name__ for p in probes.PROBES.values()}
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
    rec = records["data_update_vs_no_grad"]  # documented: a .data write is invisible to autograd
    assert rec["outcome"] == "differs"
    assert rec["value"]["grad_after_data_write"] == [1.0, 3.0] and rec["value"]["expected_grad"] == [2.0, 4.0]
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
    if at_least(cited("function_setup_context", "changed")):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "RuntimeError"
        assert rec["error"]["message"].startswith(symptom_body("function_setup_context").split(". For more")[0])
    else:
        assert rec["outcome"] == "not_run"


def test_legacy_tensor_types(records):
    rec = records["legacy_tensor_types"]
    assert rec["outcome"] == "works"
    assert rec["value"]["dtype"] == "torch.float32" and rec["value"]["type"] == "torch.FloatTensor"
    # the commented-out GPU line: what it does here is recorded, one of the texts the catalog knows
    cuda = rec["value"]["cuda_float_tensor"]
    if torch.cuda.is_available():
        assert cuda == "converts to torch.cuda.FloatTensor"
    else:
        assert any(cuda.startswith(t) or t.startswith(cuda) for t in known_texts(CATALOG["legacy_tensor_types"])), cuda
    assert all(w.startswith(("UserWarning: ", "FutureWarning: ")) for w in rec["value"]["cuda_float_tensor_warnings"])


def test_zero_grad_set_to_none(records):
    rec = records["zero_grad_set_to_none"]
    if at_least(cited("zero_grad_set_to_none", "changed")):
        assert rec["outcome"] == "differs"
        # a None grad: SGD(momentum=0.9) skips the parameter left out of the step's graph
        assert {k: v for k, v in rec["value"].items() if k != "isolated"} == {
            "module_zero_grad": None, "optimizer_zero_grad": None, "momentum_step_of_unused_param": 0.0}
    else:
        assert rec["outcome"] == "works"
        assert rec["value"]["module_zero_grad"] == [[0.0, 0.0]]
        # a zero grad: the momentum buffer (0.9 * 1.0) still moves it, by lr * 0.9 (in float32)
        assert rec["value"]["momentum_step_of_unused_param"] == pytest.approx(-0.09, rel=1e-6)


def test_zero_grad_isolates_the_causes_of_the_dynamic_net_curves(records):
    """modern/dynamic_net's loop, one cause at a time: zeroed vs None grads move the losses by millions
    (step 25 of the recorded curves: 46770404.0 with zeros, about 8.63e6 with None); the linspace bits
    alone by far less; the float64-rounded x with zeroed grads gives the same curve on every torch."""
    iso = records["zero_grad_set_to_none"]["value"]["isolated"]
    assert iso["script"] == "modern/dynamic_net" and iso["steps"] == 3000
    assert iso["zero_grad"]["step"] == 25 and iso["zero_grad"]["zeros"] == 46770404.0
    assert iso["zero_grad"]["none"] == pytest.approx(8628811.0, abs=2)
    assert iso["last"]["linspace_zeros"] == pytest.approx(1608.29, abs=0.01)
    assert iso["last"]["linspace_none"] == pytest.approx(1558.04, abs=0.01)
    zero_grad_gap = abs(iso["zero_grad"]["zeros"] - iso["zero_grad"]["none"])
    linspace_gap = abs(iso["linspace"]["torch_linspace"] - iso["linspace"]["rounded_float64"])
    assert 0 < linspace_gap < zero_grad_gap / 1000
    assert all(len(d) == 16 for d in iso["curves"].values()) and len(set(iso["curves"].values())) == 3


def test_set_default_tensor_type(records):
    rec = records["set_default_tensor_type"]
    assert rec["value"]["default"] == "torch.float64"
    assert rec["value"]["has_set_default_device"] is hasattr(torch, "set_default_device")
    if at_least(cited("set_default_tensor_type", "warns")):
        assert rec["outcome"] == "warns"
        assert symptom_body("set_default_tensor_type") in messages(rec)
    else:
        assert rec["outcome"] == "works"
    assert torch.get_default_dtype() == torch.float32  # (this process) untouched


def test_cuda_amp(records):
    rec = records["cuda_amp"]
    if at_least(cited("cuda_amp", "warns")):
        assert rec["outcome"] == "warns"
        assert {w["category"] for w in rec["warnings"]} == {"FutureWarning"}
        assert symptom_body("cuda_amp") in messages(rec)
        assert message("cuda-amp", "FutureWarning: `torch.cuda.amp.GradScaler") in messages(rec)
    else:
        assert rec["outcome"] == "works"


def test_torch_load_weights_only(records):
    rec = records["torch_load_weights_only"]
    if at_least(cited("torch_load_weights_only", "fails")):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "UnpicklingError"
        msg = probes_clean(rec["error"]["message"])
        assert msg.splitlines()[0].strip() == symptom_body("torch_load_weights_only")
        assert "Unsupported global: GLOBAL argparse.Namespace was not an allowed global by default." in msg
    elif at_least(cited("torch_load_weights_only", "warns")):
        assert rec["outcome"] == "warns"
        assert messages(rec)[0].startswith(message("torch-load-weights-only", "FutureWarning: You are using"))
    else:
        assert rec["outcome"] == "works" and rec["value"] == {"step": 3}


def test_functorch_import(records):
    rec = records["functorch_import"]
    if at_least(cited("functorch_import", "warns")) and importlib.util.find_spec("functorch"):
        assert rec["outcome"] == "warns"
        if rec["warnings"][0]["category"] == CATALOG["functorch_import"]["symptom"].split(":")[0]:
            assert messages(rec)[0] == symptom_body("functorch_import")  # 2.0.x: a UserWarning in other words
        assert messages(rec)[0].startswith(symptom_body("functorch_import").split(" As the final step")[0])
    elif not importlib.util.find_spec("functorch"):
        assert rec["outcome"] == "not_run"


def test_removed_linalg(records):
    rec = records["removed_linalg"]
    if at_least("2.0"):
        assert rec["outcome"] == "errors"
        for name in ("symeig", "eig", "lstsq", "solve", "matrix_rank"):
            assert rec["value"][name]["outcome"] == "errors", name
            # (some releases raise with a tuple of strings as the message: "('This function ...', ...)")
            assert symptom_body("removed_linalg").split(" Please use")[0] in rec["value"][name]["message"], name
    elif not at_least(cited("removed_linalg", "warns")):
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


def test_bit_probes_record_comparable_digests(records):
    """The values docs/generate.py compares across pins (the catalog's `compare` keys) are there."""
    for pid in ("float32_matmul_bits", "float32_linspace_bits", "adam_exp_avg_lerp", "clamp_boundary_grad",
                "numpy_float64_bits", "zero_grad_set_to_none", "data_update_vs_no_grad"):
        rec = records[pid]
        assert rec["outcome"] in ("works", "differs"), pid
        for key in CATALOG[pid].get("compare", []):
            assert key in rec["value"], (pid, key)
    mm = records["float32_matmul_bits"]["value"]
    assert all(len(mm[k]) == 16 for k in ("mm", "t_mm"))
    assert "cpu_capability" in mm  # context recorded next to the bits
    np_rec = records["numpy_float64_bits"]["value"]
    assert np_rec["numpy"] == pytest.importorskip("numpy").__version__ and len(np_rec["sin"]) == 16


def test_clamp_boundary_grad(records):
    rec = records["clamp_boundary_grad"]
    assert rec["value"]["relu_grad"] == [0.0, 0.0, 1.0]
    assert rec["value"]["clamp_min_grad"] in ([0.0, 1.0, 1.0], [0.0, 0.0, 1.0])
    assert (rec["outcome"] == "differs") == (rec["value"]["clamp_min_grad"] == [0.0, 0.0, 1.0])


def test_a_probe_that_raises_is_recorded_not_propagated():
    def boom():
        raise ValueError("old form failed")

    rec = probes.run_probe(boom)
    assert rec["outcome"] == "errors" and rec["error"] == {"type": "ValueError", "message": "old form failed"}


def test_cli_only_and_list(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp_path / "two.json"
    proc = subprocess.run([sys.executable, "-m", "matrix.probes", "--only", "grad_none_zero",
                           "--only=zero_dim_index", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # repeatable --only; the probes run in catalog (--list) order whatever the order of the options
    assert [r["id"] for r in json.loads(out.read_text())] == ["zero_dim_index", "grad_none_zero"]
    listed = subprocess.run([sys.executable, "-m", "matrix.probes", "--list"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert listed.stdout.split() == [p.__name__ for p in probes.ordered()]
    assert [p.__name__ for p in probes.ordered()] == [probes.probe_name(c["id"]) for c in load_catalog()]
    # --only takes a catalog id too; the record still names the probe (as results/ does)
    by_id = subprocess.run([sys.executable, "-m", "matrix.probes", "--only=numpy2-abi", "--only", "size_average",
                            "--out", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert by_id.returncode == 0, by_id.stderr
    assert [r["id"] for r in json.loads(out.read_text())] == ["size_average", "numpy_abi"]
    wrong = subprocess.run([sys.executable, "-m", "matrix.probes", "--only=no-such-change"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "no-such-change" in wrong.stderr
    assert not list(tmp_path.glob("*.tmp*")), "temporary files left next to --out"


CRASHER = """
import os, sys
sys.path.insert(0, {root!r})
from matrix import probes

@probes.probe("zz-dies")   # an id the catalog lacks: runs after the catalog's
def zz_dies():
    os._exit(3)   # like a segfault: no exception, no cleanup

sys.exit(probes.main(["--out", {out!r}, "--only", "grad_none_zero", "--only", "zz_dies",
                      "--only", "zero_dim_index"]))
"""


def test_out_is_written_after_every_probe(tmp_path):
    """matrix/running/session.py keeps what finished when the probes process dies and reruns the rest."""
    out = tmp_path / "probes.json"
    script = tmp_path / "crasher.py"
    script.write_text(CRASHER.format(root=str(ROOT), out=str(out)))
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    done = json.loads(out.read_text())
    assert [r["id"] for r in done] == ["zero_dim_index", "grad_none_zero"]
    assert all(r["outcome"] == "errors" for r in done)


def test_run_all_reports_each_record():
    seen = []
    records = probes.run_all(["zero_dim_index", "grad_none_zero"], on_record=lambda rs: seen.append(len(rs)))
    assert seen == [1, 2] and [r["id"] for r in records] == ["zero_dim_index", "grad_none_zero"]


FAMILIES = ("matrix.probes.api", "matrix.probes.arithmetic", "matrix.probes.autograd",
            "matrix.probes.defaults", "matrix.probes.ecosystem", "matrix.probes.execution",
            "matrix.probes.idioms", "matrix.probes.lapack", "matrix.probes.legacy_autograd",
            "matrix.probes.legacy_misc", "matrix.probes.masks", "matrix.probes.nn_names",
            "matrix.probes.numerics", "matrix.probes.tensorfns", "matrix.probes.training")


def test_every_probe_lives_in_a_family_module_and_is_named_by_the_package():
    """matrix.probes.<id> (as the catalog and docs/migration.md name a probe) is the function in its family."""
    import importlib

    for fn in probes.PROBES.values():
        assert fn.__module__ in FAMILIES, fn
        assert getattr(probes, fn.__name__) is fn is getattr(importlib.import_module(fn.__module__), fn.__name__)
    assert {fn.__module__ for fn in probes.PROBES.values()} == set(FAMILIES)
    assert len({fn.__name__ for fn in probes.PROBES.values()}) == len(probes.PROBES)


def test_a_probe_registers_under_one_catalog_id():
    """``@probe("<id>")``: a second probe for the same id is refused; probe_name gives the record's name."""
    assert probes.probe_name("size-average") == "size_average" and probes.PROBES["size-average"] is probes.size_average
    with pytest.raises(ValueError, match="two probes for 'size-average'"):
        probes.probe("size-average")(lambda: {})
    assert probes.PROBES["size-average"] is probes.size_average


def test_probe_names_need_no_torch():
    """docs/generate.py and shims verify join records to entries through probe_name without torch."""
    code = ("import sys; sys.modules['torch'] = None; sys.modules['numpy'] = None\n"
            "from matrix.probes import probe_name; print(probe_name('numpy2-abi'))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "numpy_abi", proc.stderr


def test_python_m_matrix_probes_is_the_package():
    """``python -m matrix.probes`` runs the package's __main__: the same PROBES, the same runner."""
    from matrix.probes import runner

    assert probes.PROBES is runner.PROBES and probes.main is runner.main and probes.run_probe is runner.run_probe
    assert (ROOT / "matrix" / "probes" / "__main__.py").exists()


# ------------------------------------------------- real 2017-2018 code beyond the tutorial's
def test_tensordataset_kwargs(records):
    rec = records["tensordataset_kwargs"]
    assert rec["outcome"] == "errors" and rec["error"]["type"] == "TypeError"
    assert rec["error"]["message"] in (symptom_body("tensordataset_kwargs"), message("tensordataset-kwargs", "TypeError: __init__"))


def test_retain_variables(records):
    rec = records["retain_variables"]
    assert rec["outcome"] == "errors" and rec["error"]["type"] == "TypeError"
    assert rec["error"]["message"] in (symptom_body("retain_variables"), message("retain-variables", "TypeError: backward"))


def test_zero_dim_iteration(records):
    rec = records["zero_dim_iteration"]
    assert rec["outcome"] == "errors"
    assert rec["error"] == {"type": "ValueError", "message": symptom_body("zero_dim_iteration")}


def test_numpy_ndim_scalar(records):
    rec = records["numpy_ndim_scalar"]
    np = pytest.importorskip("numpy")
    if Version(np.__version__) >= Version("2.4"):
        assert rec["outcome"] == "errors"
        assert rec["error"] == {"type": "TypeError", "message": symptom_body("numpy_ndim_scalar")}
    elif Version(np.__version__) >= Version("1.25"):
        assert rec["outcome"] == "warns"
    else:
        assert rec["outcome"] == "works" and rec["value"]["text"] == "1.00"


def test_reduction_elementwise_mean(records):
    rec = records["reduction_elementwise_mean"]
    assert rec["outcome"] == "warns"
    assert symptom_body("reduction_elementwise_mean") in messages(rec)
    assert rec["value"]["old"] == rec["value"]["mean"]


def test_target_size_broadcast(records):
    rec = records["target_size_broadcast"]  # warns, and the number is another one than the intended
    assert rec["outcome"] == "warns"
    assert symptom_body("target_size_broadcast") in messages(rec)
    assert rec["value"] == {"old": 2.5, "matched": 0.0}


def test_step_between_backwards(records):
    rec = records["step_between_backwards"]
    if at_least(cited("step_between_backwards", "fails")):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "RuntimeError"
        assert rec["error"]["message"].startswith(symptom_body("step_between_backwards"))
    else:
        assert rec["outcome"] == "works"


def test_functional_sigmoid_tanh(records):
    rec = records["functional_sigmoid_tanh"]
    assert rec["value"] is True  # the same function whether it warns or not
    for text in messages(rec):
        assert text in (message("functional-sigmoid-tanh", "UserWarning: nn.functional.sigmoid"),
                        message("functional-sigmoid-tanh", "UserWarning: nn.functional.tanh"))


def test_function_instance_backward(records):
    rec = records["function_instance_backward"]
    assert rec["outcome"] == "works"
    assert rec["value"]["grad"] == rec["value"]["expected"] == [0.0, 1.0, 1.0]


def test_torch_load_numpy_array(records):
    rec = records["torch_load_numpy_array"]
    if at_least(cited("torch_load_numpy_array", "fails")):
        assert rec["outcome"] == "errors" and rec["error"]["type"] == "UnpicklingError"
        msg = probes_clean(rec["error"]["message"])
        assert msg.splitlines()[0].strip() == symptom_body("torch_load_numpy_array")
        assert "multiarray._reconstruct was not an allowed global by default" in msg
    else:
        assert rec["outcome"] in ("works", "warns")


def test_tf_contrib(records):
    rec = records["tf_contrib"]
    tf_spec = importlib.util.find_spec("tensorflow")
    if tf_spec is None:
        assert rec["outcome"] == "not_run"
    elif rec["value"] is None or rec["error"]:
        assert rec["error"] == {"type": "AttributeError", "message": symptom_body("tf_contrib")}


def test_tf1_rnn_cell_keras3(records):
    rec = records["tf1_rnn_cell_keras3"]
    if importlib.util.find_spec("tensorflow") is None:
        assert rec["outcome"] == "not_run"
    elif importlib.util.find_spec("tf_keras") is None and rec["outcome"] == "errors":
        assert rec["error"] == {"type": "AttributeError", "message": symptom_body("tf1_rnn_cell_keras3")}


def test_functional_upsample(records):
    rec = records["functional_upsample"]
    assert rec["outcome"] == "warns"
    assert symptom_body("functional_upsample") in messages(rec)
    assert rec["value"]["same"] is True
