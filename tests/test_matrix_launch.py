"""matrix.launch and matrix.running.warm: a cell forked from a warm parent records what a spawned one does.

The outcomes of every kind of script (passed, warned, failed, crashed, hung, ...) are checked under
both launches in tests/test_matrix_cell.py; here: what the warm parent imports ahead, the real
variants' losses bit for bit, the interpreter state a forked child starts from, and the fallback.
"""
from __future__ import annotations

import json
import os
import sys
import textwrap
from pathlib import Path

import pytest

from matrix.running import cell, options, warm
from matrix import launch

ROOT = Path(__file__).resolve().parent.parent


def script(tmp_path: Path, body: str, name: str = "s.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.mark.parametrize("body, expected", [
    ("import torch\nimport numpy as np\n", ("torch", "numpy")),
    ("import numpy as np\nfrom torch import nn\n", ("numpy", "torch")),
    ("import tensorflow.compat.v1 as tf\n", ("tensorflow",)),
    ("from shims.tf1 import graph_mode\nimport numpy as np\n", ("tensorflow", "numpy")),
    ("from shims.torch_legacy import item0\n", ("torch",)),
    ("import torch\nopt = torch.optim.SGD\n", ("torch", "torch._dynamo?")),
    ("import numpy\noptim = 1\n", ("numpy",)),  # the lazy import only where its library is imported
    ("def f():\n    import torch\n", ()),  # imported when called, if ever: not ahead
    ("try:\n    import torch\nexcept ImportError:\n    pass\n", ("torch",)),
    ("import os, json\n", ()),
    ("this is not python\n", ()),
])
def test_the_warm_parent_imports_ahead_what_the_script_imports_at_module_level(tmp_path, body, expected):
    assert launch.preload_of(script(tmp_path, body)) == expected


def test_the_shims_said_to_import_a_library_do_import_it():
    for module, libraries in launch.SHIM_LIBRARIES.items():
        relative = Path(*module.split(".")).with_suffix(".py")
        for folder in (ROOT, ROOT / "matrix" / "as_published"):
            text = (folder / relative).read_text(encoding="utf-8")
            for library in libraries:
                assert f"import {library}" in text, f"{folder / relative} no longer imports {library}"


def test_imports_ahead_keep_their_warnings_for_the_cells_report(tmp_path, monkeypatch):
    (tmp_path / "noisy_at_import.py").write_text("import warnings\nwarnings.warn('at import', FutureWarning)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    shown, error = warm.preload(["noisy_at_import", "no_such_optional_module?"])
    assert error is None
    assert [(w["category"], w["message"], w["module"]) for w in shown] == [("FutureWarning", "at import",
                                                                          "noisy_at_import")]
    shown, error = warm.preload(["no_such_required_module"])
    assert error.startswith("ModuleNotFoundError") and shown == []
    report = tmp_path / "report.json"
    run_me = script(tmp_path, "print(0, 1.0)\n", name="tiny.py")
    assert __import__("matrix.running.trace").running.trace.main([str(report), str(run_me)], import_warnings=[
        {"category": "FutureWarning", "message": "at import", "filename": "x.py", "lineno": 2, "module": "noisy"}]) == 0
    recorded = json.loads(report.read_text())
    assert recorded["import_warnings"][0]["module"] == "noisy" and recorded["warnings"] == []


@pytest.mark.parametrize("era, example, mode", [
    ("tensor_autograd", "nn", "variant"),
    ("legacy", "optim", "variant"),  # torch._dynamo imported ahead (torch 2.x)
    ("legacy", "autograd", "as_published"),  # matrix/as_published first on sys.path
    ("modern", "custom_function", "variant"),
])
def test_a_forked_cell_prints_the_spawned_cells_losses_bit_for_bit(era, example, mode):
    kwargs = dict(steps=30, repeats=1, mode=mode, timeout=300)
    spawned = cell.run_cell(sys.executable, era, example, **kwargs)
    with launch.Launcher("fork") as launcher:
        forked = cell.run_cell(sys.executable, era, example, launcher=launcher, **kwargs)
        assert launcher.fallbacks == []
    assert (spawned["launch"], forked["launch"]) == ("spawn", "fork")
    same = ("status", "reason", "losses", "warnings", "import_warnings", "error", "returncode")
    assert {k: forked[k] for k in same} == {k: spawned[k] for k in same}
    assert spawned["losses"] or spawned["status"] == "failed"


def test_a_forked_child_starts_from_the_interpreter_state_a_spawned_one_has(tmp_path):
    """sys.path (the script's folder, then PYTHONPATH: matrix/as_published first for an "as published"
    cell), the working folder, the environment, stdin, the warnings filters, ``__name__``."""
    body = """
        import json, os, sys, warnings
        print(json.dumps({"path": [p for p in sys.path if "site-packages" not in p],
                          "cwd": os.getcwd(), "env": os.environ.get("CELL_MARK"), "stdin": sys.stdin.read(),
                          "filters": [f[0] for f in warnings.filters][:3], "main": __name__}))
    """
    probe = script(tmp_path, body)
    seen = {}
    for way in launch.LAUNCHES:
        with launch.Launcher(way) as launcher:
            for mode, first in (("variant", []), ("as_published", [cell.AS_PUBLISHED])):
                env = cell.child_env(dict(os.environ, CELL_MARK=mode), *first, ROOT)
                env["PYTHONUNBUFFERED"] = "1"
                raw = launcher.run(sys.executable, [str(tmp_path / f"r-{way}-{mode}.json"), str(probe)], timeout=60,
                                   cwd=ROOT, env=env, script=probe)
                assert raw["launch"] == way and raw["returncode"] == 0, raw["stderr"]
                seen[way, mode] = json.loads(raw["lines"][0][1])
    for mode in ("variant", "as_published"):
        assert seen["fork", mode] == seen["spawn", mode]
    assert seen["spawn", "as_published"]["path"][1] == str(cell.AS_PUBLISHED)
    assert seen["spawn", "variant"]["path"][0] == str(tmp_path) and seen["spawn", "variant"]["stdin"] == ""
    assert seen["spawn", "variant"]["env"] == "variant" and seen["spawn", "variant"]["main"] == "__main__"


def test_a_warm_parent_that_cannot_import_its_libraries_means_the_cell_is_spawned(tmp_path, monkeypatch):
    monkeypatch.setattr(launch, "preload_of", lambda script: ("no_such_library_anywhere",))
    out_script = script(tmp_path, "print(0, 2.0)\n")
    with launch.Launcher("fork") as launcher:
        out = cell.run_cell(sys.executable, "modern", "s", script=out_script, launcher=launcher, repeats=1, timeout=60)
        assert len(launcher.fallbacks) == 1 and "no_such_library_anywhere" in launcher.fallbacks[0]
    assert out["launch"] == "spawn" and out["losses"] == [[0, 2.0]]


def test_cells_run_at_once_are_recorded_in_plan_order(tmp_path):
    scripts = [script(tmp_path, f"import time\ntime.sleep({0.4 - 0.1 * i})\nprint(0, {i}.0)\n", name=f"s{i}.py")
               for i in range(4)]
    from concurrent.futures import ThreadPoolExecutor
    with launch.Launcher("fork") as launcher, ThreadPoolExecutor(max_workers=3) as pool:
        outs = list(pool.map(lambda s: cell.run_cell(sys.executable, "modern", s.stem, script=s, launcher=launcher,
                                                     repeats=1, timeout=60), scripts))
    assert [o["losses"] for o in outs] == [[[0, float(i)]] for i in range(4)]
    assert all(o["launch"] == "fork" for o in outs)


@pytest.mark.parametrize("argv, env, message", [
    (["--launch", "thread"], {}, "invalid choice"),
    (["--jobs", "0"], {}, "must be at least 1"),
    ([], {"MATRIX_LAUNCH": "vfork"}, "MATRIX_LAUNCH='vfork'"),
    ([], {"MATRIX_JOBS": "many"}, "MATRIX_JOBS='many'"),
])
def test_bad_launch_options_are_refused_in_one_line(argv, env, message):
    with pytest.raises(options.BadInput, match=message):
        options.parse(argv, env)


def test_launch_options_and_their_defaults():
    assert options.parse([], {}).launch == launch.default_launch()
    assert options.parse([], {}).jobs == launch.default_jobs() >= 1
    assert options.parse([], {"MATRIX_LAUNCH": "spawn", "MATRIX_JOBS": "3"}).jobs == 3
    assert options.parse(["--launch", "spawn"], {}).launch == "spawn"


def test_a_warm_parent_that_died_is_replaced_and_no_cell_is_lost(tmp_path):
    """Killed between two cells (the kernel's OOM killer, a user): the next cell gets a new warm parent,
    or is spawned; it runs either way."""
    import signal

    tiny = script(tmp_path, "print(0, 3.0)\n")
    with launch.Launcher("fork") as launcher:
        first = cell.run_cell(sys.executable, "modern", "s", script=tiny, launcher=launcher, repeats=1, timeout=60)
        (parent,) = [p for p in launcher._parents.values() if p is not None]
        os.kill(parent._proc.pid, signal.SIGKILL)
        parent._proc.wait()
        second = cell.run_cell(sys.executable, "modern", "s", script=tiny, launcher=launcher, repeats=1, timeout=60)
    assert first["losses"] == second["losses"] == [[0, 3.0]]
    assert second["status"] == "passed" and second["launch"] in launch.LAUNCHES
