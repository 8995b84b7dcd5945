"""matrix.running.options: bad input is refused with one line before anything runs; records go to runs/ unless
the reference is recorded on purpose."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from matrix import EXAMPLES, ROOT
from matrix.running import options
from matrix.records import results


def test_a_users_run_writes_runs_results_and_record_writes_the_reference():
    assert options.parse([], env={}).results == results.USER_RESULTS_DIR
    assert options.parse(["--record"], env={}).results == results.RESULTS_DIR
    assert options.parse([], env={"MATRIX_RECORD": "1"}).results == results.RESULTS_DIR
    assert str(options.parse([], env={"MATRIX_RESULTS": "/tmp/x"}).results) == "/tmp/x"
    assert str(options.parse(["--results", "/tmp/y"], env={}).results) == "/tmp/y"
    assert results.USER_RESULTS_DIR.relative_to(ROOT).parts[0] == "runs"


def test_runs_is_ignored_by_git():
    ignored = subprocess.run(["git", "check-ignore", "-q", "runs/results/x.json"], cwd=ROOT)
    if ignored.returncode == 128:
        pytest.skip("not a git checkout")
    assert ignored.returncode == 0


@pytest.mark.parametrize("posargs,message", [
    (["--steps", "-5"], "argument --steps: must be at least 1"),
    (["--steps", "x"], "argument --steps: not a whole number"),
    (["--timeout", "0"], "argument --timeout: must be a positive number of seconds"),
    (["--repeats", "0"], "argument --repeats: must be at least 1"),
    (["--repeats", "two"], "argument --repeats: not a whole number"),
    (["--example", "nope"], "argument --example: invalid choice: 'nope'"),
    (["--record", "--results", "r"], "argument --results: not allowed with argument --record"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_options_are_refused(posargs, message):
    with pytest.raises(options.BadInput) as err:
        options.parse(posargs, env={})
    assert str(err.value).startswith(message)


@pytest.mark.parametrize("env,message", [
    ({"MATRIX_STEPS": "abc"}, "MATRIX_STEPS='abc': not a whole number"),
    ({"MATRIX_STEPS": "0"}, "MATRIX_STEPS='0': must be at least 1"),
    ({"MATRIX_TIMEOUT": "-1"}, "MATRIX_TIMEOUT='-1': must be a positive number of seconds"),
    ({"MATRIX_REPEATS": "0"}, "MATRIX_REPEATS='0': must be at least 1"),
    ({"MATRIX_REPEATS": "1.5"}, "MATRIX_REPEATS='1.5': not a whole number"),
    ({"MATRIX_STRICT": "yes"}, "MATRIX_STRICT='yes': use 1 (on) or 0 (off)"),
    ({"MATRIX_USE_INSTALLED": "1", "MATRIX_PYTHON": "/no/such/python"}, "MATRIX_PYTHON='/no/such/python': no executable"),
    ({"TORCH_INDEX_STRATEGY": "fastest"}, "TORCH_INDEX_STRATEGY='fastest': one of"),
    ({"TORCH_INDEX_URL": "download.pytorch.org/whl/cpu"}, "TORCH_INDEX_URL="),
    ({"MATRIX_RECORD": "1", "MATRIX_RESULTS": "/tmp/x"}, "MATRIX_RESULTS and MATRIX_RECORD=1"),
])
def test_bad_environment_variables_are_refused(env, message):
    with pytest.raises(options.BadInput) as err:
        options.check_environment(env)
    assert str(err.value).startswith(message)


def test_each_cell_runs_twice_unless_told():
    assert options.parse([], env={}).repeats == options.DEFAULT_REPEATS == 2
    assert options.parse(["--repeats", "1"], env={}).repeats == 1
    assert options.parse([], env={"MATRIX_REPEATS": "3"}).repeats == 3
    assert options.parse(["--repeats", "2"], env={"MATRIX_REPEATS": "1"}).repeats == 2  # the option wins


def test_good_environment_passes():
    options.check_environment({"MATRIX_STEPS": "5", "MATRIX_TIMEOUT": "1.5", "MATRIX_STRICT": "1", "MATRIX_REPEATS": "1",
                               "TORCH_INDEX_URL": "https://download.pytorch.org/whl/cpu"})


@pytest.mark.parametrize("posargs,env,partial", [
    (["--record", "--example", "nn"], {}, "(--example nn)"),
    (["--record", "--steps", "50", "--example", "nn"], {}, "(--example nn, --steps 50)"),
    (["--record", "--repeats", "1"], {}, "(--repeats 1)"),
    (["--record", "--seed", "3"], {}, "(--seed 3)"),
    ([], {"MATRIX_RECORD": "1", "MATRIX_STEPS": "50"}, "(--steps 50): drop that (and unset MATRIX_STEPS)"),
])
def test_record_refuses_a_partial_run_unless_told(posargs, env, partial):
    """The reference is replaced only by a complete run: every example, each script's steps, the default
    repeats and seed; one line that says what to drop, or how to record it anyway."""
    with pytest.raises(options.BadInput) as err:
        options.parse(posargs, env=env)
    message = str(err.value)
    assert message.startswith("--record writes the reference, which only a complete run may replace; this run is "
                              f"partial {partial}")
    assert message.endswith("or use --record-partial to record it anyway, marked partial") and "\n" not in message
    told = options.parse([a for a in posargs if a != "--record"] + ["--record-partial"], env=env)
    assert told.record and told.results == results.RESULTS_DIR and told.partial


def test_a_complete_run_is_no_partial_one():
    assert options.parse(["--record"], env={}).partial == {}
    assert options.parse(["--record", "--repeats", "2", "--seed", "0"], env={}).partial == {}
    assert options.parse(["--record"] + [a for ex in EXAMPLES for a in ("--example", ex)], env={}).partial == {}
    assert options.parse(["--steps", "5", "--example", "nn"], env={}).partial == {"examples": ["nn"], "steps": 5}
    with pytest.raises(options.BadInput, match="--results: not allowed with argument --record-partial"):
        options.parse(["--record-partial", "--results", "r"], env={})


def test_the_docstrings_commands_are_ones_the_options_accept():
    """options.py once showed `--steps 50 --example nn --record`, the very command that replaced the
    reference with a partial run."""
    commands = [line.split("#")[0].strip() for line in options.__doc__.splitlines() if " nox " in f" {line} "]
    assert any("--record" in c for c in commands)
    for command in commands:
        posargs = command.split(" -- ", 1)[1].split() if " -- " in command else []
        env = dict(word.split("=", 1) for word in command.split() if "=" in word and word[0].isupper())
        options.parse(posargs, env=env)  # raises BadInput if refused


KNOWN = options.matrix_session_names(["1.8.1", "2.4.1"], ["cpu", "cuda"])


@pytest.mark.parametrize("argv,only_matrix", [
    (["-s", "modern", "legacy"], True),
    (["-s", "modern(torch='2.4.1', device='cpu')"], True),
    (["-t", "cpu"], True),
    ([], True),  # the default sessions: the eras
    (["-s", "tests"], False),
    (["-s", "modern", "tests", "--", "-k", "x"], False),
    (["-l"], False),
])
def test_selection(argv, only_matrix):
    assert options.check_selection(argv, KNOWN, ["1.8.1", "2.4.1"], ["cpu", "cuda"], ["legacy", "modern"]) is only_matrix


def test_an_unknown_pin_is_refused_with_the_pins_named():
    with pytest.raises(options.BadInput) as err:
        options.check_selection(["-s", "modern(torch='9.9', device='cpu')"], KNOWN, ["1.8.1", "2.4.1"],
                                ["cpu", "cuda"], [])
    assert "torch pins 1.8.1, 2.4.1 and devices cpu, cuda" in str(err.value)


def test_an_example_named_twice_is_one_cell_in_the_order_given():
    """`--example nn --example nn` recorded the cell twice."""
    opts = options.parse(["--example", "nn", "--example", "optim", "--example", "nn"], env={})
    assert opts.example == ["nn", "optim"]


def test_a_records_folder_is_created_or_refused_naming_what_named_it(tmp_path):
    folder = tmp_path / "new" / "results"
    options.check_results(options.parse(["--results", str(folder)], env={}))
    assert folder.is_dir() and not list(folder.iterdir())  # created; the trial file is gone
    (tmp_path / "file").write_text("")
    for posargs, env, named in [(["--results", str(tmp_path / "file" / "r")], {}, f"--results {tmp_path}/file/r"),
                                ([], {"MATRIX_RESULTS": str(tmp_path / "file" / "r")}, f"MATRIX_RESULTS={tmp_path}/file/r")]:
        with pytest.raises(options.BadInput) as err:
            options.check_results(options.parse(posargs, env=env))
        assert str(err.value) == (f"{named}: cannot write records there: Not a directory; create it, make it "
                                  "writable, or choose another folder")
    with pytest.raises(options.BadInput, match=f"^MATRIX_RESULTS={tmp_path}/file: not a folder$"):
        options.parse([], env={"MATRIX_RESULTS": str(tmp_path / "file")})


pytest.importorskip("nox")


@pytest.mark.parametrize("args,env,line", [
    (["-s", "modern", "legacy", "--", "--steps", "-5"], {}, "nox: error: argument --steps: must be at least 1"),
    (["-s", "modern", "--", "--example", "nn", "--example", "typo"], {}, "nox: error: argument --example: invalid choice"),
    (["-s", "modern(torch='0.4.1', device='cpu')"], {}, "nox: error: no session \"modern(torch='0.4.1', device='cpu')\""),
    (["-s", "modern"], {"MATRIX_STEPS": "-1"}, "nox: error: MATRIX_STEPS='-1': must be at least 1"),
    (["-s", "modern", "--", "--results", "/dev/null/records"], {},
     "nox: error: --results /dev/null/records: cannot write records there: Not a directory; create it, make it "
     "writable, or choose another folder"),
])
def test_nox_refuses_bad_input_with_one_line_and_status_2_before_anything_runs(tmp_path, args, env, line):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MATRIX_")}
    environ.update(env, MATRIX_RESULTS=str(tmp_path / "records")) if "MATRIX_STEPS" not in env else environ.update(env)
    before = sorted(p.name for p in (ROOT / ".nox").iterdir()) if (ROOT / ".nox").exists() else []
    out = subprocess.run([sys.executable, "-m", "nox", *args], cwd=ROOT, env=environ, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.strip().splitlines() == [line] or out.stderr.strip().startswith(line), out.stderr
    assert not (tmp_path / "records").exists()
    after = sorted(p.name for p in (ROOT / ".nox").iterdir()) if (ROOT / ".nox").exists() else []
    assert after == before  # no virtualenv made

