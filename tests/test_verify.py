"""``python -m shims verify`` on old-style scripts written for it (tests/fixtures/verify/): the entry
it names for each silent change it can restore, "unexplained" where no entry explains a difference,
"same" where nothing differs, and a clear line for each bad input, with nothing left behind.

The old side runs on the oldest pin whose Python is found here (torch 1.0.1 on Python 3.7), the new
side on the newest; their environments are built once (uv's cache makes that seconds) under
tests/conftest.py's TEST_ENVS, kept between test runs, or reused from the project's ``.nox/``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, TEST_ENVS

pytest.importorskip("libcst")
from matrix.facts.catalog import load_catalog  # noqa: E402
from shims.verify import compare as cmp  # noqa: E402
from shims.verify.explain import candidates  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "verify"
CATALOG = load_catalog()


def _restorers():
    import importlib.util

    spec = importlib.util.spec_from_file_location("_verify_restore_for_tests", ROOT / "shims" / "verify" / "restore.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RESTORERS


# ------------------------------------------------------------------------------------ the data
def test_every_silent_entry_says_how_to_restore_it_or_why_not():
    for change in CATALOG:
        if change["kind"] == "silent":
            assert ("restore" in change) != ("restore_impossible" in change), change["id"]


def test_restorers_and_the_catalog_name_the_same_entries():
    restorable = {c["id"] for c in CATALOG if "restore" in c}
    assert set(_restorers()) == restorable
    assert all(c.get("touches") for c in CATALOG if "restore" in c)


def test_candidates_are_found_by_touches_restorable_first():
    text = "opt = torch.optim.Adam(ps)\nh = x.mm(w).clamp(min=0)\nopt.zero_grad()\n"
    ids = [c["id"] for c in candidates(text, CATALOG)]
    assert ids[:3] == ["zero-grad-set-to-none", "adam-lerp", "clamp-boundary-subgradient"]
    assert "float32-matmul-bits" in ids[3:]
    assert candidates("@staticmethod\ndef f(x):\n    return x\n", CATALOG) == []


# ---------------------------------------------------------------------------------- comparing
def test_a_number_printed_coarser_is_compared_at_its_resolution():
    assert cmp.quanta_of("326 tensor(0.0010) 1.2346e-05 29428664. nan") == (0.5, 5e-05, 5e-10, 0.5, 0.0)
    assert cmp.compare("326 tensor(0.0010)\n", "326 0.0009742096258538934\n").status == "identical"
    assert cmp.compare("326 tensor(0.0010)\n", "326 0.00094\n").status == "different"
    assert cmp.compare("3 1.0\n", "4 1.0\n").status == "different"  # a step counter is exact


def test_numbers_of_a_line():
    assert cmp.numbers_of("0 tensor(29428664.)") == (0.0, 29428664.0)
    assert cmp.numbers_of("step 3: loss=1.5e-3 -2") == (3.0, 0.0015, -2.0)
    assert cmp.numbers_of("conv2d_1 x2") == ()


def test_compare_identical_close_and_different():
    assert cmp.compare("0 tensor(5.)\n1 2.0\n", "0 5.0\n1 2.0\n").status == "identical"
    close = cmp.compare("0 5.0\n1 2.5000000\n", "0 5.0\n1 2.5000001\n", rtol=1e-5)
    assert (close.status, close.first_inexact) == ("close", 2)
    far = cmp.compare("0 5.0\n1 2.0\n2 3.0\n", "0 5.0\n1 2.5\n2 3.0\n", rtol=1e-5)
    assert (far.status, far.first_line, far.max_line) == ("different", 2, 2)
    assert far.max_relative == pytest.approx(0.2)
    short = cmp.compare("0 1.0\n1 2.0\n", "0 1.0\n")
    assert short.status == "different" and "printed 2 line(s)" in short.notes[0]
    assert cmp.compare("hello\n", "hello\n").status == "nothing"
    assert cmp.texts_differ(["0 1.0\n", "0 1.5\n"]) and not cmp.texts_differ(["0 1.0\n", "0 1.0\n"])


# ------------------------------------------------------------------------------ the command run
needs_uv = pytest.mark.skipif(not (shutil.which("uv") or os.path.exists(os.path.join(os.path.dirname(sys.executable), "uv"))),
                              reason="verify builds its environments with uv (pip install uv)")


@pytest.fixture(scope="session")
def verify_home():
    return TEST_ENVS  # shared with tests/test_upgrade_target.py's old torch; kept between test runs


def verify(home, cwd, *args, timeout=900):
    tmp = cwd / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SHIMS_VERIFY_ENVS=str(home), TMPDIR=str(tmp))
    json_path = cwd / "record.json"
    proc = subprocess.run([sys.executable, "-m", "shims", "verify", "--json", str(json_path), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=timeout)
    record = json.loads(json_path.read_text()) if json_path.exists() else None
    leftovers = sorted(p.name for p in cwd.iterdir() if p.name not in ("tmp", "record.json"))
    return proc, record, leftovers, sorted(os.listdir(tmp))


def verdict(proc) -> str:
    return proc.stdout.strip().splitlines()[-1]


@needs_uv
@pytest.mark.parametrize("name,args,entry", [
    ("zero_grad", [], "zero-grad-set-to-none"),
    ("clamp", [], "clamp-boundary-subgradient"),
    # float64 Adam differs in the last bits only: the tolerance is tightened so that it counts
    ("adam", ["--rtol", "1e-12"], "adam-lerp"),
])
def test_verify_names_the_entry_whose_restoration_explains_the_difference(verify_home, tmp_path, name, args, entry):
    proc, record, leftovers, tmp_left = verify(verify_home, tmp_path, *args, str(FIXTURES / f"{name}.py"))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert verdict(proc).startswith(f"verdict: explained: differs from line ")
    assert f"explained by {entry}:" in verdict(proc)
    assert record["explanation"]["explained_by"] == [entry]
    assert record["old"]["adapted"] == ["zero-dim-index"]  # loss.data[0] fails on every installable torch
    assert record["comparison"]["status"] == "different"
    assert (leftovers, tmp_left) == ([], [])


@needs_uv
def test_float32_rounding_is_explained_by_the_float64_control(verify_home, tmp_path):
    # the tolerance 0 makes the last-bit differences of float32 matmuls count
    proc, record, _, _ = verify(verify_home, tmp_path, "--rtol", "0", str(FIXTURES / "matmul.py"))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "explained by float32 rounding: under the float64 control on both sides" in verdict(proc)
    explanation = record["explanation"]
    assert (explanation["control"], explanation["explained_by"]) == ("float64", [])
    assert "float32-matmul-bits" in explanation["control_entries"]
    assert explanation["residual"]["max_relative"] < 1e-9 < record["comparison"]["max_relative"]


@needs_uv
def test_a_difference_no_entry_explains_is_unexplained_and_exits_1(verify_home, tmp_path):
    proc, record, _, _ = verify(verify_home, tmp_path, str(FIXTURES / "integer_true_division.py"))
    assert proc.returncode == 1
    assert verdict(proc) == "verdict: unexplained: differs from line 1; no catalog entry explains it"
    assert record["old"]["adapted"] == [] and record["exit_status"] == 1


@needs_uv
def test_a_difference_an_entry_touches_but_cannot_restore_is_not_proven(verify_home, tmp_path):
    """torch.div on integer tensors: integer-division's touches name it, it has no restorer."""
    proc, record, _, _ = verify(verify_home, tmp_path, str(FIXTURES / "integer_division.py"))
    assert proc.returncode == 1
    assert verdict(proc) == ("verdict: not proven: differs from line 1; it is consistent with integer-division, "
                             "not proven")


@needs_uv
def test_the_same_numbers_are_same(verify_home, tmp_path):
    proc, record, _, _ = verify(verify_home, tmp_path, str(FIXTURES / "same.py"))
    assert proc.returncode == 0
    assert verdict(proc) == "verdict: same: the same numbers, bit for bit"
    assert record["comparison"]["status"] == "identical" and record["comparison"]["lines"] == 5


@needs_uv
def test_files_are_compared_and_not_left_behind(verify_home, tmp_path):
    proc, record, leftovers, tmp_left = verify(verify_home, tmp_path, "--files", "losses.txt",
                                               str(FIXTURES / "writes_file.py"))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "file losses.txt: identical: 4 line(s)" in proc.stdout
    assert record["new"]["runs"][0]["files"]["losses.txt"]["text"].startswith("0 3.0\n")
    assert (leftovers, tmp_left) == ([], [])


@needs_uv
def test_an_unseeded_script_is_not_reproducible_and_seed_fixes_it(verify_home, tmp_path):
    proc, _, _, _ = verify(verify_home, tmp_path, str(FIXTURES / "unseeded.py"))
    assert proc.returncode == 1
    assert "not reproducible as written" in proc.stdout and "--seed 0" in proc.stdout
    seeded, record, _, _ = verify(verify_home, tmp_path, "--seed", "0", str(FIXTURES / "unseeded.py"))
    assert "not reproducible" not in seeded.stdout
    assert record["seed"] == 0


@needs_uv
@pytest.mark.parametrize("name,args,line", [
    ("fails", [], "the old side failed on torch "),
    ("reads_stdin", [], "reads standard input, which verify leaves empty"),
    ("no_numbers", [], "verdict: not verified: the script prints no numbers"),
    ("never_ends", ["--timeout", "8"], "was still running after "),
    ("needs_gpu", [], "needs a GPU: there is none here"),
])
def test_bad_scripts_get_one_clear_line_and_leave_nothing(verify_home, tmp_path, name, args, line):
    if name == "needs_gpu" and (shutil.which("nvidia-smi") or os.path.exists("/proc/driver/nvidia")):
        pytest.skip("this machine has an NVIDIA GPU")
    proc, record, leftovers, tmp_left = verify(verify_home, tmp_path, *args, str(FIXTURES / f"{name}.py"))
    assert proc.returncode == 1, proc.stdout + proc.stderr[-2000:]
    assert line in proc.stdout
    assert "Traceback" not in proc.stdout
    assert record["exit_status"] == 1
    assert (leftovers, tmp_left) == ([], [])


@pytest.mark.parametrize("args,message", [
    (["missing.py"], "missing.py: no such file"),
    (["--old", "9.9", "SCRIPT"], "no pin for torch '9.9'"),
    (["SYNTAX"], "syntax error"),
    (["--rtol", "-1", "SCRIPT"], "--rtol and --atol must be >= 0"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nprint(1\n")
    args = [str(FIXTURES / "same.py") if a == "SCRIPT" else str(bad) if a == "SYNTAX" else a for a in args]
    proc = subprocess.run([sys.executable, "-m", "shims", "verify", *args], cwd=tmp_path, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert re.sub(r"\s+", "", proc.stdout) == ""


@needs_uv
def test_a_notebook_is_verified_by_its_code_cells(verify_home, tmp_path):
    code = (FIXTURES / "zero_grad.py").read_text().splitlines(keepends=True)
    split = next(i for i, line in enumerate(code) if line.startswith("torch.manual_seed"))
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# zero_grad as a notebook\n"]},
             {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
              "source": ["%matplotlib inline\n"] + code[:split]},
             {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [], "source": code[split:]}]
    notebook = tmp_path / "zero_grad.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))
    proc, record, _, _ = verify(verify_home, tmp_path, str(notebook))
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert "explained by zero-grad-set-to-none:" in verdict(proc)
    assert "not run (IPython only): cell 2:line 1 %matplotlib inline" in proc.stderr
