"""matrix.running.cell and matrix.running.trace: each outcome of a script in its own process gets the right status.

Every test runs twice: with each cell spawned as a fresh interpreter, and forked from a warm parent
(matrix.launch, matrix.running.warm): the two launches must record the same thing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import python_or_skip
from matrix.running import cell
from matrix import launch

ROOT = Path(__file__).resolve().parent.parent
#: The launcher of the test that is running (None: spawned), set by the fixture below.
LAUNCHER: dict = {"now": None}


@pytest.fixture(autouse=True, params=launch.LAUNCHES)
def launch_way(request):
    """Each test once per launch way: the fork launcher's warm parents live for that test only."""
    launcher = launch.Launcher(request.param) if request.param == "fork" else None
    LAUNCHER["now"] = launcher
    yield request.param
    LAUNCHER["now"] = None
    if launcher is not None:
        assert launcher.fallbacks == [], "a warm parent failed: cells were spawned instead"
        launcher.close()


def fake(tmp_path: Path, body: str, name: str = "fake.py") -> Path:
    """A script taking the variants' flags (ignored) with ``body`` as its work."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(body))
    return script


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent (in a container nobody may reap it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def run(script: Path, **kwargs) -> dict:
    kwargs.setdefault("timeout", 60)
    out = cell.run_cell(sys.executable, "modern", script.stem, script=script, root=ROOT, launcher=LAUNCHER["now"],
                        **kwargs)
    assert out["launch"] == ("fork" if LAUNCHER["now"] else "spawn")
    return out


def test_passing_script_records_the_loss_curve_and_time_per_step(tmp_path):
    script = fake(tmp_path, """
        import time
        for t in range(5):
            time.sleep(0.05)
            print(t, 10.0 / (t + 1))
        print("Result: y = x")
    """)
    out = run(script)
    assert out["status"] == "passed" and out["reason"] is None
    assert out["losses"] == [[t, 10.0 / (t + 1)] for t in range(5)]
    assert out["first_loss"] == 10.0 and out["last_loss"] == 2.0
    assert out["steps"] == 5 and out["returncode"] == 0
    assert out["seconds_per_step"] > 0 and out["wall_seconds"] > 0


def test_seconds_per_step_is_measured_between_loss_lines():
    """Import time and setup (before the first loss line) are left out: (t_last - t_first) / steps between."""
    curve = [(5.0, 0, 9.0), (5.5, 10, 8.0), (7.0, 40, 1.0)]  # (arrival s, step, loss)
    assert cell.seconds_per_step(curve) == (7.0 - 5.0) / 40
    assert cell.seconds_per_step(curve[:1]) is None
    assert cell.seconds_per_step([(1.0, 3, 1.0), (2.0, 3, 1.0)]) is None


def test_script_gets_the_flags_and_its_own_folder_on_sys_path(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 3\n")
    script = fake(tmp_path, """
        import sys
        import helper_mod
        assert __name__ == "__main__"
        assert sys.argv[1:] == ["--log-every", "1", "--seed", "7", "--device", "cpu", "--steps", "2"], sys.argv
        from shims import flags  # the repo root is importable (PYTHONPATH)
        print(0, float(helper_mod.VALUE))
    """)
    out = run(script, seed=7, steps=2)
    assert out["status"] == "passed", out
    assert out["steps"] == 2 and out["seed"] == 7


def test_warnings_are_recorded_once_per_location(tmp_path):
    script = fake(tmp_path, """
        import warnings
        for t in range(3):
            warnings.warn("size_average is deprecated", UserWarning)
            warnings.warn("old thing", DeprecationWarning)  # hidden by Python's default filters
            print(t, 1.0)
    """)
    out = run(script)
    assert out["status"] == "passed_with_warnings"
    categories = [(w["category"], w["message"]) for w in out["warnings"]]
    assert categories == [("UserWarning", "size_average is deprecated"), ("DeprecationWarning", "old thing")]
    assert out["warnings"][0]["lineno"] == 4 and out["warnings"][0]["filename"].endswith("fake.py")
    assert out["reason"] == "UserWarning: size_average is deprecated (+1 more)"


def test_warnings_raised_while_a_module_is_imported_are_kept_apart_and_do_not_make_warnings(tmp_path):
    """A library's own warnings at its import (TensorFlow's, NumPy's) are not the example's news: the
    cell passes, and they are kept with the module whose import raised them."""
    (tmp_path / "noisy_lib").mkdir()
    (tmp_path / "noisy_lib" / "__init__.py").write_text("from noisy_lib import inner\n")
    (tmp_path / "noisy_lib" / "inner.py").write_text(
        "import warnings\nwarnings.warn('np.bool is deprecated', FutureWarning)\n"
        "def call():\n    return 1.0\n")
    script = fake(tmp_path, """
        import noisy_lib
        for t in range(3):
            print(t, noisy_lib.inner.call())
    """)
    out = run(script)
    assert out["status"] == "passed" and out["reason"] is None and out["warnings"] == []
    [seen] = out["import_warnings"]
    assert seen["category"] == "FutureWarning" and seen["message"] == "np.bool is deprecated"
    assert seen["module"] == "noisy_lib" and seen["filename"].endswith("inner.py") and seen["lineno"] == 2


def test_a_warning_from_the_scripts_own_call_into_a_module_still_counts(tmp_path):
    """Only the import is set apart: a library warning when the script calls it is the example's."""
    (tmp_path / "old_api.py").write_text(
        "import warnings\ndef call():\n    warnings.warn('call() is deprecated', UserWarning)\n    return 1.0\n")
    script = fake(tmp_path, """
        import old_api
        print(0, old_api.call())
    """)
    out = run(script)
    assert out["status"] == "passed_with_warnings" and out["import_warnings"] == []
    assert out["reason"] == "UserWarning: call() is deprecated"


@pytest.mark.parametrize("bad", ["nan", "inf", "-inf"])
def test_a_nan_or_inf_loss_is_diverged_never_passed(tmp_path, bad):
    script = fake(tmp_path, f"""
        import warnings
        warnings.warn("also a warning", UserWarning)
        for t in range(6):
            print(t, 1.0 / (t + 1) if t < 3 else float("{bad}"))
    """)
    out = run(script, repeats=1)
    assert out["status"] == "diverged"
    assert out["reason"] == f"loss {float(bad)} at step 3 (first non-finite of 6 steps)"
    assert out["last_loss"] != out["last_loss"] or out["last_loss"] in (float("inf"), float("-inf"))
    assert len(out["warnings"]) == 1  # kept, though the divergence is the news


def test_an_exception_after_a_nan_loss_is_a_failure(tmp_path):
    out = run(fake(tmp_path, "print(0, float('nan'))\nraise ValueError('boom')\n"), repeats=1)
    assert out["status"] == "failed" and out["reason"] == "ValueError: boom"


UNSEEDED = """
    import os, random, time
    random.seed(time.time_ns() ^ os.getpid())  # another draw in every process, whatever --seed says
    print(0, 1.0)
    for t in range(1, 4):
        print(t, random.random())
"""


def test_losses_that_differ_between_two_runs_with_the_same_seed_are_nondeterministic(tmp_path):
    out = run(fake(tmp_path, UNSEEDED))  # two runs by default
    assert out["status"] == "nondeterministic"
    first = out["losses"][1][1]
    assert out["reason"].startswith(f"loss at step 1 differs between runs with the same seed: {first} (run 1), ")
    assert out["reason"].endswith(" (run 2)") and len(out["losses"]) == 4  # run 1's losses, stored once
    assert len(out["repeat_wall_seconds"]) == 1 and out["wall_seconds"] > 0


def test_one_run_makes_no_determinism_check(tmp_path):
    out = run(fake(tmp_path, UNSEEDED), repeats=1)
    assert out["status"] == "passed" and out["repeat_wall_seconds"] == []


def test_a_reproducible_run_is_the_first_runs_record_with_every_wall_time(tmp_path):
    out = run(fake(tmp_path, "for t in range(3):\n    print(t, 1.0 / (t + 1))\n"), repeats=3)
    assert out["status"] == "passed" and out["reason"] is None
    assert len(out["repeat_wall_seconds"]) == 2 and all(w > 0 for w in out["repeat_wall_seconds"])


def test_a_run_that_diverges_the_same_way_twice_is_diverged_not_nondeterministic(tmp_path):
    out = run(fake(tmp_path, "print(0, 1.0)\nprint(1, float('nan'))\n"))
    assert out["status"] == "diverged" and len(out["repeat_wall_seconds"]) == 1


def test_a_second_run_that_ends_otherwise_is_nondeterministic_and_says_how(tmp_path):
    """Differing statuses count, even where the losses printed agree: here run 2 diverges after them."""
    marker = tmp_path / "ran-once"
    script = fake(tmp_path, f"""
        import os
        print(0, 2.0)
        print(1, 1.0)
        if os.path.exists({str(marker)!r}):
            print(2, float("inf"))
        open({str(marker)!r}, "w").close()
    """)
    out = run(script)
    assert out["status"] == "nondeterministic"
    assert out["reason"] == ("run 1 printed 2 loss lines, run 2 3; run 1 passed, run 2 diverged: "
                             "loss inf at step 2 (first non-finite of 3 steps)")
    assert out["losses"] == [[0, 2.0], [1, 1.0]]


def test_runs_differences_name_the_first_step_and_both_values():
    run1 = {"status": "passed", "reason": None, "losses": [[0, 1.0], [1, 0.5], [2, float("nan")]], "wall_seconds": 1.0}
    assert cell.run_difference(run1, dict(run1), 2) is None
    assert cell.run_difference(run1, dict(run1, losses=[[0, 1.0], [1, 0.25], [2, 0.0]]), 3) == (
        "loss at step 1 differs between runs with the same seed: 0.5 (run 1), 0.25 (run 3)")
    failed = dict(run1, status="failed", reason="IndexError: x")
    assert cell.run_difference(run1, failed, 2) == "run 1 passed, run 2 failed: IndexError: x"
    assert cell.compare_runs([run1, dict(run1), failed])["reason"] == "run 1 passed, run 3 failed: IndexError: x"


def test_a_cell_not_run_or_killed_at_the_timeout_is_not_run_again(tmp_path):
    counter = tmp_path / "runs"
    script = fake(tmp_path, f"""
        import sys
        open({str(counter)!r}, "a").write("x")
        sys.exit(69)
    """)
    assert run(script)["status"] == "not_run" and counter.read_text() == "x"


@pytest.mark.parametrize("version", ["3.7", "3.9"])
def test_import_warnings_are_told_apart_on_the_oldest_pythons_cells_run_in(tmp_path, version):
    """The import machinery's frames, which tell an import's warnings apart, look the same there."""
    python = python_or_skip(version)
    (tmp_path / "noisy_lib.py").write_text("import warnings\nwarnings.warn('at import', FutureWarning)\n")
    script = fake(tmp_path, """
        import warnings
        import noisy_lib
        warnings.warn("the script's own", UserWarning)
        print(0, 1.0)
    """)
    launcher = launch.Launcher("fork") if LAUNCHER["now"] else None  # a warm parent of that Python
    try:
        out = cell.run_cell(python, "modern", "fake", script=script, root=ROOT, timeout=60, repeats=1,
                            launcher=launcher)
    finally:
        if launcher:
            launcher.close()
    assert out["status"] == "passed_with_warnings", out
    assert [w["message"] for w in out["warnings"]] == ["the script's own"]
    assert [(w["message"], w["module"]) for w in out["import_warnings"]] == [("at import", "noisy_lib")]


def test_exception_is_recorded_with_type_and_message(tmp_path):
    script = fake(tmp_path, """
        print(0, 5.0)
        x = [1][3]
    """)
    out = run(script)
    assert out["status"] == "failed"
    assert out["error"] == {"type": "IndexError", "message": "list index out of range"}
    assert out["reason"] == "IndexError: list index out of range"
    assert out["returncode"] == 1 and out["losses"] == [[0, 5.0]]
    assert "Traceback" in out["stderr_tail"]


def test_import_error_is_a_failure_naming_the_module(tmp_path):
    out = run(fake(tmp_path, "import no_such_module_anywhere\n"))
    assert out["status"] == "failed"
    assert out["error"]["type"] == "ModuleNotFoundError"
    assert "no_such_module_anywhere" in out["reason"]


def test_segfault_is_a_crash_with_the_signal_name(tmp_path):
    script = fake(tmp_path, """
        import os, signal
        print(0, 1.0, flush=True)
        os.kill(os.getpid(), signal.SIGSEGV)
    """)
    out = run(script)
    assert out["status"] == "crashed"
    assert out["signal"] == "SIGSEGV" and out["returncode"] == -11
    assert out["reason"] == "killed by SIGSEGV after step 0"
    assert out["error"] is None


def test_hang_past_the_timeout_is_killed_and_recorded(tmp_path):
    pidfile = tmp_path / "child.pid"
    script = fake(tmp_path, f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        open({str(pidfile)!r}, "w").write(str(child.pid))
        print(0, 1.0)
        time.sleep(600)
    """)
    out = run(script, timeout=2)
    assert out["status"] == "crashed"
    assert out["signal"] == "SIGKILL"
    assert "timeout" in out["reason"] and "after step 0" in out["reason"]
    # the whole process group went, the script's own children included
    child = int(pidfile.read_text())
    for _ in range(50):
        if not _alive(child):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the script's child {child} outlived the timeout kill")


def test_nonzero_exit_without_exception(tmp_path):
    out = run(fake(tmp_path, "import sys\nprint(0, 1.0)\nsys.exit(3)\n"))
    assert out["status"] == "failed" and out["returncode"] == 3
    assert out["reason"].startswith("exit status 3")


def test_exit_69_is_not_run_with_the_scripts_reason(tmp_path):
    script = fake(tmp_path, """
        import sys
        sys.stderr.write("fake.py: error: --device cuda: torch 9.9 sees no CUDA device\\n")
        sys.exit(69)
    """)
    out = run(script, device="cuda")
    assert out["status"] == "not_run"
    assert out["reason"] == "fake.py: error: --device cuda: torch 9.9 sees no CUDA device"


def test_clean_exit_without_any_loss_line_is_a_failure(tmp_path):
    out = run(fake(tmp_path, "print('hello')\n"))
    assert out["status"] == "failed" and "no `step loss` line" in out["reason"]


def test_crash_at_interpreter_exit_after_the_script_finished(tmp_path):
    script = fake(tmp_path, """
        import atexit, os, signal
        atexit.register(lambda: os.kill(os.getpid(), signal.SIGABRT))
        print(0, 1.0)
    """)
    out = run(script)
    assert out["status"] == "crashed" and out["signal"] == "SIGABRT"
    assert "after the script finished" in out["reason"]


@pytest.mark.parametrize("lines, expected", [
    ([(0.0, "0 1.5"), (1.0, "noise"), (3.0, "10 0.5")], 0.3),
    ([(0.0, "0 1.5")], None),
    ([], None),
])
def test_seconds_per_step(lines, expected):
    got = cell.seconds_per_step(cell.parse_losses(lines))
    assert got == pytest.approx(expected) if expected else got is None


def test_loss_lines_accept_numpy_scalars_and_skip_other_output():
    lines = [(0, "0 1.0"), (0, "Result: y = 1 + 2 x"), (0, "1 tensor(2.)"), (0, "2 nan"), (0, "  3 4e-05  ")]
    assert [(s, l) for _, s, l in cell.parse_losses(lines)][::2] == [(0, 1.0), (3, 4e-05)]


def test_cells_get_one_compute_thread_unless_the_caller_sets_it(tmp_path):
    script = fake(tmp_path, "import os\nprint(0, float(os.environ['OMP_NUM_THREADS']))\n")
    assert run(script)["losses"] == [[0, 1.0]]
    env = dict(__import__("os").environ, OMP_NUM_THREADS="3")
    assert run(script, env=env)["losses"] == [[0, 3.0]]


#: The code that runs inside a matrix cell's interpreter (Python 3.7+ there: no newer syntax; the standard
#: library, torch, numpy, tensorflow and this project's in-cell modules only).
IN_CELL = ["matrix/running/__init__.py", "matrix/running/trace.py", "matrix/running/warm.py",
           "matrix/records/__init__.py", "matrix/records/jsonio.py",
           *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "matrix" / "probes").glob("*.py"))]
THIRD_PARTY = {"torch", "numpy", "tensorflow", "functorch"}
IN_CELL_MODULES = {"matrix", "matrix.running", "matrix.running.trace", "matrix.records", "matrix.records.jsonio",
                   "matrix.probes", "matrix.probes.runner", "matrix.probes.autograd", "matrix.probes.api",
                   "matrix.probes.numerics", "matrix.probes.ecosystem"}
#: ``from PACKAGE import name`` imports PACKAGE.name where that is a module of PACKAGE.
IN_CELL_PACKAGES = {"matrix", "matrix.running", "matrix.records"}


@pytest.mark.parametrize("path", IN_CELL)
def test_code_run_inside_a_cell_is_python_37_and_imports_only_what_cells_have(path):
    import ast

    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), feature_version=(3, 7))
    type_checking = [n for n in ast.walk(tree)
                     if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    skipped = {id(n) for block in type_checking for n in ast.walk(block)}  # annotations only, never imported
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ([node.module] if node.module not in IN_CELL_PACKAGES
                     else [f"{node.module}.{a.name}" for a in node.names])
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            ok = top in sys.stdlib_module_names or top in THIRD_PARTY or name in IN_CELL_MODULES
            assert ok, f"{path} imports {name}, which a cell's interpreter may not have"


def test_the_probes_run_on_python_37_without_torch(tmp_path):
    """The torch 1.0.1 and 1.4.0 pins run on Python 3.7: the probe runner must import and run there.
    Python 3.7 from pyenv has no torch, so every probe that needs one is recorded as not run, with the
    reason, instead of the process failing."""
    python = python_or_skip("3.7")
    out = tmp_path / "probes.json"
    done = subprocess.run([python, "-m", "matrix.probes", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    records = json.loads(out.read_text())
    assert {r["id"] for r in records} >= {"legacy_autograd_function", "tf1_assign_race", "removed_linalg"}
    assert all(r["outcome"] == "not_run" for r in records if r["id"] != "_import"), records
    assert any("torch" in (r.get("detail") or "") for r in records)
