"""python -m matrix.bench: bad input refused with one line and exit status 2 before anything runs;
the size sweep's workload prints its JSON (and compiles on Python 3.7, where the torch 1.0.1 pin runs)."""
from __future__ import annotations

import json
import os
import py_compile
import subprocess
import sys

import pytest

from matrix import EXAMPLES, ROOT
from matrix.bench import run
from conftest import python_or_skip

PINS = ("1.0.1", "1.4.0", "2.15.0")


def refused(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as exc:
        run.parse(list(argv), PINS)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m matrix.bench: error: "), err
    return err


@pytest.mark.parametrize("argv, says", [
    (["--rounds", "0"], "must be at least 1"),
    (["--steps", "abc"], "not a whole number"),
    (["--pins", "9.9.9"], "unknown pin '9.9.9'"),
    (["--examples", "nope"], "unknown example 'nope'"),
    (["--skip", "everything"], "unknown section 'everything'"),
    (["--steps", "10", "--log-every", "6"], "fewer than two loss lines"),
    (["--installed", "--pins", "2.15.0"], "--pins can't be given"),
    (["--installed", "--cold"], "--cold can't be given"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, says):
    assert says in refused(capsys, *argv)


def test_defaults_and_order():
    opts = run.parse([], PINS)
    assert (opts.rounds, opts.steps, opts.log_every) == (run.DEFAULT_ROUNDS, run.DEFAULT_STEPS, run.DEFAULT_STEPS // 10)
    assert opts.pins == list(PINS) and opts.examples == list(EXAMPLES) and opts.sizes == [1, 2, 4, 8, 16]
    opts = run.parse(["--pins", "2.15.0", "1.0.1", "1.0.1", "--examples", "nn", "tensors", "--steps", "100"], PINS)
    assert opts.pins == ["1.0.1", "2.15.0"]  # PINS order, each once
    assert opts.examples == ["tensors", "nn"] and opts.log_every == 10


def test_the_command_refuses_before_writing(tmp_path):
    out = tmp_path / "performance.json"
    done = subprocess.run([sys.executable, "-m", "matrix.bench", "--pins", "0.3.0", "--out", str(out)], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "unknown pin '0.3.0'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_the_pins_are_the_matrix_pins():
    """The bench reads matrix.facts.pins.PINS (the one list of them) and measures every pin by default."""
    from matrix.bench import matrix_cost
    from matrix.facts.pins import PINS

    pins = run.PINS
    assert pins is PINS and matrix_cost.PINS is PINS
    assert pins and all(p.torch and p.python and p.eras for p in pins)
    assert run.parse([], [p.torch for p in pins]).pins == [p.torch for p in pins]


def test_the_sweep_prints_its_json_on_cpu():
    pytest.importorskip("torch")
    done = subprocess.run([sys.executable, str(ROOT / "matrix" / "bench" / "sweep.py"), "--sizes", "1", "2",
                           "--steps", "2", "--warmup", "1", "--devices", "cpu"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["threads"] == 1
    assert [(r["scale"], r["batch"], r["hidden"], r["d_in"], r["d_out"]) for r in out["rows"]] == [
        (1, 64, 100, 1000, 10), (2, 128, 200, 1000, 10)]
    assert all(r["status"] == "measured" and len(r["seconds_per_step"]) == 2 for r in out["rows"])


@pytest.mark.parametrize("name", ["sweep.py", "stamp.py"])
def test_what_runs_in_a_pins_interpreter_compiles_on_python_37(name):
    python = python_or_skip("3.7")
    done = subprocess.run([python, "-m", "py_compile", str(ROOT / "matrix" / "bench" / name)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    py_compile.compile(str(ROOT / "matrix" / "bench" / name), doraise=True)


#: What runs inside a pin's interpreter, and what each may import besides the standard library.
IN_PIN = {"sweep.py": {"torch"},
          "stamp.py": {"matrix", "matrix.records", "matrix.records.jsonio", "matrix.running", "matrix.running.trace"}}


@pytest.mark.parametrize("name", sorted(IN_PIN))
def test_code_run_in_a_pins_interpreter_is_python_37_and_imports_little(name):
    """sweep.py and stamp.py run inside every pin's interpreter, torch 1.0.1's Python 3.7 included."""
    import ast

    tree = ast.parse((ROOT / "matrix" / "bench" / name).read_text(encoding="utf-8"), feature_version=(3, 7))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = ([node.module or ""] if node.module not in ("matrix", "matrix.records", "matrix.running")
                     else [f"{node.module}.{a.name}" for a in node.names])
        else:
            continue
        for imported in names:
            top = imported.split(".")[0]
            assert top in sys.stdlib_module_names or imported in IN_PIN[name] or top in IN_PIN[name], \
                f"{name} imports {imported}"


def test_stamped_lines_keep_the_text_and_stamp_each_completed_line():
    import io

    from matrix.bench.stamp import StampedStream

    out = io.StringIO()
    stream = StampedStream(out, 0.0)
    print(49, 1.5, file=stream)  # print writes "49", " ", "1.5", "\n": one line, stamped when completed
    stream.write("99 0.5\nno newline")
    assert out.getvalue() == "49 1.5\n99 0.5\nno newline"
    assert [line for _, line in stream.lines] == ["49 1.5", "99 0.5"]
    assert stream.lines[0][0] <= stream.lines[1][0]
    stream.flush()  # the real stream's
