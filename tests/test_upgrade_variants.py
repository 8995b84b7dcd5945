"""The proof on the tutorial itself: every legacy variant *as published* (its shim calls replaced by the
2017 code: tests/published_source.py), upgraded by ``python -m shims upgrade`` or run unmodified by
``python -m shims run``, runs on the tests' torch (the newest pin) with no adapting shim and no
deprecation warning, and prints exactly the losses of its variants/tensor_autograd twin (same seed,
``--steps 30 --log-every 1``, same CPU). And the upgrade is idempotent on them.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("libcst")
pytest.importorskip("torch")
from published_source import as_published  # noqa: E402
from shims.upgrade.engine import upgrade_source  # noqa: E402

LEGACY = sorted((ROOT / "variants" / "legacy").glob("*.py"))
ARGS = ["--seed", "0", "--steps", "30", "--log-every", "1"]
STRICT = ["-W", "error::DeprecationWarning", "-W", "error::FutureWarning"]
# shims.flags (the command line) is the only shims module the as-published text imports
ENV = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")


def run(cmd, cwd):
    return subprocess.run([sys.executable, *cmd], cwd=cwd, env=ENV, capture_output=True, text=True, timeout=600)


def twin_output(name: str, cwd) -> str:
    proc = run([str(ROOT / "variants" / "tensor_autograd" / name), *ARGS], cwd)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.parametrize("path", LEGACY, ids=[p.stem for p in LEGACY])
def test_upgraded_as_published_prints_the_twins_losses(path, tmp_path):
    published = as_published(path)
    assert "from shims.torch_legacy import" not in published and "from shims.tf1 import" not in published
    result = upgrade_source(published, path.name)
    assert not [f for f in result.findings if f.action != "changed"], result.findings
    script = tmp_path / path.name
    script.write_text(result.new)
    proc = run([*STRICT, str(script), *ARGS], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Warning" not in proc.stderr.replace("WARNING: All log messages", "")
    expected = twin_output(path.name, tmp_path)
    assert len(expected.splitlines()) == 30
    assert proc.stdout == expected
    assert upgrade_source(result.new, path.name).new == result.new  # idempotent


@pytest.mark.parametrize("path", LEGACY, ids=[p.stem for p in LEGACY])
def test_shims_run_on_the_unmodified_as_published_script(path, tmp_path):
    script = tmp_path / path.name
    script.write_text(as_published(path))
    proc = run([*STRICT, "-m", "shims", "run", str(script), *ARGS], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout == twin_output(path.name, tmp_path)
    if path.stem != "numpy_warmup":  # no torch or TF1 idiom in the NumPy example
        assert f"python -m shims run: idioms met in {script}:" in proc.stderr
        assert "docs/migration.md#" in proc.stderr
    assert script.read_text() == as_published(path), "run must not touch the file"


def test_the_as_published_text_fails_without_the_upgrade(tmp_path):
    """The text under test is the 2017 code: as it is, it fails where the catalog says (the legacy Function)."""
    path = ROOT / "variants" / "legacy" / "custom_function.py"
    script = tmp_path / path.name
    script.write_text(as_published(path))
    proc = run([str(script), *ARGS], tmp_path)
    assert proc.returncode != 0
    assert "Legacy autograd function with non-static forward method is deprecated" in proc.stderr


TODAYS = sorted((ROOT / "variants" / "tensor_autograd").glob("*.py")) + sorted((ROOT / "variants" / "modern").glob("*.py"))


@pytest.mark.parametrize("path", TODAYS, ids=[f"{p.parent.name}/{p.stem}" for p in TODAYS])
def test_the_2019_and_modern_variants_are_left_as_they_are(path):
    """No false positive on code that is already current (or already picks tf.compat.v1 itself)."""
    result = upgrade_source(path.read_text(), str(path))
    assert result.new == path.read_text() and not result.findings, result.findings
