"""noxfile.py: `nox -l` lists the matrix with readable ids, docstrings and tags; impossible pairs absent."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
from matrix import ERAS  # noqa: E402

pytest.importorskip("nox")


def nox_list(*, json_output: bool = True, **env) -> list | str:
    environ = {k: v for k, v in os.environ.items() if k != "MATRIX_USE_INSTALLED"}
    environ.update(env)
    # Every session: plain `nox -l --json` lists only the default selection (the matrix).
    args = [sys.executable, "-m", "nox", "-l", "-t", "matrix", "report", "tests"] + (["--json"] if json_output else [])
    out = subprocess.run(args, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout) if json_output else out.stdout


@pytest.fixture(scope="module")
def sessions() -> dict:
    return {s["session"]: s for s in nox_list()}


@pytest.fixture(scope="module")
def noxfile():
    sys.path.insert(0, str(ROOT))
    try:
        import importlib.util

        spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT))
    return module


@pytest.fixture(scope="module")
def pins() -> tuple:
    from matrix.facts.pins import PINS

    return PINS


def test_the_noxfile_declares_the_sessions_from_matrix_pins(noxfile, pins):
    """The pins are data (matrix/facts/pins.py); the noxfile imports them and defines none of its own."""
    from matrix.facts import pins as pins_module

    assert noxfile.PINS is pins and noxfile.DEVICES is pins_module.DEVICES
    assert not hasattr(noxfile, "Pin") and not hasattr(noxfile, "OLD_ERAS")


def test_a_missing_interpreter_fails_tests_and_docs_not_the_matrix(noxfile, monkeypatch):
    """Matrix sessions record a missing Python as not run themselves (python=False); for the test suite
    a missing interpreter must be an error, never a skip that exits 0."""
    from matrix.running.interpreters import Search

    assert noxfile.nox.options.error_on_missing_interpreters is True
    monkeypatch.setitem(noxfile._PYTHONS, "3.9", Search("3.9"))
    assert noxfile._python_or_false("3.9") is False
    monkeypatch.setitem(noxfile._PYTHONS, "3.9", Search("3.9", found="/opt/py/bin/python3.9"))
    assert noxfile._python_or_false("3.9") == "/opt/py/bin/python3.9"  # an absolute path, seen to run
    monkeypatch.setitem(noxfile._PYTHONS, "3.11", Search("3.11"))
    assert noxfile._python_for("3.11") == "3.11"  # nox then fails the tests session: no interpreter


def test_a_missing_python_is_not_run_with_a_remedy(noxfile, tmp_path, monkeypatch):
    from matrix.running import run as matrix_run
    from matrix.running.interpreters import Search, Tried

    class Skipped(Exception):  # nox's skip exception, or any other: the run knows the session skipped
        pass

    class Session:
        name, posargs, bin = "legacy(torch='1.8.1', device='cpu')", ["--results", str(tmp_path)], "/nonexistent"

        def log(self, message):
            pass

        def skip(self, reason):
            raise Skipped(reason)

    missing = Search("3.9", tried=[Tried("/root/.pyenv/shims/python3.9", "PATH", False, "exit 127: pyenv: ...")])
    monkeypatch.setitem(noxfile._PYTHONS, "3.9", missing)
    run, at_exit = matrix_run.Run("R"), []
    monkeypatch.setattr(noxfile, "RUN", run)
    monkeypatch.setattr(matrix_run.atexit, "register", at_exit.append)  # no summary at pytest's exit
    with pytest.raises(Skipped) as skipped:
        noxfile._run(Session(), "legacy", "1.8.1", "cpu")
    assert str(skipped.value).startswith("Python 3.9 not found (torch 1.8.1 is run on Python 3.9 here). Tried: "
                                         "/root/.pyenv/shims/python3.9 (exit 127")
    assert "`pyenv install 3.9`" in str(skipped.value) or "`uv python install 3.9`" in str(skipped.value)
    record = json.loads((tmp_path / "legacy-torch1.8.1-cpu.json").read_text())
    assert record["status"] == "not_run" and {c["status"] for c in record["cells"]} == {"not_run"}
    assert record["run"] == "R" and run.written == [tmp_path / "legacy-torch1.8.1-cpu.json"]
    assert run.failed_sessions == []  # a skip is not a failure
    assert at_exit == [run.print_summary]  # the summary of the whole run, when nox exits


def test_the_noxfile_makes_one_run(noxfile):
    """One Run per nox invocation, named by its start time, passed to every matrix session."""
    from matrix.running.run import Run

    assert isinstance(noxfile.RUN, Run) and noxfile.RUN.id
    assert not hasattr(noxfile, "FAILED_SESSIONS") and not hasattr(noxfile, "_REGISTERED")


def test_plain_nox_runs_the_matrix(noxfile):
    assert noxfile.nox.options.sessions == list(ERAS)


def test_every_era_pin_and_device_has_a_session(sessions, pins):
    for era in ERAS:
        for pin in [p for p in pins if era in p.eras]:
            for device in ("cpu", "cuda"):
                name = f"{era}(torch='{pin.torch}', device='{device}')"
                assert name in sessions, name
                s = sessions[name]
                assert s["call_spec"] == {"torch": pin.torch, "device": device}
                assert {era, device, "matrix"} <= set(s["tags"])
                assert s["description"], name
                # an absolute path to an interpreter that ran, or False: missing, recorded not run
                assert s["python"] is False or os.path.isabs(s["python"]), s["python"]


def test_docstrings_are_shown_by_nox_list():
    text = nox_list(json_output=False)
    assert "* modern(torch='2.4.1', device='cpu')" in text
    assert "-> The current tutorial" in text and "-> The 2017 tutorial" in text and "-> The 2019 tutorial" in text
    assert "* tests" in text and "* docs" in text and "* summary" in text


def test_a_pin_outside_an_era_is_refused_by_name(noxfile):
    from matrix.running import options

    known = options.matrix_session_names(["1.0.1", "2.4.1"], ["cpu"], {"1.0.1": ("legacy", "tensor_autograd")})
    assert "modern(torch='1.0.1', device='cpu')" not in known and "legacy(torch='1.0.1', device='cpu')" in known
    with pytest.raises(options.BadInput, match=r"torch 1.0.1 is a pin of the legacy and tensor_autograd era\(s\) only"):
        options.check_selection(["-s", "modern(torch='1.0.1', device='cpu')"], known, ["1.0.1", "2.4.1"], ["cpu"], [])


def test_impossible_python_torch_pairs_are_not_generated(sessions, pins):
    # torch 1.8.1 has wheels for Python <= 3.9 only; torch >= 1.13 is run on 3.11 here.
    for name, s in sessions.items():
        if s["call_spec"].get("torch") == "1.8.1":
            assert s["python"] is False or s["python"].endswith("python3.9"), name
        if s["call_spec"].get("torch") in ("1.0.1", "1.4.0"):  # wheels for Python <= 3.7 only
            assert s["python"] is False or s["python"].endswith("python3.7"), name
    assert not [n for n in sessions if "-3.11(torch='1.8.1'" in n]
    per_era = {era: [n for n in sessions if n.startswith(era + "(")] for era in ERAS}
    assert all(len(v) == 2 * len([p for p in pins if era in p.eras]) for era, v in per_era.items())


def test_tests_and_docs_sessions(sessions):
    assert sessions["tests"]["python"] and "pytest" in sessions["tests"]["description"]
    assert "docs/generate.py" in sessions["docs"]["description"]


def test_installed_mode_replaces_the_pins_with_the_current_interpreter():
    listed = {s["session"]: s for s in nox_list(MATRIX_USE_INSTALLED="1")}
    matrix = [n for n in listed if n.split("(")[0] in ERAS]
    assert sorted(matrix) == sorted(f"{era}(torch='installed', device='{d}')" for era in ERAS for d in ("cpu", "cuda"))
    assert all(listed[n]["python"] is False for n in matrix)


class _ReportSession:
    """A stand-in for nox's session in the report session: what it was asked to install and run."""

    def __init__(self, *posargs):
        self.posargs, self.env, self.calls = list(posargs), {}, []

    def install(self, *args, **kwargs):
        self.calls.append(("install",) + args)

    def run(self, *args, **kwargs):
        self.calls.append(("run",) + args)

    def error(self, message):
        raise RuntimeError(message)


def test_report_refuses_options_before_it_installs_or_rebuilds_anything(noxfile, capsys):
    session = _ReportSession("--bad-flag")
    with pytest.raises(SystemExit) as exit_:
        noxfile.report(session)
    assert exit_.value.code == 2 and session.calls == []
    assert capsys.readouterr().err == ("nox: error: nox -s report takes no options after `--` (got --bad-flag); for "
                                       "other folders: python -m matrix.records.compare MINE REFERENCE --out FILE\n")


def test_report_fails_on_an_unreadable_record_naming_it_before_anything_is_built(noxfile, tmp_path, monkeypatch):
    from matrix.records import results

    (tmp_path / "modern-torch2.4.1-cpu.json").write_text('{"schema": 1, "cells": [')
    monkeypatch.setattr(results, "USER_RESULTS_DIR", tmp_path)
    session = _ReportSession()
    with pytest.raises(RuntimeError, match=f"{tmp_path / 'modern-torch2.4.1-cpu.json'}: not valid JSON .*; rerun its "
                                           "session"):
        noxfile.report(session)
    assert session.calls == []


@pytest.mark.parametrize("argv,line", [
    (["-s", "modern", "legacy", "--", "--steps", "50", "--example", "nn", "--record"],
     "nox: error: --record writes the reference, which only a complete run may replace; this run is partial "
     "(--example nn, --steps 50): drop that, or use --record-partial to record it anyway, marked partial"),
    (["-s", "report", "--", "--bad-flag"],
     "nox: error: nox -s report takes no options after `--` (got --bad-flag); for other folders: "
     "python -m matrix.records.compare MINE REFERENCE --out FILE"),
])
def test_nox_refuses_a_partial_record_and_report_options_when_it_loads(noxfile, monkeypatch, capsys, argv, line):
    """Checked in process, when the noxfile is loaded: run for real, a regression would replace the
    tracked reference with a partial record (the very fault) or build the report's virtualenv."""
    monkeypatch.setattr(sys, "argv", ["nox", *argv])
    for name in [k for k in os.environ if k.startswith("MATRIX_")]:
        monkeypatch.delenv(name)
    with pytest.raises(SystemExit) as exit_:
        noxfile._check_command_line()
    assert exit_.value.code == 2
    assert capsys.readouterr().err == line + "\n"
