"""matrix.running.session.run_session with a stand-in for the nox session: not-run records, pin check, verdicts."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from matrix import EXAMPLES, ROOT
from matrix.running import cell, environment
from matrix.facts import expected
from matrix.running import session as matrix_session
from matrix.running.run import Run


class Skip(Exception):
    pass


class Error(Exception):
    pass


class FakeSession:
    def __init__(self, tmp_path, *posargs, install=True):
        self.name = "fake"
        self.posargs = ["--results", str(tmp_path), *posargs]
        self.bin = os.path.dirname(sys.executable)
        self.logs, self.warnings, self.install = [], [], install

    def log(self, msg):
        self.logs.append(msg)

    def warn(self, msg):
        self.warnings.append(msg)

    def skip(self, reason):
        raise Skip(reason)

    def error(self, reason):
        raise Error(reason)

    def run_install(self, *args, **kwargs):
        return "install\n" if self.install else None  # None: nox -R / --no-install


def load(tmp_path, name):
    return json.loads((tmp_path / f"{name}.json").read_text())


def test_cuda_without_gpu_records_every_cell_not_run_before_installing(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "no_gpu_reason", lambda: "no NVIDIA GPU on this machine (test)")
    monkeypatch.setattr(environment, "describe", lambda *a, **k: pytest.fail("must not look at the venv"))
    with pytest.raises(Skip, match="no NVIDIA GPU"):
        matrix_session.run_session(FakeSession(tmp_path), era="modern", torch_pin="2.4.1", python_version="3.11",
                                   numpy="numpy", tensorflow="2.18.*", device="cuda")
    record = load(tmp_path, "modern-torch2.4.1-cuda")
    assert record["status"] == "not_run" and "no NVIDIA GPU" in record["reason"]
    assert [c["example"] for c in record["cells"]] == list(EXAMPLES)
    assert {c["status"] for c in record["cells"]} == {"not_run"}
    assert all(c["reason"] == record["reason"] for c in record["cells"])


def test_missing_interpreter_is_recorded_not_run(tmp_path):
    with pytest.raises(Skip, match="Python 3.9 not found"):
        matrix_session.run_session(FakeSession(tmp_path), era="legacy", torch_pin="1.8.1", python_version="3.9",
                                   numpy="numpy<2", tensorflow="2.12.*", device="cpu",
                                   skip_reason="Python 3.9 not found")
    record = load(tmp_path, "legacy-torch1.8.1-cpu")
    assert record["status"] == "not_run"
    # nine variants, and the eight that import an adapting shim once more as published
    assert [(c["example"], c["mode"]) for c in record["cells"]] == (
        [(e, "variant") for e in EXAMPLES] + [(e, "as_published") for e in EXAMPLES if e != "numpy_warmup"])
    assert {c["status"] for c in record["cells"]} == {"not_run"}


def test_installed_torch_that_is_not_the_pin_is_a_session_error(tmp_path):
    pytest.importorskip("torch")
    # --no-install (nox -R) with a venv holding another torch: refuse to run any cell, and record the
    # session as failed (so that the end-of-run summary names it).
    with pytest.raises(Error, match="not the pinned 1.2.3"):
        matrix_session.run_session(FakeSession(tmp_path, install=False), era="modern", torch_pin="1.2.3",
                                   python_version="3.11", numpy="numpy", tensorflow=None, device="cpu")
    record = load(tmp_path, "modern-torch1.2.3-cpu")
    assert record["status"] == "failed" and "not the pinned 1.2.3" in record["reason"]
    assert {c["status"] for c in record["cells"]} == {"not_run"}
    assert all(c["reason"].startswith("not run: the session failed before running it") for c in record["cells"])


def test_bad_options_exit_2_before_anything_is_written(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        matrix_session.run_session(FakeSession(tmp_path, "--steps", "0"), era="modern", torch_pin="2.4.1",
                                   python_version="3.11", numpy="numpy", tensorflow=None, device="cpu")
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "nox: error: argument --steps: must be at least 1\n"
    assert not list(tmp_path.iterdir())


def test_a_partial_record_is_refused_by_the_session_before_anything_is_written(tmp_path, monkeypatch, capsys):
    """The per-session check (a selection with other sessions than the matrix's is not checked when the
    noxfile loads): `--record --example nn` refused, the reference (here a stand-in folder) untouched."""
    from matrix.records import results

    monkeypatch.setattr(results, "RESULTS_DIR", tmp_path / "reference")
    session = FakeSession(tmp_path)
    session.posargs = ["--record", "--example", "nn"]
    with pytest.raises(SystemExit) as exit_:
        matrix_session.run_session(session, era="modern", torch_pin="2.4.1", python_version="3.11", numpy="numpy",
                                   tensorflow=None, device="cpu", skip_reason="no Python 3.11 (test)")
    assert exit_.value.code == 2
    assert capsys.readouterr().err.startswith("nox: error: --record writes the reference, which only a complete run "
                                              "may replace; this run is partial (--example nn)")
    assert not list(tmp_path.iterdir())


def fake_cells(statuses):
    it = iter(statuses)

    def run_cell(python, era, example, **kw):
        status = next(it)
        return {"status": status, "reason": None if status == "passed" else f"{status} for a test",
                "warnings": [], "error": None, "returncode": 0, "signal": None, "steps": 1, "seed": 0,
                "losses": [[0, 1.0]], "first_loss": 1.0, "last_loss": 1.0, "seconds_per_step": None,
                "wall_seconds": 0.1}
    return run_cell


def run_installed(tmp_path, monkeypatch, statuses, entries=(), *posargs):
    pytest.importorskip("torch")
    monkeypatch.setenv("MATRIX_PYTHON", sys.executable)
    monkeypatch.setattr(cell, "run_cell", fake_cells(statuses))
    monkeypatch.setattr(matrix_session, "run_probes", lambda python, timeout=0: ([], None))
    monkeypatch.setattr(expected, "load_expected", lambda: list(entries))
    session = FakeSession(tmp_path, "--example", "nn", "--example", "optim", *posargs)
    return session, lambda: matrix_session.run_session(session, era="modern", torch_pin="installed",
                                                       python_version=None, numpy="numpy", tensorflow=None,
                                                       device="cpu", installed=True)


def test_unexpected_failure_fails_the_session_after_writing_results(tmp_path, monkeypatch):
    session, go = run_installed(tmp_path, monkeypatch, ["passed", "failed"])
    with pytest.raises(Error, match="1 cell\\(s\\) expected to pass did not: optim"):
        go()
    record = load(tmp_path, "modern-torchinstalled-cpu")
    assert record["torch_pin"] == "installed" and record["torch"]
    assert [c["status"] for c in record["cells"]] == ["passed", "failed"]


@pytest.mark.parametrize("status", ["diverged", "nondeterministic"])
def test_a_diverged_or_nondeterministic_cell_fails_the_session(tmp_path, monkeypatch, status):
    session, go = run_installed(tmp_path, monkeypatch, ["passed", status])
    with pytest.raises(Error, match=f"1 cell\\(s\\) expected to pass did not: optim \\({status}: "):
        go()
    assert [c["status"] for c in load(tmp_path, "modern-torchinstalled-cpu")["cells"]] == ["passed", status]


@pytest.mark.parametrize("posargs, env, repeats", [((), {}, 2), (("--repeats", "1"), {}, 1),
                                                   ((), {"MATRIX_REPEATS": "3"}, 3)])
def test_each_cell_runs_as_many_times_as_repeats_says(tmp_path, monkeypatch, posargs, env, repeats):
    asked = []
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    session, go = run_installed(tmp_path, monkeypatch, ["passed", "passed"], (), *posargs)
    fake = cell.run_cell
    monkeypatch.setattr(cell, "run_cell", lambda python, era, example, **kw: asked.append(kw["repeats"]) or
                        fake(python, era, example, **kw))
    go()
    assert asked == [repeats, repeats]


def test_expected_failure_and_xpass_do_not_fail_the_session(tmp_path, monkeypatch):
    entries = [{"example": "nn", "reason": "known A"}, {"example": "optim", "reason": "known B"}]
    session, go = run_installed(tmp_path, monkeypatch, ["passed", "crashed"], entries)
    record = go()
    assert [c["expected"] for c in record["cells"]] == ["fail", "fail"]
    assert record["cells"][0]["reason"].startswith("XPASS")
    assert len(session.warnings) == 1 and "XPASS modern/nn" in session.warnings[0]


def test_strict_makes_an_xpass_fail_the_session(tmp_path, monkeypatch):
    entries = [{"example": "nn", "reason": "known A"}]
    session, go = run_installed(tmp_path, monkeypatch, ["passed", "passed"], entries, "--strict")
    with pytest.raises(Error, match="XPASS, --strict"):
        go()


def test_a_real_variant_in_the_current_interpreter(tmp_path, monkeypatch):
    pytest.importorskip("numpy")
    if not os.path.exists(ROOT / "variants" / "modern" / "numpy_warmup.py"):
        pytest.skip("variants/modern/numpy_warmup.py not written yet")
    monkeypatch.setenv("MATRIX_PYTHON", sys.executable)
    monkeypatch.setattr(matrix_session, "run_probes", lambda python, timeout=0: ([], None))
    session = FakeSession(tmp_path, "--example", "numpy_warmup", "--steps", "5")
    record = matrix_session.run_session(session, era="modern", torch_pin="installed", python_version=None,
                                        numpy="numpy", tensorflow=None, device="cpu", installed=True)
    (only,) = record["cells"]
    assert only["status"] == "passed", only
    assert [t for t, _ in only["losses"]] == [0, 1, 2, 3, 4] and only["steps"] == 5
    assert only["device_name"].endswith("(CPU)") and only["commit"] == record["commit"]
    assert load(tmp_path, "modern-torchinstalled-cpu")["cells"][0]["losses"] == only["losses"]


def test_running_some_examples_keeps_the_other_cells_of_the_same_torch(tmp_path, monkeypatch):
    session, go = run_installed(tmp_path, monkeypatch, ["passed", "passed"])
    go()
    session, go = run_installed(tmp_path, monkeypatch, ["failed"], (), )
    session.posargs = ["--results", str(tmp_path), "--example", "optim"]
    with pytest.raises(Error):
        go()
    record = load(tmp_path, "modern-torchinstalled-cpu")
    assert [(c["example"], c["status"]) for c in record["cells"]] == [("nn", "passed"), ("optim", "failed")]


def test_kept_cells_keep_their_run_and_a_partial_run_says_so_in_its_record(tmp_path, monkeypatch):
    """The record of `--example optim` holds nn from the run before: marked with that run, so that the
    summary shows it there; the record says which examples (and steps) this run had."""
    from matrix.records import summary

    def go(run, *posargs):
        session, _ = run_installed(tmp_path, monkeypatch, ["passed"] * len(EXAMPLES))
        session.posargs = ["--results", str(tmp_path), *posargs]
        return matrix_session.run_session(session, era="modern", torch_pin="installed", python_version=None,
                                          numpy="numpy", tensorflow=None, device="cpu", installed=True, run=run)

    go(Run("2026-11-29T10:00:00Z"), "--example", "nn", "--example", "optim")
    first = load(tmp_path, "modern-torchinstalled-cpu")
    assert first["partial"] == {"examples": ["nn", "optim"]}
    go(Run("2026-11-30T08:00:00Z"), "--example", "optim", "--steps", "5")
    record = load(tmp_path, "modern-torchinstalled-cpu")
    assert record["run"] == "2026-11-30T08:00:00Z" and record["partial"] == {"examples": ["optim"], "steps": 5}
    assert [(c["example"], c.get("run")) for c in record["cells"]] == [("nn", "2026-11-29T10:00:00Z"),
                                                                       ("optim", None)]
    rows = [line.split()[:3] for line in summary.table([record]).splitlines() if line.startswith(("A ", "B "))]
    assert rows == [["A", "modern", "nn"], ["B", "modern", "optim"]]
    go(Run("2026-12-01T08:00:00Z"))  # a complete run: no longer partial, every cell its own
    record = load(tmp_path, "modern-torchinstalled-cpu")
    assert "partial" not in record and all("run" not in c for c in record["cells"])


FAKE_PROBES = '''
import argparse, json, os, signal, sys, time
IDS = ["first", "segfaults", "third", "hangs", "last"]
parser = argparse.ArgumentParser()
parser.add_argument("--out")
parser.add_argument("--only", action="append")
parser.add_argument("--list", action="store_true")
args = parser.parse_args()
if args.list:
    print("\\n".join(IDS))
    sys.exit(0)
done = []
for pid in [i for i in IDS if not args.only or i in args.only]:
    if pid == "segfaults":
        print("about to segfault", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    if pid == "hangs":
        time.sleep(60)
    done.append({"id": pid, "outcome": "works", "detail": "", "warnings": [], "error": None, "value": 1})
    with open(args.out + ".tmp", "w") as fh:
        json.dump(done, fh)
    os.replace(args.out + ".tmp", args.out)
'''


def test_a_crashing_probe_is_recorded_and_the_others_still_run(tmp_path, monkeypatch):
    (tmp_path / "fake_probes.py").write_text(FAKE_PROBES)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    records, error = matrix_session.run_probes(sys.executable, timeout=5, module="fake_probes")
    by_id = {r["id"]: r for r in records}
    assert sorted(by_id) == ["first", "hangs", "last", "segfaults", "third"]
    assert [by_id[i]["outcome"] for i in ("first", "third", "last")] == ["works"] * 3
    assert by_id["segfaults"]["outcome"] == "crashed"
    assert by_id["segfaults"]["error"]["message"] == "killed by SIGSEGV: about to segfault"
    assert by_id["hangs"]["outcome"] == "crashed" and "timeout" in by_id["hangs"]["error"]["message"]
    assert error.startswith("probe segfaults: killed by SIGSEGV") and "probe hangs:" in error


def test_no_tensorflow_wheel_leaves_only_the_tf_example_not_run(tmp_path, monkeypatch):
    """A TensorFlow release with no wheel here must not cost the eight torch examples."""
    calls = []
    no_tf = ("  ╰─▶ Because there is no version of tensorflow-cpu==2.99.* and you require "
             "tensorflow-cpu==2.99.*, we can conclude that your requirements are unsatisfiable.")

    def install(python, reqs, extra=()):
        calls.append(list(reqs))
        return (1, no_tf) if any(r.startswith("tensorflow") for r in reqs) else (0, "ok")

    info = {"python": "3.11.7", "platform": "Linux", "torch": "2.4.1", "torch_build": "2.4.1+cu121",
            "numpy": "2.1.0", "tensorflow": None}
    monkeypatch.setattr(environment, "install", install)
    monkeypatch.setattr(environment, "describe", lambda *a, **k: dict(info))
    monkeypatch.setattr(environment, "satisfied", lambda *a: False)
    monkeypatch.setattr(cell, "run_cell", fake_cells(["passed"] * 9))
    monkeypatch.setattr(matrix_session, "run_probes", lambda python, timeout=0: ([], None))
    record = matrix_session.run_session(FakeSession(tmp_path), era="modern", torch_pin="2.4.1", python_version="3.11",
                                        numpy="numpy", tensorflow="2.99.*", device="cpu")
    assert calls == [["torch==2.4.1", "numpy", "tensorflow-cpu==2.99.*", "packaging"],
                     ["torch==2.4.1", "numpy", "packaging"]]
    statuses = {c["example"]: c["status"] for c in record["cells"]}
    assert statuses.pop("tf_static_graph") == "not_run" and set(statuses.values()) == {"passed"}
    tf_cell = next(c for c in record["cells"] if c["example"] == "tf_static_graph")
    assert tf_cell["reason"].startswith("tensorflow-cpu==2.99.* can't be installed") and "no version of" in tf_cell["reason"]
    assert record["torch_build"] == "2.4.1+cu121"


def test_a_legacy_script_as_published_fails_as_expected_on_this_torch(tmp_path):
    """The 2017 code itself (matrix/as_published in place of shims) on the installed torch."""
    pytest.importorskip("torch")
    shimmed = cell.run_cell(sys.executable, "legacy", "autograd", steps=3, timeout=300)
    published = cell.run_cell(sys.executable, "legacy", "autograd", steps=3, timeout=300, mode="as_published")
    assert shimmed["status"] == "passed" and shimmed["mode"] == "variant"
    assert published["mode"] == "as_published" and published["status"] == "failed"
    assert published["error"]["type"] == "IndexError"
    assert published["reason"] == ("IndexError: invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                                   "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    assert published["losses"] == []  # it dies at the first print(t, loss.data[0])


def test_run_session_is_its_steps_in_order(tmp_path, monkeypatch):
    """The chain matrix/running/session.py documents: decide not-run, interpreter, pin, device, cells, probes,
    record, verdict; the verdict sees the cells of the record written (merged under --example)."""
    calls = []

    def step(name, result):
        def record_call(*args, **kwargs):
            calls.append(name)
            return result
        return record_call

    written = {"cells": [{"example": "nn", "status": "passed"}]}
    monkeypatch.setattr(matrix_session, "reason_not_to_run", step("reason_not_to_run", None))
    monkeypatch.setattr(matrix_session, "interpreter_of", step("interpreter_of", "python"))
    monkeypatch.setattr(matrix_session, "ensure_pin", step("ensure_pin", ({}, None)))
    monkeypatch.setattr(matrix_session, "describe_device", step("describe_device", {}))
    monkeypatch.setattr(matrix_session, "run_cells", step("run_cells", []))
    monkeypatch.setattr(matrix_session, "run_probes", step("run_probes", ([], None)))
    monkeypatch.setattr(matrix_session, "write_record", step("write_record", written))
    monkeypatch.setattr(matrix_session, "judge", lambda plan, cells: calls.append(("judge", cells)))
    monkeypatch.setenv("MATRIX_JOBS", "1")
    record = matrix_session.run_session(FakeSession(tmp_path), era="modern", torch_pin="2.4.1", python_version="3.11",
                                        numpy="numpy", tensorflow=None, device="cpu")
    assert record is written
    assert calls == ["reason_not_to_run", "interpreter_of", "ensure_pin", "describe_device", "run_cells",
                     "run_probes", "write_record", ("judge", written["cells"])]
    # several jobs: the probes run beside the cells, both done before the record is written
    calls.clear()
    monkeypatch.setenv("MATRIX_JOBS", "2")
    matrix_session.run_session(FakeSession(tmp_path), era="modern", torch_pin="2.4.1", python_version="3.11",
                               numpy="numpy", tensorflow=None, device="cpu")
    assert sorted(calls[4:6]) == ["run_cells", "run_probes"] and calls[6:7] == ["write_record"]


def test_a_session_whose_skip_returns_gets_the_not_run_record(tmp_path):
    """nox's skip() and error() raise; another caller's may return: run_session then returns the record."""
    session = FakeSession(tmp_path)
    session.skip = lambda reason: None
    run = Run("R")
    record = matrix_session.run_session(session, era="modern", torch_pin="2.4.1", python_version="3.11",
                                        numpy="numpy", tensorflow=None, device="cpu", skip_reason="no Python 3.11",
                                        run=run)
    assert record == load(tmp_path, "modern-torch2.4.1-cpu")
    assert record["status"] == "not_run" and record["reason"] == "no Python 3.11" and record["run"] == "R"
    assert run.written == [tmp_path / "modern-torch2.4.1-cpu.json"] and run.skipped == {"fake"}


def test_the_sessions_of_one_pin_share_one_probes_run(tmp_path, monkeypatch):
    """The probes check the installed libraries, not an era's scripts: in one nox run, a second session
    on the same torch build, NumPy, TensorFlow and Python records the first one's probes, and says so."""
    ran, run = [], Run("R")
    monkeypatch.setattr(matrix_session, "run_cells", lambda *a, **k: [])
    monkeypatch.setattr(matrix_session, "run_probes",
                        lambda python, timeout: ran.append(python) or ([{"id": "p", "outcome": "works"}], None))
    info = {"python": "3.11.7", "torch_build": "2.15.0+cu130", "numpy": "2.3.5", "tensorflow": "2.21.0",
            "platform": "Linux"}
    plans = [matrix_session.make_plan(FakeSession(tmp_path), era=era, torch_pin="2.15.0", python_version="3.11",
                                      numpy="numpy", tensorflow=None, device="cpu", run=run)
             for era in ("legacy", "modern")]
    first = matrix_session.run_cells_and_probes(plans[0], "python-a", info, None)
    second = matrix_session.run_cells_and_probes(plans[1], "python-b", info, None)
    other = matrix_session.run_cells_and_probes(plans[1], "python-c", dict(info, torch_build="2.4.1+cu121"), None)
    assert ran == ["python-a", "python-c"]
    assert first[1] == second[1] == ([{"id": "p", "outcome": "works"}], None)
    assert "probes_from" not in first[2] and second[2]["probes_from"] == plans[0].name
    assert second[2]["probes_seconds"] == 0.0 and "probes_from" not in other[2]
    # another nox run (another Run) runs its own
    elsewhere = matrix_session.make_plan(FakeSession(tmp_path), era="modern", torch_pin="2.15.0",
                                         python_version="3.11", numpy="numpy", tensorflow=None, device="cpu",
                                         run=Run("S"))
    assert "probes_from" not in matrix_session.run_cells_and_probes(elsewhere, "python-d", info, None)[2]
    keys = {matrix_session.probes_key(i) for i in (info, dict(info, torch_build="2.4.1+cu121"))}
    assert ran[-1] == "python-d" and set(run.probes) == keys


# ------------------------------------------------------------- the records folder, checked first
def never(*args, **kwargs):
    pytest.fail("nothing may be installed or run before the records folder is known to be writable")


@pytest.mark.parametrize("how", ["--results", "MATRIX_RESULTS"])
def test_a_records_folder_that_cannot_be_created_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys, how):
    """Found only after the whole session ran, it cost a traceback and every result."""
    (tmp_path / "a-file").write_text("")
    folder = tmp_path / "a-file" / "results"
    session = FakeSession(tmp_path)
    if how == "--results":
        session.posargs = ["--results", str(folder)]
    else:
        session.posargs = []
        monkeypatch.setenv("MATRIX_RESULTS", str(folder))
    monkeypatch.setattr(environment, "describe", never)
    monkeypatch.setattr(cell, "run_cell", never)
    with pytest.raises(SystemExit) as exit_:
        matrix_session.run_session(session, era="modern", torch_pin="2.4.1", python_version="3.11",
                                   numpy="numpy", tensorflow=None, device="cpu")
    assert exit_.value.code == 2
    named = f"--results {folder}" if how == "--results" else f"MATRIX_RESULTS={folder}"
    assert capsys.readouterr().err == (f"nox: error: {named}: cannot write records there: Not a directory; "
                                       "create it, make it writable, or choose another folder\n")


def test_a_records_folder_that_cannot_be_written_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    """A read-only disk (or folder): proven by writing a file there, not by asking os.access (root may)."""
    import errno
    import tempfile

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", read_only)
    monkeypatch.setattr(environment, "describe", never)
    with pytest.raises(SystemExit) as exit_:
        matrix_session.run_session(FakeSession(tmp_path), era="modern", torch_pin="2.4.1", python_version="3.11",
                                   numpy="numpy", tensorflow=None, device="cpu")
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (f"nox: error: --results {tmp_path}: cannot write records there: Read-only "
                                       "file system; create it, make it writable, or choose another folder\n")


# ------------------------------------------------------- an interrupted session keeps its cells
def passed_cell(**extra):
    return dict({"status": "passed", "reason": None, "warnings": [], "error": None, "returncode": 0, "signal": None,
                 "steps": 1, "seed": 0, "losses": [[0, 1.0]], "first_loss": 1.0, "last_loss": 1.0,
                 "seconds_per_step": None, "wall_seconds": 0.1}, **extra)


def without_torch(monkeypatch, run_cell):
    """The session's steps around the cells stood in for: no interpreter, pin or probes needed."""
    info = {"python": "3.11.7", "torch": "2.4.1", "torch_build": "2.4.1+cpu", "platform": "Linux"}
    monkeypatch.setattr(matrix_session, "interpreter_of", lambda plan: "python")
    monkeypatch.setattr(matrix_session, "ensure_pin", lambda plan, python: (dict(info), None))
    monkeypatch.setattr(matrix_session, "describe_device", lambda plan, python, info: dict(info, device_name="CPU X"))
    monkeypatch.setattr(matrix_session, "run_probes", lambda python, timeout=0: ([], None))
    monkeypatch.setattr(expected, "load_expected", lambda: [])
    monkeypatch.setattr(cell, "run_cell", run_cell)


FOUR = ["--example", "nn", "--example", "optim", "--example", "autograd", "--example", "tensors"]


def session_of(tmp_path, *posargs, run="R", examples=FOUR):
    session = FakeSession(tmp_path, *examples, *posargs)
    return session, lambda: matrix_session.run_session(session, era="modern", torch_pin="2.4.1",
                                                       python_version="3.11", numpy="numpy", tensorflow=None,
                                                       device="cpu", run=Run(run))


def test_ctrl_c_after_some_cells_keeps_them_in_a_record_marked_interrupted(tmp_path, monkeypatch):
    ran = []

    def run_cell(python, era, example, **kw):
        ran.append(example)
        if example == "autograd":
            raise KeyboardInterrupt
        return passed_cell()

    without_torch(monkeypatch, run_cell)
    session, go = session_of(tmp_path, "--jobs", "1")
    with pytest.raises(KeyboardInterrupt):
        go()
    record = load(tmp_path, "modern-torch2.4.1-cpu")
    assert ran == ["nn", "optim", "autograd"]
    assert [(c["example"], c["status"]) for c in record["cells"]] == [("nn", "passed"), ("optim", "passed")]
    assert record["status"] == "interrupted"
    assert record["reason"] == ("interrupted by Ctrl-C (KeyboardInterrupt): 2 of 4 cells ran; no result from "
                                "this run for autograd, tensors")
    assert any(line.startswith("interrupted: wrote ") for line in session.logs)


def test_ctrl_c_with_several_jobs_keeps_the_finished_cells_and_starts_no_other(tmp_path, monkeypatch):
    import threading
    recorded = threading.Event()
    original = matrix_session.record_cell

    def record_cell(plan, info, one):
        original(plan, info, one)
        recorded.set()

    def run_cell(python, era, example, **kw):
        if example == "nn":
            return passed_cell()
        assert recorded.wait(60)
        raise KeyboardInterrupt

    without_torch(monkeypatch, run_cell)
    monkeypatch.setattr(matrix_session, "record_cell", record_cell)
    session, go = session_of(tmp_path, "--jobs", "2")
    with pytest.raises(KeyboardInterrupt):
        go()
    record = load(tmp_path, "modern-torch2.4.1-cpu")
    assert [c["example"] for c in record["cells"]] == ["nn"] and record["status"] == "interrupted"


KILLED = '''
import os, signal, sys
from matrix.running import cell, session as matrix_session
from matrix.facts import expected
from matrix.running.run import Run

class Session:
    name = "modern(torch='2.4.1', device='cpu')"
    posargs = sys.argv[1:]
    def log(self, msg): print(msg)
    def warn(self, msg): print(msg)

def run_cell(python, era, example, **kw):
    if example == "autograd":
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9, mid-session
    return {"status": "passed", "reason": None, "warnings": [], "error": None, "returncode": 0, "signal": None,
            "steps": 1, "seed": 0, "losses": [[0, 1.0]], "first_loss": 1.0, "last_loss": 1.0,
            "seconds_per_step": None, "wall_seconds": 0.1}

info = {"python": "3.11.7", "torch": "2.4.1", "torch_build": "2.4.1+cpu", "platform": "Linux"}
matrix_session.interpreter_of = lambda plan: "python"
matrix_session.ensure_pin = lambda plan, python: (dict(info), None)
matrix_session.describe_device = lambda plan, python, info: dict(info, device_name="CPU X")
expected.load_expected = lambda: []
cell.run_cell = run_cell
matrix_session.run_session(Session(), era="modern", torch_pin="2.4.1", python_version="3.11", numpy="numpy",
                           tensorflow=None, device="cpu", run=Run("K"))
'''


def test_a_session_killed_after_some_cells_keeps_them_and_reads_as_interrupted(tmp_path, capsys):
    """kill -9: no handler runs, so the record written as each cell finished is what is left."""
    from matrix.records import results, summary
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    folder = tmp_path / "records"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(script), "--results", str(folder), *FOUR, "--jobs", "1"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == -9, done.stderr
    record = load(folder, "modern-torch2.4.1-cpu")
    assert [(c["example"], c["status"]) for c in record["cells"]] == [("nn", "passed"), ("optim", "passed")]
    assert record["status"] == "interrupted" and record["run"] == "K"
    assert record["reason"] == ("interrupted (Ctrl-C, a kill or a crash), or still running: 2 of 4 cells ran; "
                                "no result from this run for autograd, tensors")
    # the summary and the CI gate: interrupted, never a complete pass
    report = summary.report([record])
    assert "needs attention:\n  INTERRUPTED session modern(torch='2.4.1', device='cpu'): interrupted" in report
    assert "1 session(s), 1 interrupted; cells: 2 passed" in report
    assert results.main(["--fail-on-unexpected", str(folder)]) == 1
    assert "INTERRUPTED session" in capsys.readouterr().out


def test_a_session_that_finishes_replaces_its_interrupted_record_with_a_ran_one(tmp_path, monkeypatch):
    without_torch(monkeypatch, lambda python, era, example, **kw: passed_cell())
    session, go = session_of(tmp_path, "--jobs", "1")
    record = go()
    assert record["status"] == "ran" and record["reason"] is None
    assert load(tmp_path, "modern-torch2.4.1-cpu") == record and len(record["cells"]) == 4


# ------------------------------------------------------------- two writers into one folder
def test_two_sessions_into_one_folder_keep_each_others_cells_and_say_so(tmp_path, monkeypatch):
    """Session B runs (another nox run) while session A runs: A's record keeps B's cell, and A says
    which of B's cells it replaced with its own (the same cell can only be held once)."""
    inner = {}

    def run_cell(python, era, example, **kw):
        if example == "optim" and "B" not in inner:  # A's second cell: B runs meanwhile
            inner["B"], go_b = session_of(tmp_path, "--jobs", "1", run="B",
                                          examples=["--example", "nn", "--example", "tensors"])
            go_b()
        return passed_cell()

    without_torch(monkeypatch, run_cell)
    a, go_a = session_of(tmp_path, "--jobs", "1", run="A", examples=["--example", "nn", "--example", "optim"])
    record = go_a()
    assert [c["example"] for c in record["cells"]] == ["tensors", "nn", "optim"]  # B's tensors kept
    assert load(tmp_path, "modern-torch2.4.1-cpu")["cells"] == record["cells"]
    assert any("replaced 1 cell(s) of run B, written while this session ran, with this run's: nn" in w
               for w in a.warnings)
    assert any("kept 1 cell(s) of" in line for line in a.logs)


def test_the_end_of_a_run_interrupted_by_ctrl_c_names_the_record_not_a_bare_keyboardinterrupt(tmp_path, monkeypatch,
                                                                                               capsys):
    def run_cell(python, era, example, **kw):
        if example == "optim":
            raise KeyboardInterrupt
        return passed_cell()

    without_torch(monkeypatch, run_cell)
    session, _ = session_of(tmp_path, "--jobs", "1")
    run = Run("R")
    with pytest.raises(KeyboardInterrupt) as stopped:
        matrix_session.run_session(session, era="modern", torch_pin="2.4.1", python_version="3.11", numpy="numpy",
                                   tensorflow=None, device="cpu", run=run)
    run.failed(session.name, stopped.value)  # as noxfile.py's _run does
    capsys.readouterr()
    run.print_summary()
    out = capsys.readouterr().out
    assert "needs attention:\n  INTERRUPTED session fake: interrupted by Ctrl-C (KeyboardInterrupt): 1 of 4" in out
    assert "KeyboardInterrupt\n" not in out and "1 session(s), 1 interrupted; cells: 1 passed" in out


def test_an_interrupted_record_run_leaves_the_reference_as_it_was_and_keeps_the_cells_under_runs(tmp_path,
                                                                                                  monkeypatch):
    """--record writes results/, the reference: it changes only when the session's record is complete."""
    from matrix.records import results
    reference, recording = tmp_path / "results", tmp_path / "runs" / "recording"
    monkeypatch.setattr(results, "RESULTS_DIR", reference)
    monkeypatch.setattr(results, "RECORDING_DIR", recording)
    reference.mkdir()
    (reference / "modern-torch2.4.1-cpu.json").write_text("the reference\n")
    stop = {"at": "autograd"}

    def run_cell(python, era, example, **kw):
        if example == stop["at"]:
            raise KeyboardInterrupt
        return passed_cell()

    without_torch(monkeypatch, run_cell)
    session, go = session_of(tmp_path, "--jobs", "1")
    session.posargs = ["--jobs", "1", "--record"]  # every cell: --record refuses a partial selection
    with pytest.raises(KeyboardInterrupt):
        go()
    assert (reference / "modern-torch2.4.1-cpu.json").read_text() == "the reference\n"
    kept = load(recording, "modern-torch2.4.1-cpu")
    assert kept["status"] == "interrupted" and [c["example"] for c in kept["cells"]] == list(EXAMPLES[:2])
    assert kept["reason"].startswith(f"interrupted by Ctrl-C (KeyboardInterrupt): 2 of {len(EXAMPLES)} cells ran")
    assert any(line.endswith(f"({reference / 'modern-torch2.4.1-cpu.json'} is unchanged)") for line in session.logs)
    stop["at"] = None  # then a complete --record: the reference replaced, nothing left under runs/recording
    record = go()
    assert load(reference, "modern-torch2.4.1-cpu") == record and record["status"] == "ran"
    assert len(record["cells"]) == len(EXAMPLES)
    assert list(recording.iterdir()) == []
