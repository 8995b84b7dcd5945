"""``python -m shims upgrade --target-torch X [--keep-working-on Y]``: rewrite only what torch X needs,
never into a form X (or Y) lacks (the catalog's ``new_since``).

- the target fixtures (tests/fixtures/upgrade_target/<name>.in.py and .out.py; the first line names
  the options, the second the torches the .out.py runs on: ``tests`` is the tests' torch, a version
  the old torch of ``SHIMS_TEST_OLD_PYTHON``) give exactly their .out.py;
- "run on both ends": every whole .out.py of tests/fixtures/upgrade runs on the tests' torch
  (tests/test_upgrade_rules.py), and here the output of ``--target-torch V --keep-working-on V`` of
  every whole fixture runs on an old torch V: ``SHIMS_TEST_OLD_PYTHON``, a Python with that torch
  (e.g. torch 1.0.1 or 1.8.1), or else the oldest pin's environment, built as verify builds it
  (tests/conftest.py); where neither can be had those tests are skipped, saying why;
- the catalog data (every rule that rewrites has a ``new_since``), the API and the CLI options.
"""
from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from conftest import ROOT, oldest_pin_python

pytest.importorskip("libcst")
from matrix.facts.catalog import load_catalog  # noqa: E402
from matrix.running.environment import public_version  # noqa: E402
from shims.upgrade.engine import upgrade_source  # noqa: E402
from shims.upgrade.target import BadVersion, Target  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
TARGET_FIXTURES = ROOT / "tests" / "fixtures" / "upgrade_target"
TARGET_PAIRS = sorted(TARGET_FIXTURES.glob("*.in.py"))
PAIRS = sorted(FIXTURES.glob("*/*.in.py"))
OLD_PYTHON = os.environ.get("SHIMS_TEST_OLD_PYTHON")
NO_OLD = "SHIMS_TEST_OLD_PYTHON is not set (a Python with an old torch, e.g. 1.0.1 or 1.8.1, to run the outputs on)"
if not OLD_PYTHON:  # the oldest pin's environment, as verify builds it (uv; reused between test runs)
    OLD_PYTHON, _why = oldest_pin_python()
    NO_OLD = f"no old torch to run the outputs on: {_why}" if OLD_PYTHON is None else NO_OLD


def out_of(path: Path) -> Path:
    return path.with_name(path.name[:-len(".in.py")] + ".out.py")


def options(path: Path) -> Dict[str, str]:
    """The first line's ``# upgrade --target-torch X [--keep-working-on Y]`` as upgrade_source's keywords."""
    words = shlex.split(path.read_text().splitlines()[0].lstrip("#"))
    assert words[0] == "upgrade", path
    names = {"--target-torch": "target_torch", "--keep-working-on": "keep_working_on"}
    return {names[w]: words[i + 1] for i, w in enumerate(words) if w in names}


def runs_on(path: Path):
    line = path.read_text().splitlines()[1]
    assert line.startswith("# runs on:"), path
    return [w.strip() for w in line.split(":", 1)[1].split("(")[0].split(",") if w.strip() and w.strip() != "none"]


@functools.lru_cache(maxsize=1)
def old_env() -> Optional[Dict[str, object]]:
    """The old Python's torch version and whether it has TensorFlow (None without SHIMS_TEST_OLD_PYTHON)."""
    if not OLD_PYTHON:
        return None
    proc = subprocess.run([OLD_PYTHON, "-c", "import importlib.util, torch; print(torch.__version__); "
                                             "print(importlib.util.find_spec('tensorflow') is not None)"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"SHIMS_TEST_OLD_PYTHON={OLD_PYTHON}: no torch there: {proc.stderr[-500:]}"
    torch_version, has_tf = proc.stdout.split()
    return {"torch": torch_version, "tensorflow": has_tf == "True"}


#: runs the script as ``python script.py`` would, then leaves without the interpreter's shutdown: torch
#: 1.8.1 here (pip wheel, Python 3.9) prints its result and then hangs at exit after any backward()
#: TensorFlow 1.x's own modules warn (DeprecationWarning: imp, collections' ABCs) while they import on
#: Python 3.7: those are not the script's, so they are let through (the filter matches module prefixes)
RUN = ("import os, runpy, sys, warnings; sys.argv = [sys.argv[1]]; "
       "[warnings.filterwarnings('ignore', category=c, module='tensorflow|google|tensorboard|absl') "
       "for c in (DeprecationWarning, FutureWarning)]; "
       "runpy.run_path(sys.argv[0], run_name='__main__'); "
       "sys.stdout.flush(); sys.stderr.flush(); os._exit(0)")


def run_script(python: str, text: str, tmp_path: Path) -> subprocess.CompletedProcess:
    script = tmp_path / "script.py"
    script.write_text(text)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)
    return subprocess.run([python, "-W", "error::DeprecationWarning", "-W", "error::FutureWarning", "-c", RUN,
                           str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


# ------------------------------------------------------------------------------------ the catalog


def test_every_rule_that_rewrites_says_from_which_release_its_new_form_exists():
    for change in load_catalog():
        if change.get("upgrade") != "rewrite":
            continue
        assert change.get("new_since"), f"{change['id']}: a rule that rewrites needs new_since (matrix/catalog.toml)"
        source = change["new_since_source"]
        assert source.startswith(("http", "measured: ", "not measured")), (change["id"], source)
        # a measured claim names the record it comes from
        if source.startswith("measured: "):
            assert re.search(r"results/[\w.-]+\.json", source), (change["id"], source)
            for path in re.findall(r"results/[\w.-]+\.json", source):
                assert (ROOT / path).is_file(), (change["id"], path)


# ----------------------------------------------------------------------------------- the decisions


def test_no_target_is_todays_behaviour():
    src = (FIXTURES / "size-average" / "losses.in.py").read_text()
    assert upgrade_source(src).new == upgrade_source(src, target_torch=None, keep_working_on=None).new
    assert Target.of(None, None) is None


@pytest.mark.parametrize("text", ["banana", "", "1.8.x", "latest"])
def test_a_version_that_is_not_a_version_is_refused(text):
    with pytest.raises(BadVersion):
        upgrade_source("import torch\n", target_torch=text)
    with pytest.raises(BadVersion):
        upgrade_source("import torch\n", target_torch="1.8.1", keep_working_on=text)


def test_local_versions_are_their_public_release():
    assert Target.of("2.4.1+cu121").torch == public_version("2.4.1")
    src = (FIXTURES / "size-average" / "losses.in.py").read_text()
    assert upgrade_source(src, target_torch="1.8.1+cpu").new == upgrade_source(src, target_torch="1.8.1").new


def test_a_new_form_the_target_lacks_is_not_written_but_reported():
    src = (FIXTURES / "size-average" / "losses.in.py").read_text()
    result = upgrade_source(src, target_torch="0.4.0")
    assert not result.changed
    actions = {f.action for f in result.findings}
    assert actions == {"not_rewritten"}
    assert all("not rewritten for torch 0.4.0: " in f.what and "needs torch >= 0.4.1" in f.what
               for f in result.findings if "'mean'" not in f.what)


def test_keep_working_on_limits_the_new_forms_to_the_older_torch():
    src = (FIXTURES / "size-average" / "losses.in.py").read_text()
    # Y older than X: the 'mean' spelling (1.0.0) is not written for 0.4.1
    limited = upgrade_source(src, target_torch="2.4.1", keep_working_on="0.4.1")
    assert "reduction='mean'" not in limited.new and "reduction='sum'" in limited.new
    assert [f for f in limited.findings if f.action == "not_rewritten" and "needs torch >= 1.0.0" in f.what]
    # Y newer than X is fine: the same as the other way round
    assert upgrade_source(src, target_torch="0.4.1", keep_working_on="2.4.1").new == limited.new


def test_an_old_form_that_still_works_on_the_target_is_kept():
    src = (FIXTURES / "legacy-autograd-function" / "relu.in.py").read_text()
    on_101 = upgrade_source(src, target_torch="1.0.1")
    assert "def forward(self, input):" in on_101.new   # the legacy Function runs silently on 1.0.1
    assert {f.action for f in on_101.findings if f.change_id == "legacy-autograd-function"} == {"kept"}
    assert all("still works on torch 1.0.1" in f.what for f in on_101.findings if f.action == "kept")
    # 1.4.0 warns (the probes' records), and 1.2 lies between a silent pin and a warning one: rewritten
    for version in ("1.4.0", "1.2.0"):
        assert "@staticmethod" in upgrade_source(src, target_torch=version).new, version
    # kept on X is not enough when Y needs it (the union for "old form breaks")
    assert "@staticmethod" in upgrade_source(src, target_torch="1.0.1", keep_working_on="1.8.1").new


def test_a_report_only_rule_is_quiet_where_the_old_form_still_works():
    src = (FIXTURES / "torch-load-weights-only" / "load.in.py").read_text()
    assert {f.action for f in upgrade_source(src, target_torch="1.8.1").findings} == {"kept"}
    assert {f.action for f in upgrade_source(src, target_torch="2.4.1").findings} == {"found"}
    # the fix it names (weights_only=) needs 1.13: said where the result must also run on 1.0.1
    both = upgrade_source(src, target_torch="2.4.1", keep_working_on="1.0.1").findings
    assert both and all("needs torch >= 1.13.0, not on torch 1.0.1" in f.what for f in both)


def test_kind_silent_and_other_libraries_are_not_limited_by_the_torch_target():
    target = Target.of("1.0.1")
    assert not target.kept("function-instance-backward")    # a hazard, not a message: always rewritten
    assert target.new_form_missing("tf1-graph-on-tf2") is None   # new_since is a TensorFlow release


# ------------------------------------------------------------------------------ target fixtures


@pytest.mark.parametrize("path", TARGET_PAIRS, ids=[p.name for p in TARGET_PAIRS])
def test_target_fixture_gives_its_out_file(path):
    kw = options(path)
    result = upgrade_source(path.read_text(), str(path), **kw)
    assert result.new == out_of(path).read_text()
    # what the target decided: something kept, not rewritten, or a fix the target lacks
    assert any(f.action in ("kept", "not_rewritten") or "not on torch" in f.what for f in result.findings)
    # a second pass with the same target changes nothing
    assert upgrade_source(result.new, str(path), **kw).new == result.new


TARGET_RUNS = [(p, where) for p in TARGET_PAIRS for where in runs_on(p)]


@pytest.mark.parametrize("path,where", TARGET_RUNS, ids=[f"{p.name}@{w}" for p, w in TARGET_RUNS])
def test_target_fixture_out_runs(path, where, tmp_path):
    if where == "tests":
        python = sys.executable
    else:
        env = old_env()
        if env is None:
            pytest.skip(NO_OLD)
        if public_version(str(env["torch"])) != public_version(where):
            pytest.skip(f"SHIMS_TEST_OLD_PYTHON has torch {env['torch']}, this output is for {where}")
        python = OLD_PYTHON
    proc = run_script(python, out_of(path).read_text(), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()


# ------------------------------------------------------------------- every fixture on the old torch


WHOLE = [p for p in PAIRS if not p.read_text().startswith("# fragment")]


@pytest.mark.parametrize("path", WHOLE, ids=[f"{p.parent.name}/{p.name}" for p in WHOLE])
def test_upgrade_for_the_old_torch_runs_there(path, tmp_path):
    """The output of ``--target-torch V --keep-working-on V`` for the old torch V runs on V."""
    env = old_env()
    if env is None:
        pytest.skip(NO_OLD)
    text = path.read_text()
    if re.search(r"^\s*(import|from) tensorflow", text, re.M) and not env["tensorflow"]:
        pytest.skip(f"the old Python ({OLD_PYTHON}) has no TensorFlow")
    version = str(env["torch"])
    result = upgrade_source(text, str(path), target_torch=version, keep_working_on=version)
    proc = run_script(OLD_PYTHON, result.new, tmp_path)
    assert proc.returncode == 0, f"torch {version}:\n{proc.stderr[-3000:]}"
    assert proc.stdout.strip()


# ------------------------------------------------------------------------------------------- CLI


def shims(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "shims", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_cli_target_torch(tmp_path):
    path = TARGET_FIXTURES / "size_average_041.in.py"
    (tmp_path / "a.py").write_text(path.read_text())
    opts = shlex.split(path.read_text().splitlines()[0].lstrip("#"))[1:]
    proc = shims("upgrade", "--write", *opts, "a.py", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.py").read_text() == out_of(path).read_text()
    assert "a.py:9: NOT REWRITTEN [size-average] not rewritten for torch 0.4.1: size_average=True -> " \
           "reduction='mean' needs torch >= 1.0.0" in proc.stderr


@pytest.mark.parametrize("args", [["--target-torch", "banana"], ["--target-torch", "1.8.1", "--keep-working-on", "x"]])
def test_cli_refuses_a_version_that_is_not_one_in_one_line(tmp_path, args):
    (tmp_path / "a.py").write_text("import torch\nx = torch.nn.MSELoss(size_average=False)\n")
    proc = shims("upgrade", "--write", *args, "a.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "is not a version" in proc.stderr
    assert "size_average" in (tmp_path / "a.py").read_text()


def test_cli_usage_names_the_options():
    proc = shims("upgrade", "--help", cwd=ROOT)
    assert "--target-torch" in proc.stdout and "--keep-working-on" in proc.stdout
