"""The command line of all 27 variants, and shims/flags.py itself.

Every script, whether it imports ``shims.flags.tutorial_flags`` (legacy) or carries the inline copy
(tensor_autograd, modern), must behave the same way:

- ``--steps 0`` and ``--device tpu`` are argparse usage errors: exit status 2, ``usage:`` on stderr;
- ``--device cuda`` where there is no such device: exit status 69, exactly one line on stderr, no
  traceback (in a real process, TensorFlow's own import-time lines may come before it), and that
  line is shims/flags.py's own for the script's backend (torch, NumPy or TensorFlow);
- ``--help`` lists the four flags.

Launching 27 scripts x 4 command lines as separate interpreters would import torch about a hundred
times (4-7 s each on this shared 2-core machine). So one worker interpreter imports torch and
TensorFlow once and runs every script as ``__main__`` with ``runpy`` under each command line,
recording the ``SystemExit`` status and what went to stdout/stderr; any other exception is recorded
as such and fails the test. argparse, ``parser.exit`` and the scripts' own checks all run before any
training, so the runs are as they would be in a fresh interpreter. A few scripts, one per way of
refusing CUDA, are additionally run for real, to check the exit status and stderr a shell sees.

That an inline copy seeds as ``tutorial_flags`` does is checked by its numbers: the tensor_autograd
scripts print bit for bit the losses of their legacy twins, which import shims.flags
(tests/test_variants_torch.py, tests/test_variants_modern.py).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from conftest import ERAS, EXAMPLES, ROOT, run_variant, variant_path
from shims.flags import _why_no_cuda

SCRIPTS = [(era, example) for era in ERAS for example in EXAMPLES]
COMMAND_LINES = {
    "steps0": ["--steps", "0"],
    "tpu": ["--device", "tpu"],
    "cuda": ["--device", "cuda"],
    "help": ["--help"],
}
FLAGS = ("--steps", "--seed", "--device", "--log-every")


def backend(era: str, example: str) -> str:
    if example == "tf_static_graph":
        return "tensorflow"
    if example == "numpy_warmup":
        return "numpy"
    return "torch"


# Runs in a fresh interpreter: argv[1] is a JSON list of [era, example, key, [args...]].
WORKER = r"""
import contextlib, io, json, os, runpy, sys, warnings
root = os.getcwd()
sys.path.insert(0, root)
warnings.simplefilter("ignore")
for heavy in ("torch", "tensorflow"):  # import once, up front, as the scripts will
    try:
        __import__(heavy)
    except ImportError:
        pass
results = {}
for era, example, key, args in json.loads(sys.argv[1]):
    path = os.path.join(root, "variants", era, example + ".py")
    out, err = io.StringIO(), io.StringIO()
    record = {"exit": None, "stdout": "", "stderr": "", "exception": None}
    sys.argv = [path, *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            runpy.run_path(path, run_name="__main__")
        record["exit"] = 0
    except SystemExit as exc:
        record["exit"] = 0 if exc.code is None else exc.code
    except BaseException as exc:  # the test fails on this, naming it
        record["exception"] = f"{type(exc).__name__}: {exc}"
    record["stdout"], record["stderr"] = out.getvalue(), err.getvalue()
    results[f"{era}/{example}/{key}"] = record
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def cli_results() -> dict:
    missing = [f"{era}/{ex}" for era, ex in SCRIPTS if not variant_path(era, ex).exists()]
    assert not missing, f"scripts missing: {missing}"
    jobs = [[era, ex, key, args] for era, ex in SCRIPTS for key, args in COMMAND_LINES.items()]
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run([sys.executable, "-c", WORKER, json.dumps(jobs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _get(cli_results: dict, era: str, example: str, key: str) -> dict:
    record = cli_results[f"{era}/{example}/{key}"]
    if record["exception"] and record["exception"].startswith("ModuleNotFoundError"):
        pytest.skip(f"{era}/{example}: {record['exception']}")
    assert record["exception"] is None, f"{era}/{example} {COMMAND_LINES[key]} raised {record['exception']}"
    return record


def _cuda_available(kind: str) -> bool:
    if kind == "numpy":
        return False
    if kind == "tensorflow":
        tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed in this environment")
        return bool(tf.config.list_physical_devices("GPU"))
    torch = pytest.importorskip("torch", reason="torch is not installed in this environment")
    return torch.cuda.is_available()


@pytest.mark.parametrize("era,example", SCRIPTS, ids=[f"{e}/{x}" for e, x in SCRIPTS])
@pytest.mark.parametrize("key", ["steps0", "tpu"])
def test_bad_arguments_are_usage_errors(cli_results, era, example, key):
    record = _get(cli_results, era, example, key)
    assert record["exit"] == 2, record
    assert "usage:" in record["stderr"], record["stderr"]
    assert record["stdout"] == ""


@pytest.mark.parametrize("era,example", SCRIPTS, ids=[f"{e}/{x}" for e, x in SCRIPTS])
def test_help_lists_the_four_flags(cli_results, era, example):
    record = _get(cli_results, era, example, "help")
    assert record["exit"] == 0
    for flag in FLAGS:
        assert flag in record["stdout"], f"{flag} missing from --help of {era}/{example}"


@pytest.mark.parametrize("era,example", SCRIPTS, ids=[f"{e}/{x}" for e, x in SCRIPTS])
def test_cuda_refused_in_one_line(cli_results, era, example):
    kind = backend(era, example)
    if _cuda_available(kind):
        pytest.skip(f"this machine has a {kind} GPU: --device cuda would run, not be refused")
    record = _get(cli_results, era, example, "cuda")
    assert record["exit"] == 69, record
    lines = record["stderr"].splitlines()
    assert len(lines) == 1, record["stderr"]
    assert lines[0] == f"{example}.py: error: --device cuda: {_why_no_cuda(kind)}", lines[0]
    assert "Traceback" not in record["stderr"]
    assert record["stdout"] == ""


# One real process per way of refusing: flags.py with each backend, and each era's inline copies.
REAL_PROCESS = [
    ("legacy", "numpy_warmup"),             # tutorial_flags(backend="numpy")
    ("legacy", "nn"),                       # tutorial_flags(backend="torch")
    ("legacy", "tf_static_graph"),          # tutorial_flags(backend="tensorflow")
    ("tensor_autograd", "nn"),              # inline, torch
    ("tensor_autograd", "numpy_warmup"),    # inline, numpy
    ("tensor_autograd", "tf_static_graph"), # inline, tensorflow (and the TF2 adaptation after it)
    ("modern", "nn"),                       # inline, torch
    ("modern", "numpy_warmup"),             # inline, numpy
    ("modern", "tf_static_graph"),          # inline, tensorflow
]


@pytest.mark.parametrize("era,example", REAL_PROCESS, ids=[f"{e}/{x}" for e, x in REAL_PROCESS])
def test_cuda_refused_in_a_real_process(era, example):
    kind = backend(era, example)
    if kind != "numpy":
        pytest.importorskip("tensorflow" if kind == "tensorflow" else "torch",
                            reason=f"{kind} is not installed in this environment")
    if _cuda_available(kind):
        pytest.skip(f"this machine has a {kind} GPU: --device cuda would run, not be refused")
    proc = run_variant(era, example, "--device", "cuda", timeout=300)
    assert proc.returncode == 69, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    # Our program writes one line, the last. TensorFlow 2.21 writes to stderr from C++ while it is
    # being imported, before any line of ours runs ("WARNING: All log messages before
    # absl::InitializeLog() is called are written to STDERR" and "I0000 ... oneDNN custom operations
    # are on ...", twice each). TF_CPP_MIN_LOG_LEVEL=2 or 3 does not silence them (measured); only
    # TF_ENABLE_ONEDNN_OPTS=0 does, by changing TF's kernels, which neither the matrix nor a user
    # sets. So with TensorFlow the rule is on the lines that are ours (matrix/running/cell.py reports the last).
    ours = [line for line in lines if line.startswith(f"{example}.py: ")]
    assert ours == lines[-1:], proc.stderr
    assert lines[-1] == f"{example}.py: error: --device cuda: {_why_no_cuda(kind)}", proc.stderr
    if kind != "tensorflow":
        assert len(lines) == 1, proc.stderr


# --- shims/flags.py itself ------------------------------------------------------------------


def test_positive_int():
    import argparse

    from shims.flags import positive_int

    assert positive_int("1") == 1
    assert positive_int("30000") == 30000
    for bad in ("0", "-3"):
        with pytest.raises(argparse.ArgumentTypeError, match="must be at least 1"):
            positive_int(bad)
    with pytest.raises(ValueError):  # argparse reports this as "invalid positive_int value"
        positive_int("ten")


def test_tutorial_flags_defaults_and_seeding(monkeypatch):
    np = pytest.importorskip("numpy", reason="numpy is not installed in this environment")
    torch = pytest.importorskip("torch", reason="torch is not installed in this environment")
    from shims.flags import tutorial_flags

    def draws(seed: int):
        monkeypatch.setattr(sys, "argv", ["prog", "--seed", str(seed)])
        args = tutorial_flags(steps=500, log_every=100, backend="torch")
        return args, (random.random(), np.random.randn(3).tolist(), torch.randn(3).tolist())

    args, first = draws(7)
    assert (args.steps, args.seed, args.device, args.log_every) == (500, 7, "cpu", 100)
    _, again = draws(7)
    _, other = draws(8)
    assert first == again  # the same seed repeats Python's, NumPy's and torch's draws
    assert first[0] != other[0] and first[1] != other[1] and first[2] != other[2]


def test_tutorial_flags_parses_all_four(monkeypatch):
    from shims.flags import tutorial_flags

    monkeypatch.setattr(sys, "argv", ["prog", "--steps", "3", "--seed", "5", "--device", "cpu", "--log-every", "2"])
    args = tutorial_flags(steps=500, log_every=1, backend="numpy")
    assert (args.steps, args.seed, args.device, args.log_every) == (3, 5, "cpu", 2)


def test_tutorial_flags_refuses_cuda_for_numpy(monkeypatch, capsys):
    from shims.flags import EXIT_UNAVAILABLE, tutorial_flags

    monkeypatch.setattr(sys, "argv", ["prog", "--device", "cuda"])
    with pytest.raises(SystemExit) as exc:
        tutorial_flags(steps=500, log_every=1, backend="numpy")
    assert exc.value.code == EXIT_UNAVAILABLE == 69
    err = capsys.readouterr().err
    assert err == "prog: error: --device cuda: NumPy has no CUDA device; this example runs on the CPU only\n"
