"""The TensorFlow 1 family: graph code on TensorFlow 2 (tf.compat.v1), assign ops racing the reads,
tf.contrib, the Keras 2 recurrent cells.
"""
from __future__ import annotations

import re
from typing import Dict, List, Sequence, Set

import libcst as cst
import libcst.matchers as m

from shims.upgrade.names import dotted, qualify
from shims.upgrade.rules.base import Rule, _code, rule


# ------------------------------------------------------------------------------- tf1-graph-on-tf2
#: TensorFlow 1 names whose use marks graph code (tensorflow.<name>)
GRAPH_ONLY = {"placeholder", "Session", "InteractiveSession", "global_variables_initializer", "set_random_seed",
              "random_normal", "get_variable", "variable_scope", "initialize_all_variables", "gradients"}


@rule("tf1-graph-on-tf2", order=180)
class Tf1CompatV1(Rule):
    """catalog: tf1-graph-on-tf2: ``import tensorflow as tf`` in a file that builds a TF1 graph (tf.placeholder,
    tf.Session, tf.gradients, ...) -> ``import tensorflow.compat.v1 as tf`` and
    ``tf.disable_eager_execution()`` on the next line: the graph API under TensorFlow 2 (and 1.13+). A
    file that already mentions ``compat.v1`` or ``disable_eager_execution`` chose its API: left alone."""

    needs = (("tensorflow", "import"),)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.used: Set[str] = set()
        self.scan(_QualifiedAttributes(self.aliases, self.used))
        # code that already chooses its TensorFlow API (tf.compat.v1, disable_eager_execution) is left alone
        self.handled = bool(re.search(r"compat\.v1|disable_eager_execution|disable_v2_behavior", self.source))

    def scanned(self) -> None:
        # the graph API used in the code (not named in a comment or a docstring)
        self.graph_code = any(q.startswith("tensorflow.") and q.split(".")[1] in GRAPH_ONLY for q in self.used)

    def leave_SimpleStatementLine(self, original, updated):
        if len(updated.body) != 1 or not m.matches(updated.body[0], m.Import(names=[m.ImportAlias(
                name=m.Name("tensorflow"), asname=m.AsName(name=m.Name()))])):
            return updated
        if not self.graph_code or self.handled:
            return updated
        local = updated.body[0].names[0].asname.name.value
        new_import = updated.with_changes(body=[cst.parse_statement(
            f"import tensorflow.compat.v1 as {local}").body[0]])
        disable = cst.parse_statement(f"{local}.disable_eager_execution()  # TF1 graph code on TensorFlow 2\n")
        self.changed(original, f"import tensorflow as {local} -> import tensorflow.compat.v1 as {local}; "
                               f"{local}.disable_eager_execution()")
        return cst.FlattenSentinel([new_import, disable])


class _QualifiedAttributes(cst.CSTVisitor):
    """The qualified names of the Name/Attribute chains a module uses (``tensorflow.placeholder``)."""

    def __init__(self, aliases: Dict[str, str], out: Set[str]) -> None:
        self.aliases, self.out = aliases, out

    def visit_Attribute(self, node: cst.Attribute) -> None:
        q = qualify(node, self.aliases)
        if q:
            self.out.add(q)


@rule("tf1-assign-race", order=170)
class Tf1AssignRace(Rule):
    """catalog: tf1-assign-race: consecutive ``new_w = w.assign(...)`` statements built from the results of
    ``tf.gradients(loss, ...)`` -> the same statements under ``with tf.control_dependencies([loss,
    grad_w1, ...]):`` (reads before writes, on TensorFlow 1.0 to 2.x). Assigns whose gradients the rule
    cannot trace are reported."""

    needs = ("assign",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.grads: Dict[str, str] = {}  # gradient name -> the loss it differentiates
        self.scan(_GradientNames(self.grads, self.aliases))
        self.depth = 0
        self.tf = next((k for k, v in self.aliases.items() if v in ("tensorflow", "tensorflow.compat.v1")), None)

    def visit_With(self, node: cst.With) -> None:
        if "control_dependencies" in _code(node.items[0].item):
            self.depth += 1

    def leave_With(self, original, updated):
        if "control_dependencies" in _code(original.items[0].item):
            self.depth -= 1
        return updated

    def _is_assign(self, stmt: cst.BaseStatement) -> bool:
        return m.matches(stmt, m.SimpleStatementLine(body=[m.Assign(value=m.Call(func=m.Attribute(
            attr=m.Name("assign") | m.Name("assign_sub") | m.Name("assign_add"))))]))

    def _wrap(self, original: Sequence[cst.BaseStatement], body: Sequence[cst.BaseStatement]) -> List[cst.BaseStatement]:
        # positions come from the original nodes (this pass changes nothing else, so they pair up)
        where = list(original) if len(original) == len(body) else list(body)
        out: List[cst.BaseStatement] = []
        i = 0
        while i < len(body):
            if not self._is_assign(body[i]) or self.depth or self.tf is None:
                out.append(body[i])
                i += 1
                continue
            j = i
            while j < len(body) and self._is_assign(body[j]):
                j += 1
            run = list(body[i:j])
            used: List[str] = []
            for stmt in run:
                for name in _names_in(stmt.body[0].value):
                    if name in self.grads and name not in used:
                        used.append(name)
            if not used:
                self.found(where[i], "w.assign(...) fetched with the loss: order it after the reads with "
                                   "tf.control_dependencies([loss, grads...])")
                out.extend(run)
            else:
                losses = [self.grads[g] for g in used if self.grads[g]]
                deps = list(dict.fromkeys(losses[:1] + used))
                head = cst.parse_statement(f"with {self.tf}.control_dependencies([{', '.join(deps)}]):\n    pass\n")
                first = run[0]
                run[0] = first.with_changes(leading_lines=[])
                out.append(head.with_changes(body=head.body.with_changes(body=run), leading_lines=first.leading_lines))
                self.changed(where[i], f"{len(run)} assign(s) under {self.tf}.control_dependencies([{', '.join(deps)}])")
            i = j
        return out

    def leave_Module(self, original, updated):
        return updated.with_changes(body=self._wrap(original.body, updated.body))

    def leave_IndentedBlock(self, original, updated):
        return updated.with_changes(body=self._wrap(original.body, updated.body))


class _GradientNames(cst.CSTVisitor):
    def __init__(self, out: Dict[str, str], aliases: Dict[str, str]) -> None:
        self.out, self.aliases = out, aliases

    def visit_Assign(self, node: cst.Assign) -> None:
        value = node.value
        if not (isinstance(value, cst.Call) and (qualify(value.func, self.aliases) or "").endswith(".gradients")):
            return
        loss = dotted(value.args[0].value) if value.args else None
        for target in node.targets:
            t = target.target
            elements = t.elements if isinstance(t, (cst.Tuple, cst.List)) else [t]
            for e in elements:
                inner = e.value if isinstance(e, cst.Element) else e
                if isinstance(inner, cst.Name):
                    self.out[inner.value] = loss or ""


def _names_in(node: cst.CSTNode) -> List[str]:
    found: List[str] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.append(n.value)

    node.visit(V())
    return found


@rule("tf-contrib", order=30)
class TfContrib(Rule):
    """catalog: tf-contrib (reported): ``tf.contrib.*`` has no TensorFlow 2 spelling; each symbol needs its own
    replacement."""

    needs = ("contrib",)

    rewrites = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        q = self.q(node) or ""
        if re.fullmatch(r"tensorflow(\.compat\.v1)?\.contrib\.\w+(\.\w+)*", q):
            self.found(node, f"{_code(node)}: tf.contrib is gone in TensorFlow 2")
            return False
        return True


@rule("tf1-rnn-keras3", order=40)
class Tf1RnnKeras3(Rule):
    """catalog: tf1-rnn-keras3 (reported): ``tf.nn.rnn_cell.*`` (``tf.contrib.rnn.*``) need Keras 2 on TensorFlow
    2.16+: ``pip install tf_keras`` and ``TF_USE_LEGACY_KERAS=1`` (``python -m shims run`` sets it when
    tf_keras is installed)."""

    needs = ("Cell",)

    rewrites = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        q = self.q(node) or ""
        if re.fullmatch(r"tensorflow(\.compat\.v1)?\.(nn\.rnn_cell|contrib\.rnn)\.\w+Cell", q):
            self.found(node, f"{_code(node)}: a Keras 2 layer; on TensorFlow >= 2.16 needs tf_keras and "
                             "TF_USE_LEGACY_KERAS=1")
            return False
        return True
