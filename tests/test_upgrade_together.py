"""shims/upgrade/together.py: several rules in one walk behave as each would alone, and
shims/upgrade/lines.py: the line map of the upgraded text back to the user's."""
from __future__ import annotations

import difflib
import random

import pytest

pytest.importorskip("libcst")

import libcst as cst  # noqa: E402

from shims.upgrade.lines import line_map  # noqa: E402
from shims.upgrade.rules import ORDER  # noqa: E402
from shims.upgrade.together import Scan, Together  # noqa: E402


class Rename(cst.CSTTransformer):
    """x -> y everywhere (leaves of one kind)."""

    def leave_Name(self, original, updated):
        return updated.with_changes(value="y") if updated.value == "x" else updated


class CallToName(cst.CSTTransformer):
    """f(...) -> g: another kind of node than it was given."""

    def leave_Call(self, original, updated):
        return cst.Name("g") if isinstance(updated.func, cst.Name) and updated.func.value == "f" else updated


class SeesNames(cst.CSTTransformer):
    """Records the names it leaves and the calls; skips what is inside a lambda."""

    def __init__(self):
        self.names, self.calls = [], []

    def visit_Lambda(self, node):
        return False

    def leave_Name(self, original, updated):
        self.names.append(updated.value)
        return updated

    def leave_Call(self, original, updated):
        self.calls.append(cst.Module(body=[]).code_for_node(updated))
        return updated


class DropPass(cst.CSTTransformer):
    def leave_SimpleStatementLine(self, original, updated):
        return cst.RemovalSentinel.REMOVE if isinstance(updated.body[0], cst.Pass) else updated


def alone(walkers, code):
    module = cst.parse_module(code)
    for walker in walkers:
        module = module.visit(walker)
    return module.code


def together(walkers, code):
    return Together(walkers).run(cst.parse_module(code)).code


CODE = "x = f(x) + h(x)\nz = lambda q: f(x)\nif x:\n    pass\nelse:\n    w = 1\n"


def test_one_walk_gives_the_text_of_one_walk_per_rule():
    assert together([Rename(), CallToName(), DropPass()], CODE) == alone([Rename(), CallToName(), DropPass()], CODE)
    assert together([Rename(), CallToName(), DropPass()], CODE) == "y = g + h(y)\nz = lambda q: g\nif y:\n    pass\nelse:\n    w = 1\n"


def test_a_rule_sees_the_kind_of_node_the_rules_before_it_made():
    seen = SeesNames()
    out = together([CallToName(), seen], CODE)
    assert "f(x)" not in seen.calls and "h(x)" in seen.calls  # f(x) became a Name before `seen` left it
    assert "g" in seen.names
    assert out.startswith("x = g + h(x)")


def test_a_rule_that_skips_a_subtree_skips_it_alone():
    seen, rename = SeesNames(), Rename()
    out = together([seen, rename], CODE)
    assert "q" not in seen.names  # inside the lambda: skipped by `seen`
    assert "z = lambda q: f(y)" in out  # not by `rename`


def test_nodes_nothing_changed_are_the_users_own_and_made_ones_map_back():
    module = cst.parse_module(CODE)
    walk = Together([Rename()])
    new = walk.run(module)
    assert new.body[2] is not module.body[2]  # `if x:` changed below it
    assert new.body[1].body[0].targets[0] is module.body[1].body[0].targets[0]  # `z =`: untouched, the same object
    assert walk.origin(new.body[0]) is module.body[0]


def test_scan_walks_every_node_once():
    class Count(cst.CSTVisitor):
        def __init__(self):
            self.names = 0

        def visit_Name(self, node):
            self.names += 1

    a, b = Count(), Count()
    module = cst.parse_module(CODE)
    Scan([a]).run(module)
    module.visit(b)
    assert a.names == b.names == 11


def test_no_rule_uses_a_hook_the_walk_does_not_call():
    for rule in ORDER:
        own = [n for k in rule.__mro__ if not k.__module__.startswith("libcst") for n in vars(k)]
        hooks = [n for n in own if n.startswith(("visit_", "leave_")) and "_" in n.split("_", 1)[1]]
        assert not hooks, f"{rule.__name__}: attribute hooks ({hooks}) are not called by shims/upgrade/together.py"


def _difflib_map(old, new):
    """The map the engine made before shims/upgrade/lines.py (difflib over whole files)."""
    a, b = old.splitlines(), new.splitlines()
    out = [0] * len(b)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k, j in enumerate(range(j1, j2)):
            out[j] = (min(i1 + k, max(i2 - 1, i1)) if tag != "insert" else max(i1 - 1, 0)) + 1
    return out


@pytest.mark.parametrize("seed", range(20))
def test_the_line_map_agrees_with_difflib_on_edits_of_distinct_lines(seed):
    rng = random.Random(seed)
    old = [f"line {i}" for i in range(200)]
    new = list(old)
    for _ in range(15):  # lines changed in place, added and removed, as the rules do
        i = rng.randrange(len(new))
        kind = rng.choice(["change", "add", "remove"])
        if kind == "change":
            new[i] += " changed"
        elif kind == "add":
            new.insert(i, f"added {rng.random()}")
        else:
            del new[i]
    old_text, new_text = "\n".join(old) + "\n", "\n".join(new) + "\n"
    assert line_map(old_text, new_text) == _difflib_map(old_text, new_text)


def test_the_line_map_of_repeated_lines_keeps_each_line_in_its_place():
    old = "import torch\n" + "x.grad.data.zero_()\nprint(loss.data[0])\n" * 3000
    new = "import torch\n" + "if x.grad is not None: x.grad.zero_()\nprint(loss.item())\n" * 3000
    assert line_map(old, new) == list(range(1, 6002))
    added = old.replace("x.grad.data.zero_()\n", "x.grad.data.zero_()\nextra()\n", 1)
    assert line_map(old, added)[:5] == [1, 2, 2, 3, 4]
