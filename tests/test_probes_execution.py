"""matrix/probes/execution.py on the tests' torch: device copies with ``async``, deterministic
algorithms, ``checkpoint_sequential``'s inputs, in-place writes into expanded tensors, torch.hub's
directories; each probe's outcome, the exact texts (against the catalog's) and the numbers.

The probes run once, in a fresh interpreter, as a matrix cell runs them (``python -m matrix.probes``):
some torch warnings are issued once per process.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from conftest import ROOT, run_probes
from matrix import probes
from matrix.facts.catalog import by_id, message, split_message

torch = pytest.importorskip("torch")
IDS = ("cuda-async-kwarg", "deterministic-api", "checkpoint-sequential-input", "expanded-inplace-write",
       "hub-model-zoo")


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    return run_probes(tmp_path_factory, IDS)


def record(records, change_id):
    return records[probes.probe_name(change_id)]


def clean(text):
    """A warning's text without the "(Triggered internally at ...)" suffix (a build path)."""
    return re.sub(r"\s*\(Triggered internally at [^)]*\)\.?", "", text).strip()


def test_cuda_async_warns_on_cuda_and_is_silent_on_type(records):
    rec = record(records, "cuda-async-kwarg")
    assert rec["outcome"] == "warns"
    expected = message("cuda-async-kwarg", "UserWarning: This overload of cuda is deprecated:\n\tcuda(torch.device device = None")
    assert [clean(w["message"]) for w in rec["warnings"]] == [expected]
    assert rec["value"]["cuda_warns"] is True and rec["value"]["type_warns"] is False
    assert rec["value"]["type_dtype"] == "torch.float64"  # async= still taken by .type(), as non_blocking
    if not torch.cuda.is_available():
        assert rec["value"]["cuda"].startswith(("RuntimeError: ", "AssertionError: ")), rec["value"]["cuda"]


def test_the_upgrade_renames_async_before_it_parses(tmp_path):
    """`async=` does not parse on Python 3.7+ (nor in LibCST): the upgrade renames the keyword in the text
    first (tokens only: a string or a comment holding `async=` stays), then the file parses."""
    script = tmp_path / "train.py"
    text = "import torch\nx = torch.ones(2)\nx = x.cuda(async=True)  # async=\ns = 'async=1'\nprint(x, s)\n"
    script.write_text(text)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    assert compile(text.replace("async=True", "non_blocking=True"), "t", "exec")
    proc = subprocess.run([sys.executable, "-m", "shims", "upgrade", "--write", str(script)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "train.py:3: changed [cuda-async-kwarg] async= -> non_blocking=" in proc.stderr
    assert script.read_text() == text.replace("cuda(async=True)", "cuda(non_blocking=True)")


def test_a_syntax_error_that_is_not_async_still_stops_the_upgrade(tmp_path):
    script = tmp_path / "train.py"
    text = "import torch\nx = x.cuda(async=True)\nprint 'done'\n"
    script.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "shims", "upgrade", str(script)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "train.py:3: syntax error" in proc.stderr and "nothing was changed" in proc.stderr
    assert script.read_text() == text


def test_deterministic_api_is_gone_with_the_catalogs_messages(records):
    rec = record(records, "deterministic-api")
    assert rec["outcome"] == "errors"
    assert rec["error"] == dict(zip(("type", "message"), split_message(by_id()["deterministic-api"]["symptom"])))
    gone = rec["value"]["is_deterministic"]
    assert (gone["outcome"], gone["type"]) == ("errors", "AttributeError")
    assert gone["message"] == message("deterministic-api", "AttributeError: module 'torch' has no attribute 'is_deterministic'")
    assert {name: f["new"] for name, f in rec["value"].items()} == {
        "set_deterministic": "torch.use_deterministic_algorithms", "is_deterministic": "torch.are_deterministic_algorithms_enabled"}
    # what replaces them is there, and off by default
    assert torch.are_deterministic_algorithms_enabled() is False


def test_checkpoint_sequential_fails_on_a_second_input_and_on_none(records):
    rec = record(records, "checkpoint-sequential-input")
    assert rec["outcome"] == "errors" and rec["warnings"] == []
    # torch 2.x: the second tensor fills use_reentrant, whose truth value is asked for
    assert rec["error"] == dict(zip(("type", "message"), split_message(by_id()["checkpoint-sequential-input"]["symptom"])))
    none = rec["value"]["no_input"]
    assert f"{none['type']}: {none['message']}" == "TypeError: " + message(
        "checkpoint-sequential-input", "TypeError: checkpoint_sequential() missing")


def test_expanded_inplace_writes_reach_every_row_and_warn(records):
    rec = record(records, "expanded-inplace-write")
    assert rec["outcome"] == "warns"
    value = rec["value"]
    # one row of memory seen twice: a write meant for row 0 shows in both rows, whatever the op
    assert value["index_put_"]["rows"] == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert value["setitem_tensor_index"]["rows"] == [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    assert value["setitem_row"] == {"rows": [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], "warning": None}
    for op in ("masked_fill_", "index_fill_"):
        assert value[op]["rows"] == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], op
    for op in ("index_put_", "masked_fill_", "index_fill_"):
        assert clean(value[op]["warning"]) == message("expanded-inplace-write", f"UserWarning: Use of {op} "), op


def test_hub_variables_warn_and_are_not_obeyed_and_the_old_download_is_gone(records):
    rec = record(records, "hub-model-zoo")
    assert rec["outcome"] == "errors"
    assert rec["error"] == dict(zip(("type", "message"), split_message(by_id()["hub-model-zoo"]["symptom"])))
    value = rec["value"]
    for variable in ("TORCH_HUB", "TORCH_MODEL_ZOO"):
        assert value[variable]["outcome"] == "warns"
        assert value[variable]["warning"] == message("hub-model-zoo", f"UserWarning: {variable} is deprecated")
    # the folders they name stay empty: torch.hub's folder and the weights are under TORCH_HOME ("home")
    assert value["TORCH_HUB"]["result"] == os.path.join("home", "hub")
    assert value["TORCH_MODEL_ZOO"]["result"] == {"loaded": [1.0, 1.0],
                                                  "landed_in": [os.path.join("home", "hub", "checkpoints")]}
    assert (value["_download_url_to_file"]["outcome"], value["_download_url_to_file"]["type"]) == ("errors", "AttributeError")


def test_the_deterministic_fixture_runs_once_upgraded(tmp_path):
    """tests/fixtures/upgrade/deterministic-api/seed.out.py is a "fragment" for the target tests (neither form
    exists on their oldest torch); on the tests' torch the upgraded script runs, warnings as errors."""
    script = tmp_path / "seed.py"
    script.write_text((ROOT / "tests" / "fixtures" / "upgrade" / "deterministic-api" / "seed.out.py").read_text())
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-W", "error::FutureWarning", "-W",
                           "error::UserWarning", str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("seeded; deterministic algorithms: False")
