"""Nothing left behind: a killed session's temporary folders go at the next run (matrix.running.scratch), and
the README's commands write only where git ignores."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from matrix import ROOT
from matrix.running import scratch

#: A session killed by kill -9 while a cell runs: the cell's child outlives it by a moment, then ends.
KILLED_WHILE_A_CELL_RUNS = textwrap.dedent('''
    import sys
    from matrix.running import cell
    cell.run_cell(sys.executable, "modern", "waits", script=sys.argv[1], timeout=60, repeats=1)
''')
WAITS = textwrap.dedent('''
    import os, sys, time
    parent = os.getppid()
    print("0 1.0", flush=True)
    while os.getppid() == parent:   # ends once the session that ran it is gone
        time.sleep(0.05)
''')


def _wait_for(predicate, what: str):
    for _ in range(1200):  # a bound, not a measurement: the machine may be slow
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"never happened: {what}")


def test_a_session_killed_while_a_cell_runs_leaves_a_folder_that_the_next_sweep_removes(tmp_path):
    """kill -9 leaves the cell's matrix-cell-* folder (no `with` block ends); the next session removes it."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp_path / "waits.py").write_text(WAITS)
    (tmp_path / "session.py").write_text(KILLED_WHILE_A_CELL_RUNS)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmp))
    session = subprocess.Popen([sys.executable, str(tmp_path / "session.py"), str(tmp_path / "waits.py")], cwd=ROOT,
                               env=env)
    try:
        _wait_for(lambda: any(p.name.startswith("matrix-cell-") for p in tmp.iterdir()), "a cell's folder")
    finally:
        session.send_signal(signal.SIGKILL)
        session.wait()
    left = [p for p in tmp.iterdir() if p.name.startswith("matrix-cell-")]
    assert len(left) == 1  # what kill -9 leaves
    with scratch.folder("matrix-cell-", dir=tmp) as alive:  # a live session's folder, held by this process
        assert scratch.sweep(tmp) == left
        assert os.path.isdir(alive)
    assert list(tmp.iterdir()) == []


def test_a_folder_in_use_by_another_process_is_never_swept(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f'''
        import sys, time
        from matrix.running import scratch
        with scratch.folder("matrix-probes-", dir={str(tmp_path)!r}) as path:
            print(path, flush=True)
            sys.stdin.read()
    ''')], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    path = holder.stdout.readline().strip()
    assert scratch.sweep(tmp_path) == [] and os.path.isdir(path)
    holder.communicate("")
    assert not os.path.exists(path)  # its own block removed it


def test_the_readmes_trace_command_writes_under_runs_and_makes_the_folder(tmp_path):
    """`python -m matrix.running.trace report.json ...` left report.json untracked in a fresh clone."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (report,) = re.findall(r"^python -m matrix\.running\.trace (\S+) ", readme, flags=re.M)
    assert report.startswith("runs/")  # ignored by git (.gitignore: /runs/)
    assert "/runs/" in (ROOT / ".gitignore").read_text().splitlines()
    script = tmp_path / "s.py"
    script.write_text("print('0 1.0')\n")
    out = tmp_path / "runs" / "trace.json"  # runs/ does not exist yet, as in a fresh clone
    done = subprocess.run([sys.executable, "-m", "matrix.running.trace", str(out), str(script)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert out.is_file()
