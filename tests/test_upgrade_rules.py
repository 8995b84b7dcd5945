"""python -m shims upgrade's rules, fixture by fixture (tests/fixtures/upgrade/<catalog-id>/<name>.in.py
and its .out.py), as TorchFix tests its rules: the rewrite gives exactly the .out.py, with a finding of
the folder's catalog entry; a second pass changes nothing; each .out.py that is a whole script (not
marked ``# fragment`` on its first line) runs on the tests' torch with deprecations as errors; a first
line with ``(untouched)`` marks what a rule must leave alone.

And the rules held to the catalog (every entry's ``rewrite`` names a rule of that entry, and every
entry with a rule has fixtures).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytest.importorskip("libcst")
from matrix.facts.catalog import load_catalog  # noqa: E402
from shims.upgrade.engine import upgrade_source  # noqa: E402
from shims.upgrade.rules import RULES, RUNTIME_ONLY  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "upgrade"
PAIRS = sorted(FIXTURES.glob("*/*.in.py"))
IDS = [f"{p.parent.name}/{p.name[:-len('.in.py')]}" for p in PAIRS]
CATALOG = load_catalog()


def out_of(path: Path) -> Path:
    return path.with_name(path.name[:-len(".in.py")] + ".out.py")


def is_fragment(path: Path) -> bool:
    return path.read_text().startswith("# fragment")


@pytest.mark.parametrize("path", PAIRS, ids=IDS)
def test_rewrite_gives_the_out_file(path):
    result = upgrade_source(path.read_text(), str(path))
    assert result.new == out_of(path).read_text()
    change_id = path.parent.name
    runtime_only = {cls.change_id for cls in RUNTIME_ONLY}
    if change_id in runtime_only or "(untouched)" in path.read_text().splitlines()[0]:
        # what the rule must leave alone (another library's keyword, TF2 code), or cannot see in the text
        assert not [f for f in result.findings if f.change_id == change_id] and not result.changed
    else:
        assert any(f.change_id == change_id for f in result.findings), result.findings
    # a finding is "changed" only where the text changed, and every finding names a line of the input
    assert all(1 <= f.line <= len(path.read_text().splitlines()) for f in result.findings)
    if not result.changed:
        assert all(f.action == "found" for f in result.findings)


@pytest.mark.parametrize("path", PAIRS, ids=IDS)
def test_a_second_pass_changes_nothing(path):
    out = out_of(path).read_text()
    again = upgrade_source(out, str(path))
    assert again.new == out
    assert not [f for f in again.findings if f.action == "changed"]


WHOLE = [p for p in PAIRS if not is_fragment(p)]


@pytest.mark.parametrize("path", WHOLE, ids=[f"{p.parent.name}/{p.name}" for p in WHOLE])
def test_whole_out_scripts_run(path, tmp_path):
    script = tmp_path / out_of(path).name
    script.write_text(out_of(path).read_text())
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-W", "error::FutureWarning",
                           str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip()


def test_every_catalog_rule_exists_and_belongs_to_its_entry():
    for change in CATALOG:
        name = change.get("rewrite")
        if name is None:
            continue
        assert name in RULES, f"{change['id']}: no rule {name!r} in shims/upgrade/rules.py"
        rule = RULES[name]
        # function-instance-backward shares legacy-autograd-function's rewrite (the same class)
        assert rule.change_id == change["id"] or name == "function_instance_backward", (change["id"], name)
        assert list((FIXTURES / change["id"]).glob("*.in.py")), f"{change['id']}: no fixtures"


def test_every_rule_is_named_by_an_entry():
    named = {c.get("rewrite") for c in CATALOG}
    assert {n for n in RULES} - named == set()


def test_every_fixture_folder_is_a_catalog_entry():
    ids = {c["id"] for c in CATALOG}
    assert {p.parent.name for p in PAIRS} <= ids


def test_comments_and_formatting_around_a_rewrite_are_kept():
    src = (FIXTURES / "variable-volatile" / "wrappers.in.py").read_text()
    out = upgrade_source(src).new
    assert "# inputs never need gradients" in out and "# the weight" in out
    assert out.splitlines()[-1] == src.splitlines()[-1]


def test_a_file_without_torch_or_tensorflow_is_left_alone():
    src = "from foo import Variable\nx = Variable(1, volatile=True)\nprint(x.data[0])\n"
    result = upgrade_source(src, "other.py")
    assert result.new == src and result.skipped and not result.findings


def test_the_report_only_list_matches_the_rules():
    """shims.upgrade.REPORT_ONLY / RUNTIME_ONLY (read by the docs without LibCST) say what the rules do."""
    from shims.upgrade import REPORT_ONLY, RUNTIME_ONLY
    from shims.upgrade import rules

    assert REPORT_ONLY == {name for name, cls in RULES.items() if not cls.rewrites}
    assert RUNTIME_ONLY == {cls.name for cls in rules.RUNTIME_ONLY}
