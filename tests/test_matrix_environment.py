"""matrix.running.environment: pin checks, reuse decisions, index options, GPU detection, uv's messages."""
from __future__ import annotations

import os
import sys

import pytest

from conftest import python_or_skip
from matrix.running import environment


@pytest.mark.parametrize("installed, pin, ok", [
    ("2.4.1", "2.4.1", True),
    ("2.4.1+cu121", "2.4.1", True),
    ("2.4.1+cpu", "2.4.1", True),
    ("1.8.1+cu102", "1.8.1", True),
    ("2.4.0", "2.4.1", False),
    ("2.4.1.post1", "2.4.1", False),
    ("2.5.0a0+git1234", "2.5.0", False),
    (None, "2.4.1", False),
    ("not a version", "2.4.1", False),
])
def test_version_matches_pin_ignores_local_suffixes(installed, pin, ok):
    assert environment.version_matches_pin(installed, pin) is ok


@pytest.mark.parametrize("installed, spec, ok", [
    ("2.18.1", "2.18.*", True), ("2.18.1", "2.12.*", False), ("1.26.4", "<2", True), ("2.0.2", "<2", False),
    ("2.4.1+cu121", ">=2.0,<2.6", True), ("3.9.2", "<3.10", True), (None, "<2", False), ("1.0", None, True),
])
def test_in_spec(installed, spec, ok):
    assert environment.in_spec(installed, spec) is ok


def test_satisfied_decides_whether_a_reused_venv_installs_anything():
    info = {"torch": "2.0.1+cu117", "numpy": "1.26.4", "tensorflow": "2.15.1"}
    assert environment.satisfied(info, "2.0.1", "numpy<2", "2.15.*")
    assert not environment.satisfied(info, "2.4.1", "numpy<2", "2.15.*")
    assert not environment.satisfied(dict(info, numpy="2.0.2"), "2.0.1", "numpy<2", "2.15.*")
    assert not environment.satisfied(dict(info, tensorflow=None), "2.0.1", "numpy<2", "2.15.*")
    assert environment.satisfied(dict(info, tensorflow=None), "2.0.1", "numpy", None)
    assert not environment.satisfied(dict(info, numpy=None), "2.0.1", "numpy", None)


def test_requirements():
    assert environment.requirements("1.8.1", "numpy<2", "2.12.*") == [
        "torch==1.8.1", "numpy<2", "tensorflow-cpu==2.12.*", "packaging"]
    assert environment.requirements("2.15.0", "numpy", None) == ["torch==2.15.0", "numpy", "packaging"]
    # TensorFlow 1: the `tensorflow` distribution (no tensorflow-cpu 1.13) and a protobuf its *_pb2 modules load with
    assert environment.requirements("1.0.1", "numpy<1.17", "1.13.1") == [
        "torch==1.0.1", "numpy<1.17", "tensorflow==1.13.1", "protobuf<3.20", "packaging"]
    assert environment.tensorflow_distribution("1.15.5") == "tensorflow"
    assert environment.tensorflow_distribution("2.12.*") == "tensorflow-cpu"


def test_describe_reads_versions_on_python_37_without_importlib_metadata(tmp_path):
    """The torch 1.0.1 and 1.4.0 pins run on Python 3.7, which has no importlib.metadata: the versions
    are read from the *.dist-info folder names on sys.path instead (nothing is imported)."""
    for dist in ("torch-1.0.1.dist-info", "numpy-1.16.6.dist-info", "tensorflow-1.13.1.dist-info",
                 "tensorflow_estimator-1.13.0.dist-info"):
        (tmp_path / dist).mkdir()
    info = environment.describe(python_or_skip("3.7"), env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert info["python"].startswith("3.7.")
    assert (info["torch"], info["numpy"], info["tensorflow"]) == ("1.0.1", "1.16.6", "1.13.1")


def test_index_args():
    assert environment.index_args({}) == []
    url = "https://download.pytorch.org/whl/cpu"
    assert environment.index_args({"TORCH_INDEX_URL": url}) == [
        "--extra-index-url", url, "--index-strategy", "unsafe-best-match"]
    assert environment.index_args({"TORCH_INDEX_URL": url, "TORCH_INDEX_STRATEGY": "first-index"})[-1] == "first-index"


def test_no_gpu_reason(monkeypatch):
    monkeypatch.delenv("MATRIX_ASSUME_GPU", raising=False)
    monkeypatch.setattr(environment.shutil, "which", lambda name: None)
    monkeypatch.setattr(environment.os.path, "exists", lambda path: False)
    assert "no NVIDIA GPU" in environment.no_gpu_reason()
    monkeypatch.setattr(environment.os.path, "exists", lambda path: path == "/proc/driver/nvidia")
    assert environment.no_gpu_reason() is None
    monkeypatch.setattr(environment.os.path, "exists", lambda path: False)
    monkeypatch.setenv("MATRIX_ASSUME_GPU", "1")
    assert environment.no_gpu_reason() is None


def test_no_distribution_recognises_uvs_no_wheel_messages():
    out = ("  × No solution found when resolving dependencies:\n"
           "  ╰─▶ Because torch==1.8.1 has no wheels with a matching Python ABI tag (e.g. `cp311`) and you\n"
           "      require torch==1.8.1, we can conclude that your requirements are unsatisfiable.\n")
    assert "torch==1.8.1 has no wheels with a matching Python ABI tag" in environment.no_distribution(out)
    assert environment.no_distribution("error: Failed to download `torch==2.4.1`: connection reset") is None


def test_no_distribution_is_about_the_named_package_and_not_a_conflict():
    """A pin mistake (two requirements that conflict) must fail the session, not hide as "not run"."""
    conflict = ("  ╰─▶ Because tensorflow-cpu==2.12.1 depends on numpy<1.24 and you require numpy>=2, we can "
                "conclude that your requirements are unsatisfiable.")
    assert environment.no_distribution(conflict, "tensorflow-cpu") is None
    assert environment.no_distribution(conflict) is None
    no_tf = "  ╰─▶ Because there is no version of tensorflow-cpu==2.99.* and you require tensorflow-cpu==2.99.*."
    assert environment.no_distribution(no_tf) is None  # not about torch
    assert environment.no_distribution(no_tf, "tensorflow-cpu").startswith("Because there is no version of")
    assert environment.no_distribution("ERROR: No matching distribution found for torch==9.9") == (
        "ERROR: No matching distribution found for torch==9.9")


def test_describe_reads_the_torch_build_without_importing_it(tmp_path):
    """PyPI's metadata says 1.13.1 for a +cu117 build: torch/version.py tells CPU and CUDA builds apart."""
    pkg = tmp_path / "torch"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("raise SystemExit('imported')\n")
    (pkg / "version.py").write_text("__version__ = '1.13.1+cu117'\ncuda: Optional[str] = '11.7'\n")
    info = environment.describe(sys.executable, env=dict(os.environ, PYTHONPATH=str(tmp_path)))
    assert info["torch_build"] == "1.13.1+cu117" and info["torch_cuda"] == "11.7"


def test_describe_this_interpreter():
    info = environment.describe(sys.executable)
    assert info["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert set(info) >= {"torch", "numpy", "tensorflow", "platform", "executable"}


def test_cpu_name():
    assert environment.cpu_name().endswith(" (CPU)")


def test_commit_outside_git_is_none(tmp_path):
    assert environment.commit(str(tmp_path)) is None
