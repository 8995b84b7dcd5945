"""matrix.records.jsonio: the one atomic writer; results, trace reports and probe outputs all go through it."""
from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys

import pytest

from matrix import ROOT
from matrix.records import jsonio, results
from matrix.probes import runner


def test_writes_the_text_as_given_and_replaces_the_old_file(tmp_path):
    path = tmp_path / "r.json"
    jsonio.write_atomically(path, '{"a": 1}')
    jsonio.write_atomically(str(path), '{\n "a": 2\n}\n')  # a str path too
    assert path.read_bytes() == b'{\n "a": 2\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_the_file_gets_the_mode_open_would_give_it(tmp_path):
    old = os.umask(0o027)
    try:
        jsonio.write_atomically(tmp_path / "atomic.json", "{}")
        with open(tmp_path / "plain.json", "w"):
            pass
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == {"atomic.json": 0o640, "plain.json": 0o640}  # not mkstemp's 0600


def test_keep_mode_and_newline_as_python_m_shims_upgrade_writes_a_script(tmp_path):
    """keep_mode: the replaced file's mode bits (an executable script stays one); newline="": the text's
    own line endings, CRLF included, whatever the platform."""
    script = tmp_path / "train.py"
    script.write_bytes(b"old\r\n")
    os.chmod(script, 0o750)
    jsonio.write_atomically(script, "import torch\r\nprint(1)\n", newline="", keep_mode=True)
    assert script.read_bytes() == b"import torch\r\nprint(1)\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o750
    with pytest.raises(FileNotFoundError):  # keep_mode needs the file it replaces
        jsonio.write_atomically(tmp_path / "new.py", "x\n", keep_mode=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]

def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    path.write_text("old")

    def boom(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(jsonio.os, "replace", boom)
    with pytest.raises(OSError, match="disk gone"):
        jsonio.write_atomically(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_the_folder_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError):
        jsonio.write_atomically(tmp_path / "missing" / "r.json", "{}")
    assert list(tmp_path.iterdir()) == []


def test_results_probes_and_trace_write_through_it(tmp_path, monkeypatch):
    written = []
    monkeypatch.setattr(jsonio, "write_atomically", lambda path, text: written.append((str(path), text)))
    results.write_json_atomically(tmp_path / "sub" / "s.json", {"cells": [{"a": 1}], "probes": []})
    runner.write_atomically(str(tmp_path / "p.json"), [{"id": "x", "value": 1}])
    assert written == [
        (str(tmp_path / "sub" / "s.json"), '{\n "cells": [\n  {"a": 1}\n ],\n "probes": []\n}\n'),  # one line per cell
        (str(tmp_path / "p.json"), '[\n {\n  "id": "x",\n  "value": 1\n }\n]\n'),  # indent=1, sorted keys
    ]
    assert (tmp_path / "sub").is_dir()  # results creates the folder; jsonio does not


def test_a_trace_report_is_written_by_it(tmp_path):
    """In the cell's own interpreter: the report gets open()'s mode (the old writer left mkstemp's 0600)."""
    script = tmp_path / "s.py"
    script.write_text("print(0, 1.0)\n")
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); from matrix.running import trace; "
                           "sys.exit(trace.main(sys.argv[1:]))", str(report), str(script)],
                          cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(report.read_text())["finished"] is True
    assert stat.S_IMODE(report.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json", "s.py"]  # no temporary file left


def _calls(tree: ast.AST) -> set:
    """``module.function`` names called in ``tree`` (``os.replace(...)`` -> "os.replace")."""
    out = set()
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if isinstance(node, ast.Call) and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            out.add(f"{func.value.id}.{func.attr}")
    return out


#: Files that write their own, with why.
OWN_WRITERS = {
    # runs alone in a pin's environment (Python 3.7+) and imports no module of ours by design (its docstring)
    "shims/verify/child.py",
}


def test_there_is_one_atomic_writer():
    """Nothing in matrix/ or shims/ renames a temporary file into place but matrix/records/jsonio.py."""
    writers = []
    for path in sorted([*(ROOT / "matrix").rglob("*.py"), *(ROOT / "shims").rglob("*.py")]):
        if "as_published" in path.parts or path.relative_to(ROOT).as_posix() in OWN_WRITERS:
            continue
        if _calls(ast.parse(path.read_text(encoding="utf-8"))) & {"os.replace", "os.rename", "tempfile.mkstemp"}:
            writers.append(path.relative_to(ROOT).as_posix())
    assert writers == ["matrix/records/jsonio.py"]
