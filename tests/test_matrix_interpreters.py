"""matrix.running.interpreters: a candidate counts only if it runs and reports the wanted version."""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from matrix.running import interpreters

HERE = "%d.%d" % sys.version_info[:2]
FULL = "%d.%d.%d" % sys.version_info[:3]


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _pyenv_shim(folder: Path, version: str) -> Path:
    """What pyenv puts on PATH: a name that exits 127 unless that version is selected."""
    return _script(folder / f"python{version}",
                   f'echo "pyenv: python{version}: command not found" >&2\n'
                   f'echo "The \\`python{version}\' command exists in these Python versions:" >&2\nexit 127')


def _env(tmp_path: Path, path_dirs=()) -> dict:
    return {"PATH": os.pathsep.join(str(d) for d in path_dirs), "HOME": str(tmp_path / "home"),
            "PYENV_ROOT": str(tmp_path / "pyenv"), "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv")}


def test_a_shim_that_exits_127_is_not_an_interpreter(tmp_path, monkeypatch):
    monkeypatch.setattr(interpreters, "SYSTEM_FOLDERS", ())
    shim = _pyenv_shim(tmp_path / "shims", "3.99")
    search = interpreters.find_python("3.99", _env(tmp_path, [tmp_path / "shims"]))
    assert search.found is None
    assert [(t.path, t.ok) for t in search.tried] == [(str(shim), False)]
    assert search.tried[0].detail.startswith("exit 127: pyenv: python3.99: command not found")
    remedy = search.remedy("torch 9 needs it")
    assert remedy.startswith("Python 3.99 not found (torch 9 needs it). Tried: ")
    assert "exit 127" in remedy and "`uv python install 3.99`" in remedy and "apt install python3.99" in remedy


def test_a_working_interpreter_in_a_pyenv_versions_folder_is_found_behind_a_failing_shim(tmp_path, monkeypatch):
    monkeypatch.setattr(interpreters, "SYSTEM_FOLDERS", ())
    _pyenv_shim(tmp_path / "shims", HERE)
    real = tmp_path / "pyenv" / "versions" / FULL / "bin" / f"python{HERE}"
    real.parent.mkdir(parents=True)
    real.symlink_to(sys.executable)
    search = interpreters.find_python(HERE, _env(tmp_path, [tmp_path / "shims"]))
    assert search.found and os.path.samefile(search.found, sys.executable)
    assert search.full_version == FULL
    assert [t.source for t in search.tried] == ["PATH", "pyenv"] and search.tried[-1].ok


def test_uv_managed_interpreters_are_found(tmp_path, monkeypatch):
    monkeypatch.setattr(interpreters, "SYSTEM_FOLDERS", ())
    real = tmp_path / "uv" / f"cpython-{FULL}-linux-x86_64-gnu" / "bin" / f"python{HERE}"
    real.parent.mkdir(parents=True)
    real.symlink_to(sys.executable)
    search = interpreters.find_python(HERE, _env(tmp_path))
    assert search.found and search.tried[-1].source == "uv"


def test_a_name_that_runs_another_version_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(interpreters, "SYSTEM_FOLDERS", ())
    liar = tmp_path / "bin" / "python3.98"
    liar.parent.mkdir()
    liar.symlink_to(sys.executable)
    search = interpreters.find_python("3.98", _env(tmp_path, [tmp_path / "bin"]))
    assert search.found is None and search.tried[0].detail == f"is Python {FULL}"


def test_every_path_entry_is_tried_in_order_and_the_first_that_runs_wins(tmp_path, monkeypatch):
    monkeypatch.setattr(interpreters, "SYSTEM_FOLDERS", ())
    _pyenv_shim(tmp_path / "a", HERE)
    good = tmp_path / "b" / f"python{HERE}"
    good.parent.mkdir()
    good.symlink_to(sys.executable)
    search = interpreters.find_python(HERE, _env(tmp_path, [tmp_path / "a", tmp_path / "b"]))
    assert search.found and [t.ok for t in search.tried] == [False, True]


def test_newest_patch_release_first():
    paths = ["/p/versions/3.9.2/bin/python3.9", "/p/versions/3.9.18/bin/python3.9"]
    assert sorted(paths, key=interpreters._patch_key)[0].endswith("3.9.18/bin/python3.9")
