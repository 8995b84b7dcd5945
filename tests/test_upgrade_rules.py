"""python -m shims upgrade's rules, fixture by fixture (tests/fixtures/upgrade/<catalog-id>/<name>.in.py
and its .out.py), as TorchFix tests its rules: the rewrite gives exactly the .out.py, with a finding of
the folder's catalog entry; a second pass changes nothing; each .out.py that is a whole script (not
marked ``# fragment`` on its first line) runs on the tests' torch with deprecations as errors; a first
line with ``(untouched)`` marks what a rule must leave alone.

And the rules held to the catalog (every entry with an ``upgrade`` field has its rules registered under
its id, ``@rule("<id>")``, and fixtures; every registered id has the field; the field says what the
rules do: "rewrite", they rewrite, "report", they only report, "runtime", they look at nothing in the
text); the order the engine runs them is today's, pinned here.
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
from shims.upgrade.rules import ORDER, REGISTRY, RUNTIME_ONLY  # noqa: E402

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


UPGRADE = ("rewrite", "report", "runtime")


def test_every_entry_with_an_upgrade_has_its_rules_and_fixtures():
    for change in CATALOG:
        upgrade = change.get("upgrade")
        if upgrade is None:
            continue
        assert upgrade in UPGRADE, (change["id"], upgrade)
        assert REGISTRY.get(change["id"]), f"{change['id']}: upgrade = {upgrade!r} but no @rule({change['id']!r})"
        assert list((FIXTURES / change["id"]).glob("*.in.py")), f"{change['id']}: no fixtures"


def test_every_registered_id_has_an_upgrade_field():
    with_field = {c["id"] for c in CATALOG if c.get("upgrade") is not None}
    assert set(REGISTRY) - with_field == set()


def test_the_upgrade_field_says_what_the_rules_do():
    upgrade = {c["id"]: c.get("upgrade") for c in CATALOG}
    for change_id, rules in REGISTRY.items():
        for cls in rules:
            said = "runtime" if not cls.static else "rewrite" if cls.rewrites else "report"
            assert upgrade.get(change_id) == said, (change_id, cls.__name__, said, upgrade.get(change_id))
            assert change_id in cls.serves


def test_the_order_is_pinned():
    """The rules run one after another on each other's output: these rules keep this order (the one the
    fixture pairs were written under); a rule added later takes its place by its own order number."""
    pinned = [
        ("optimizer-step-between-backwards", "StepBetweenBackwards"),
        ("torch-load-weights-only", "TorchLoadWeightsOnly"),
        ("tf-contrib", "TfContrib"),
        ("tf1-rnn-keras3", "Tf1RnnKeras3"),
        ("zero-dim-iteration", "ZeroDimIteration"),
        ("zero-dim-index", "DataIndexItem"),
        ("variable-volatile", "VariableVolatile"),
        ("size-average", "SizeAverage"),
        ("reduction-elementwise-mean", "ReductionElementwiseMean"),
        ("legacy-tensor-types", "LegacyTensorTypes"),
        ("tensordataset-kwargs", "TensorDatasetPositional"),
        ("retain-variables", "RetainVariables"),
        ("functional-sigmoid-tanh", "FunctionalSigmoidTanh"),
        ("numpy-ndim-scalar", "NumpyNdimScalar"),
        ("grad-none-zero", "GradNoneZero"),
        ("legacy-autograd-function", "LegacyFunction"),
        ("tf1-assign-race", "Tf1AssignRace"),
        ("tf1-graph-on-tf2", "Tf1CompatV1"),
        ("variable-volatile", "DropVariableImport"),
    ]
    assert [(cls.change_id, cls.__name__) for cls in ORDER if (cls.change_id, cls.__name__) in pinned] == pinned
    assert [cls.__name__ for cls in RUNTIME_ONLY] == ["TargetSizeBroadcast"]


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


def test_a_file_with_nothing_to_do_costs_one_parse(monkeypatch):
    """No metadata pass where no rule's ``needs`` are in the text; one for all the rules that run
    (they share one walk of the tree: shims/upgrade/together.py), however many they are."""
    import shims.upgrade.engine as engine

    wrapped = []
    real = engine.MetadataWrapper
    monkeypatch.setattr(engine, "MetadataWrapper", lambda module, **kw: wrapped.append(module) or real(module, **kw))
    src = "import torch\n\nx = torch.ones(3)\ny = (x * 2).sum().item()\n"
    assert not upgrade_source(src).changed and wrapped == []
    assert upgrade_source(src + "z = x.data[0]\n").changed and len(wrapped) == 1
    many = (FIXTURES / "variable-volatile" / "wrappers.in.py").read_text() + "\n" + "".join(
        p.read_text() for p in sorted(FIXTURES.glob("*/*.in.py"))[:6])
    wrapped.clear()
    result = upgrade_source(many)
    assert len({f.change_id for f in result.findings}) >= 4 and len(wrapped) == 1


