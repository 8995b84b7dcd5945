"""Scripts in the style of 2017-2018 (tests/fixtures/old_scripts/, written for these tests): what
``python -m shims upgrade`` reports and ``python -m shims run`` does with each: fixed and runs, or
stops with the idiom named, the line, the fix and the docs section (no traceback)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("libcst")
pytest.importorskip("torch")

OLD = ROOT / "tests" / "fixtures" / "old_scripts"
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")


def shims(*args, cwd):
    return subprocess.run([sys.executable, "-m", "shims", *args], cwd=cwd, env=ENV, capture_output=True, text=True,
                          timeout=600)


def test_regression_is_rewritten_and_runs(tmp_path):
    proc = shims("run", str(OLD / "regression.py"), "--epochs", "3", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [line.split(" loss ")[0] for line in lines[:3]] == ["epoch 0", "epoch 1", "epoch 2"]
    assert lines[-1].startswith("w = ") and ", gate = " in lines[-1]
    for entry in ("size-average", "variable-volatile", "zero-dim-index", "functional-sigmoid-tanh",
                  "numpy-ndim-scalar"):
        assert f"rewritten [{entry}]" in proc.stderr


def test_dataset_loop_is_rewritten_and_runs(tmp_path):
    proc = shims("run", str(OLD / "dataset_loop.py"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [line.split(" loss ")[0] for line in proc.stdout.splitlines()] == ["epoch 0", "epoch 1", "epoch 2"]
    for entry in ("legacy-autograd-function", "tensordataset-kwargs", "reduction-elementwise-mean"):
        assert f"rewritten [{entry}]" in proc.stderr


@pytest.mark.parametrize("script, entry, line, error", [
    ("gan.py", "optimizer-step-between-backwards", 24,
     "RuntimeError: one of the variables needed for gradient computation has been modified by an inplace operation"),
    ("char_rnn.py", "zero-dim-iteration", 22, "ValueError: Expected input batch_size (1) to match target batch_size (0)."),
    ("tf_contrib.py", "tf-contrib", 7, "AttributeError: module 'tensorflow.compat.v1' has no attribute 'contrib'"),
])
def test_what_cannot_be_adapted_stops_with_the_idiom_and_the_fix(tmp_path, script, entry, line, error):
    from shims.upgrade.catalog import entries

    proc = shims("run", str(OLD / script), cwd=tmp_path)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert f"python -m shims run: stopped at {OLD / script}:{line}: {entries()[entry].title} [{entry}]" in proc.stderr
    assert f"    {error}" in proc.stderr
    assert f"    fix: {entries()[entry].fix}" in proc.stderr
    assert f"    read: docs/migration.md#{entry}" in proc.stderr


@pytest.mark.parametrize("script, left", [
    ("gan.py", "optimizer-step-between-backwards"),
    ("char_rnn.py", "zero-dim-iteration"),
    ("tf_contrib.py", "tf-contrib"),
])
def test_upgrade_reports_what_it_left_for_the_scripts_that_still_fail(tmp_path, script, left):
    proc = shims("upgrade", str(OLD / script), cwd=tmp_path)
    assert proc.returncode == 0
    assert f"FIX BY HAND [{left}]" in proc.stderr and "the script may still fail" in proc.stderr


def test_upgrade_then_check_on_the_corpus(tmp_path):
    for path in OLD.glob("*.py"):
        (tmp_path / path.name).write_text(path.read_text())
    assert shims("upgrade", "--check", ".", cwd=tmp_path).returncode == 1
    assert shims("upgrade", "--write", ".", cwd=tmp_path).returncode == 0
    assert shims("upgrade", "--check", ".", cwd=tmp_path).returncode == 0  # idempotent


RUNPY_LIKE = """import os, sys
print(__name__, os.path.basename(__file__), sys.argv[1:], os.getcwd() == {cwd!r}, sys.path[0] == {folder!r})
import torch
print(torch.ones(2).sum().item())
"""


def test_run_gives_the_script_its_name_file_argv_and_working_folder(tmp_path):
    folder = tmp_path / "scripts"
    folder.mkdir()
    script = folder / "show.py"
    script.write_text(RUNPY_LIKE.format(cwd=str(tmp_path), folder=str(folder)))
    proc = shims("run", str(script), "--lr", "0.1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["__main__ show.py ['--lr', '0.1'] True True", "2.0"]
    assert "no old idiom met" in proc.stderr


def test_run_passes_the_scripts_exit_status(tmp_path):
    (tmp_path / "bye.py").write_text("import sys\nimport torch\nsys.exit(3)\n")
    assert shims("run", "bye.py", cwd=tmp_path).returncode == 3


def test_run_reports_a_warning_the_catalog_knows_with_its_line(tmp_path):
    src = ROOT / "tests" / "fixtures" / "upgrade" / "target-size-broadcast" / "regression.in.py"
    proc = shims("run", str(src), cwd=tmp_path)
    assert proc.returncode == 0
    assert "warned [target-size-broadcast] 1 time(s) at regression.in.py:8 x1" in proc.stderr


def test_run_reads_the_catalog_before_the_scripts_folder_replaces_sys_path0(tmp_path):
    """From the project folder without PYTHONPATH (``python -m shims`` found through the working folder):
    the script's folder takes sys.path[0], and a known failure is still named."""
    script = tmp_path / "gan.py"
    script.write_text((OLD / "gan.py").read_text())
    env = {k: v for k, v in ENV.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "shims", "run", str(script)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1
    assert "[optimizer-step-between-backwards]" in proc.stderr and "Traceback" not in proc.stderr
