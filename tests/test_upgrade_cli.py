"""python -m shims upgrade on the command line: the diff, --write, --check, the report, exit statuses
(0 ok, 1 would change under --check, 2 bad input, 3 not written), bad input (a syntax error, a file that
is not text in its encoding, no torch import, a path that is not there), and shims/ without LibCST.
--write's failures (a read-only file, a folder that cannot be written, a full disk) are reported per file
and the rest is done; where the tests run as root (who may write anything) the folder's refusal is
injected, as the full disk always is; a Latin-1 script with its coding cookie goes both ways."""
from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT

pytest.importorskip("libcst")

FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
OLD = (FIXTURES / "legacy-autograd-function" / "relu.in.py").read_text()
NEW = (FIXTURES / "legacy-autograd-function" / "relu.out.py").read_text()
# the 2017 tutorial's typo: a `for` without its colon
SYNTAX_ERROR = "import torch\nfrom torch.autograd import Variable\nx = Variable(torch.ones(2))\nfor t in range(500)\n    print(t)\n"


def shims(*args, cwd, env_extra=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "shims", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_default_prints_a_diff_and_changes_nothing(tmp_path):
    script = tmp_path / "relu.py"
    script.write_text(OLD)
    proc = shims("upgrade", "relu.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- relu.py\n+++ relu.py\n@@")
    assert "-    def forward(self, input):" in proc.stdout and "+    def forward(ctx, input):" in proc.stdout
    assert script.read_text() == OLD
    # the diff applies: patch gives the fixture's .out.py
    patched = subprocess.run(["patch", "-p0", "-o", "-", "relu.py"], input=proc.stdout, cwd=tmp_path,
                             capture_output=True, text=True)
    if patched.returncode == 0:
        assert patched.stdout == NEW


def test_the_report_names_line_entry_and_what_was_left(tmp_path):
    (tmp_path / "relu.py").write_text(OLD)
    gan = (FIXTURES / "optimizer-step-between-backwards" / "gan.in.py").read_text()
    (tmp_path / "gan.py").write_text(gan)
    proc = shims("upgrade", "relu.py", "gan.py", cwd=tmp_path)
    err = proc.stderr
    assert "relu.py:5: changed [legacy-autograd-function] class MyReLU" in err
    assert "relu.py:22: changed [legacy-autograd-function] MyReLU() -> MyReLU.apply" in err
    assert "gan.py:11: FIX BY HAND [optimizer-step-between-backwards]" in err
    assert "read: docs/migration.md#optimizer-step-between-backwards" in err
    assert "gan.py: 0 change(s); 1 place(s) still need you (optimizer-step-between-backwards): the script may still fail" in err
    assert "not checked in the text (known only when the script runs): target-size-broadcast" in err
    assert "0 issues" not in err and proc.returncode == 0


def test_write_replaces_atomically_and_check_then_passes(tmp_path):
    script = tmp_path / "relu.py"
    script.write_text(OLD)
    os.chmod(script, 0o640)
    proc = shims("upgrade", "--write", "relu.py", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert script.read_text() == NEW
    assert oct(script.stat().st_mode & 0o777) == oct(0o640)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["relu.py"], "a temporary file was left"
    assert shims("upgrade", "--check", "relu.py", cwd=tmp_path).returncode == 0


def test_check_exits_1_when_something_would_change_and_writes_nothing(tmp_path):
    (tmp_path / "relu.py").write_text(OLD)
    proc = shims("upgrade", "--check", "relu.py", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert (tmp_path / "relu.py").read_text() == OLD


def test_a_syntax_error_names_file_and_line_and_outputs_nothing(tmp_path):
    (tmp_path / "old.py").write_text(SYNTAX_ERROR)
    for args in (["upgrade", "old.py"], ["upgrade", "--write", "old.py"], ["run", "old.py"]):
        proc = shims(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert proc.stdout == ""
        assert "old.py:4: syntax error: expected ':'" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr
    assert (tmp_path / "old.py").read_text() == SYNTAX_ERROR


def test_a_folder_is_walked_and_binary_or_non_utf8_files_are_skipped(tmp_path):
    pkg = tmp_path / "project"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "sub" / "relu.py").write_text(OLD)
    (pkg / "plain.py").write_text("import os\nprint(os.sep)\n")
    (pkg / "latin1.py").write_bytes("# caf\xe9\nimport torch\n".encode("latin-1"))
    (pkg / "blob.py").write_bytes(b"\x00\x01\x02")
    (pkg / "notes.txt").write_text("x = Variable(y)\n")
    proc = shims("upgrade", "project", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "--- project/sub/relu.py" in proc.stdout and "notes.txt" not in proc.stdout + proc.stderr
    assert "project/plain.py: left alone: no torch or tensorflow import" in proc.stderr
    assert "project/latin1.py: skipped: not UTF-8 text" in proc.stderr
    assert "project/blob.py: skipped: binary file" in proc.stderr
    # named explicitly, a file that is not text is bad input
    assert shims("upgrade", "project/latin1.py", cwd=tmp_path).returncode == 2


def test_a_missing_path_is_bad_input(tmp_path):
    proc = shims("upgrade", "nowhere.py", cwd=tmp_path)
    assert proc.returncode == 2 and "nowhere.py: no such file or folder" in proc.stderr


BLOCK_LIBCST = "import sys; sys.modules['libcst'] = None; sys.path.insert(0, {root!r}); "


def test_without_libcst_the_commands_say_so_and_shims_still_imports(tmp_path):
    code = BLOCK_LIBCST.format(root=str(ROOT)) + "from shims.__main__ import main; sys.exit(main(['upgrade', 'x.py']))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "python -m shims upgrade needs LibCST: pip install libcst"
    code = BLOCK_LIBCST.format(root=str(ROOT)) + "import shims, shims.flags, shims.torch_legacy, shims.tf1; print('ok')"
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_usage(tmp_path):
    assert shims(cwd=tmp_path).returncode == 2
    proc = shims("frobnicate", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown command" in proc.stderr


def test_the_diff_of_a_file_without_a_final_newline_applies(tmp_path):
    script = tmp_path / "nonl.py"
    script.write_text("import torch\nprint(torch.ones(1).sum().data[0])")
    proc = shims("upgrade", "nonl.py", cwd=tmp_path)
    assert proc.stdout.count("\\ No newline at end of file\n") == 2
    patched = subprocess.run(["patch", "-p0", "-o", "-", "nonl.py"], input=proc.stdout, cwd=tmp_path,
                             capture_output=True, text=True)
    if patched.returncode == 0:  # where patch is installed
        assert patched.stdout == "import torch\nprint(torch.ones(1).sum().item())"


def _no_temporary_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_write_leaves_a_read_only_file_alone_unless_force(tmp_path):
    """A 444 file in a writable folder was replaced through the rename without a word."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("a.py", "b.py"):
        (project / name).write_text(OLD)
    os.chmod(project / "a.py", 0o444)
    proc = shims("upgrade", "--write", "project", cwd=tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "project/a.py: not written: read-only: left alone; --force to write it anyway (file unchanged: " \
           "5 change(s) not made)" in proc.stderr
    assert "project/a.py:5: changed" not in proc.stderr and "project/a.py:5: not changed [" in proc.stderr
    assert (project / "a.py").read_text() == OLD and (project / "b.py").read_text() == NEW  # the rest done
    assert "project/b.py: 5 change(s)" in proc.stderr
    proc = shims("upgrade", "--write", "--force", "project/a.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (project / "a.py").read_text() == NEW
    assert oct((project / "a.py").stat().st_mode & 0o777) == oct(0o444)
    assert _no_temporary_files(project) == []
    # --force says what it is for where it does nothing
    proc = shims("upgrade", "--force", "project/b.py", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--force goes with --write" in proc.stderr


def _upgrade(argv, monkeypatch, capsys, cwd):
    from shims.upgrade import cli

    monkeypatch.chdir(cwd)
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_write_into_a_folder_that_cannot_be_written_reports_it_and_does_the_rest(tmp_path, monkeypatch, capsys):
    locked, free = tmp_path / "locked", tmp_path / "free"
    for folder in (locked, free):
        folder.mkdir()
        (folder / "relu.py").write_text(OLD)
    if os.geteuid() == 0:  # root writes into a 555 folder: the refusal is injected where it happens
        real = tempfile.mkstemp

        def mkstemp(*args, dir=None, **kwargs):
            if os.path.samefile(dir, locked):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.path.join(dir, ".tmp-x.json"))
            return real(*args, dir=dir, **kwargs)
        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    os.chmod(locked, 0o555)
    try:
        status, out, err = _upgrade(["--write", "locked", "free"], monkeypatch, capsys, tmp_path)
    finally:
        os.chmod(locked, 0o755)
    assert status == 3, err
    assert f"locked/relu.py: not written: Permission denied: {locked}" in err
    assert "Traceback" not in err and "locked/relu.py: 5 change(s)" not in err
    assert (locked / "relu.py").read_text() == OLD
    assert (free / "relu.py").read_text() == NEW and "free/relu.py: 5 change(s)" in err
    assert _no_temporary_files(locked) == _no_temporary_files(free) == []


def test_a_full_disk_leaves_the_original_whole_and_no_temporary_file(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    project.mkdir()
    for name in ("a.py", "b.py"):
        (project / name).write_text(OLD)
    real, calls = os.fsync, []

    def fsync(fd):  # the disk is full when the first file's new text is flushed to it
        calls.append(fd)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    status, out, err = _upgrade(["--write", "project"], monkeypatch, capsys, tmp_path)
    assert status == 3, err
    assert f"project/a.py: not written: {os.strerror(errno.ENOSPC)}: project/a.py (file unchanged" in err
    assert (project / "a.py").read_text() == OLD and (project / "b.py").read_text() == NEW
    assert _no_temporary_files(project) == []
    # the JSON report claims no change for the file that was not written
    (project / "b.py").write_text(OLD)
    calls.clear()
    status, out, err = _upgrade(["--write", "--format", "json", "project"], monkeypatch, capsys, tmp_path)
    assert status == 3
    report = {f["path"]: f for f in json.loads(out)["files"]}
    assert report["project/a.py"]["changed"] is False
    assert report["project/a.py"]["error"] == f"not written: {os.strerror(errno.ENOSPC)}: project/a.py"
    assert report["project/b.py"]["changed"] is True and report["project/b.py"]["error"] is None


LATIN1 = "# -*- coding: latin-1 -*-\n# r\xe9seau de neurones\nimport torch\nprint(torch.ones(1).sum().data[0])\n"


def test_a_latin1_script_with_its_coding_cookie_is_upgraded_in_latin1(tmp_path):
    script = tmp_path / "reseau.py"
    script.write_bytes(LATIN1.encode("latin-1"))
    new = LATIN1.replace(".data[0]", ".item()").encode("latin-1")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    diff = subprocess.run([sys.executable, "-m", "shims", "upgrade", "reseau.py"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)
    assert diff.returncode == 0, diff.stderr
    assert b" # r\xe9seau de neurones\n" in diff.stdout, "the diff is in the file's encoding"
    assert b"+print(torch.ones(1).sum().item())\n" in diff.stdout
    patched = subprocess.run(["patch", "-p0", "-o", "-", "reseau.py"], input=diff.stdout, cwd=tmp_path,
                             capture_output=True) if shutil.which("patch") else None
    if patched is not None:
        assert patched.returncode == 0 and patched.stdout == new
    proc = shims("upgrade", "--write", "reseau.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert script.read_bytes() == new  # the \xe9 byte kept
    # run reads it as python does
    (tmp_path / "hello.py").write_bytes("# -*- coding: latin-1 -*-\nprint('caf\xe9')\n".encode("latin-1"))
    proc = shims("run", "hello.py", cwd=tmp_path, env_extra={"PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0 and proc.stdout == "caf\xe9\n", proc.stderr


def test_a_file_that_cannot_be_read_is_one_line(tmp_path, monkeypatch, capsys):
    """A file the user may not read gave a traceback; now: skipped in a folder, bad input when named."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "secret.py").write_text(OLD)
    (project / "relu.py").write_text(OLD)
    os.chmod(project / "secret.py", 0o000)
    if os.geteuid() == 0:  # root reads a 000 file: the refusal is injected
        real = type(project).read_bytes

        def read_bytes(self):
            if self.name == "secret.py":
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
            return real(self)
        monkeypatch.setattr(type(project), "read_bytes", read_bytes)
    status, out, err = _upgrade(["--write", "project"], monkeypatch, capsys, tmp_path)
    assert status == 0, err
    assert f"project/secret.py: skipped: cannot be read: {os.strerror(errno.EACCES)}" in err
    assert (project / "relu.py").read_text() == NEW and "Traceback" not in err
    status, out, err = _upgrade(["project/secret.py"], monkeypatch, capsys, tmp_path)
    assert status == 2 and "project/secret.py: skipped: cannot be read" in err


# ------------------------------------------------------ a folder on every CPU (shims/upgrade/parallel.py)
def _repository(root: Path) -> None:
    """A small repository of every kind of file the command meets: old idioms, nothing to do, no torch,
    a syntax error, a notebook, a file that is not text."""
    for i, path in enumerate(sorted(FIXTURES.glob("*/*.in.py"))):
        (root / "pkg" / f"m{i:02d}.py").parent.mkdir(parents=True, exist_ok=True)
        (root / "pkg" / f"m{i:02d}.py").write_text(path.read_text())
    (root / "clean.py").write_text("import torch\nprint(torch.ones(1).item())\n")
    (root / "plain.py").write_text("print(1)\n")
    (root / "broken.py").write_text(SYNTAX_ERROR)
    (root / "binary.py").write_bytes(b"\x00\x01")
    shutil.copy(ROOT / "tests" / "fixtures" / "upgrade_notebooks" / "train.ipynb", root / "train.ipynb")


@pytest.mark.parametrize("mode", [[], ["--format", "json"], ["--check"]])
def test_a_folder_gives_the_same_report_in_any_number_of_processes(tmp_path, mode):
    _repository(tmp_path)
    one = shims("upgrade", "--jobs", "1", *mode, ".", cwd=tmp_path)
    two = shims("upgrade", "--jobs", "2", *mode, ".", cwd=tmp_path)
    assert one.returncode == two.returncode == 2  # the syntax error
    assert one.stdout == two.stdout and one.stderr == two.stderr
    assert "broken.py:4: syntax error" in one.stderr and "binary.py: skipped" in one.stderr


def test_a_folder_is_written_alike_in_any_number_of_processes(tmp_path):
    for jobs in ("1", "2"):
        _repository(tmp_path / jobs)
        assert shims("upgrade", "--write", "--jobs", jobs, ".", cwd=tmp_path / jobs).returncode == 2
    ones = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*") if p.is_file())
    assert ones == sorted(p.relative_to(tmp_path / "2") for p in (tmp_path / "2").rglob("*") if p.is_file())
    assert all((tmp_path / "1" / p).read_bytes() == (tmp_path / "2" / p).read_bytes() for p in ones)
    first = sorted(FIXTURES.glob("*/*.in.py"))[0]
    assert (tmp_path / "1" / "pkg" / "m00.py").read_text() == first.with_name(first.name.replace(".in.", ".out.")).read_text()


def test_jobs_must_be_a_number_of_processes(tmp_path):
    proc = shims("upgrade", "--jobs", "0", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "'0' is not a number of processes" in proc.stderr


def test_the_progress_line_is_drawn_only_on_a_terminal_and_cleared_before_report_lines():
    import io
    import time

    from shims.upgrade import progress as progress_mod

    quiet = io.StringIO()
    with progress_mod.Progress(1000, stream=quiet) as p:  # not a terminal: nothing
        p.finished(10)
        p.say("report line")
    assert quiet.getvalue() == "report line\n"

    drawn = io.StringIO()
    old = progress_mod.REDRAW_SECONDS
    progress_mod.REDRAW_SECONDS = 0.01
    try:
        with progress_mod.Progress(1000, stream=drawn, force=True) as p:
            p.started("big.py", 50_000)
            for _ in range(200):  # until the thread has drawn once
                if p.shown:
                    break
                time.sleep(0.01)
            p.say("big.py: 3 change(s)")
            p.finished(50_000)
    finally:
        progress_mod.REDRAW_SECONDS = old
    text = drawn.getvalue()
    assert "upgrading: 0/1000 files, 0 lines" in text and "(now big.py: 50,000 lines)" in text
    assert "\r\033[Kbig.py: 3 change(s)\n" in text
    assert text.rsplit("\n", 1)[-1] in ("", "\r\033[K")  # no progress line left on the screen at the end
