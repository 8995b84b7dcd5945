"""The upgrade rules: one per catalog entry (the entry's ``rewrite`` field names its rule here).

Each rule is a LibCST transformer over one module. It either *rewrites* the old form into the
entry's ``new`` (comments and formatting around it kept) or, where no rewrite is safe, *reports* each
place it finds the old form (``found``): the report then names the entry's fix and docs section.
A rule rewrites only what it can prove from the text: imported names are resolved (``F`` must be
``torch.nn.functional``), literal arguments only; anything else it reports.

:data:`RULES` maps rule names to classes; :data:`ORDER` is the order the engine applies them (rules
that add or remove lines last; the engine maps every finding back to the line of the original text).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Type

import libcst as cst
import libcst.matchers as m
from libcst.metadata import PositionProvider

from shims.upgrade.names import dotted, imports_of, local_name_for, qualify


@dataclass
class Finding:
    """One place a rule acted on: ``changed`` (rewritten) or ``found`` (left for the user); with a target
    torch (:mod:`shims.upgrade.target`) also ``not_rewritten`` (its new form is newer than that torch)
    or ``kept`` (the old form still works there)."""
    line: int
    change_id: str
    action: str
    what: str


class Rule(cst.CSTTransformer):
    """Base: a transformer that records findings, with the names the module imports resolved.

    ``self.targets`` holds the ids of the nodes written to (assignment, ``del`` and loop targets): a rule
    never turns one into a call (``w.data[0] = 1`` is not ``w.item() = 1``)."""

    #: the rule's name (the catalog's ``rewrite`` value) and the entry it belongs to
    name = ""
    change_id = ""
    #: False: the rule only reports (no rewrite is safe)
    rewrites = True
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.aliases = imports_of(module)
        self.findings: List[Finding] = []
        self.targets: Set[int] = set()
        #: with a target torch, the engine sets this to ``Target.new_form_missing``: an entry id -> the
        #: new_since of a new form the target lacks (None: writable); for a rule whose rewrite uses
        #: another entry's new form (size_average writes reduction-elementwise-mean's 'mean')
        self.missing: Callable[[str], Optional[str]] = lambda change_id: None
        self.target_label = ""

    def _mark(self, node: cst.CSTNode) -> None:
        self.targets.add(id(node))
        if isinstance(node, (cst.Tuple, cst.List)):
            for element in node.elements:
                self._mark(element.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._mark(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._mark(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._mark(node.target)

    def visit_Del(self, node: cst.Del) -> None:
        self._mark(node.target)

    def _line(self, node: cst.CSTNode) -> int:
        try:
            return self.get_metadata(PositionProvider, node).start.line
        except KeyError:
            return 0

    def changed(self, node: cst.CSTNode, what: str, change_id: Optional[str] = None) -> None:
        self.findings.append(Finding(self._line(node), change_id or self.change_id, "changed", what))

    def found(self, node: cst.CSTNode, what: str, change_id: Optional[str] = None) -> None:
        self.findings.append(Finding(self._line(node), change_id or self.change_id, "found", what))

    def not_rewritten(self, node: cst.CSTNode, what: str, since: str, change_id: Optional[str] = None) -> None:
        self.findings.append(Finding(self._line(node), change_id or self.change_id, "not_rewritten",
                                     not_rewritten_text(self.target_label, what, since)))

    def q(self, node: cst.CSTNode) -> Optional[str]:
        return qualify(node, self.aliases)


def not_rewritten_text(target: str, what: str, since: str) -> str:
    """The report's words for a rewrite the target torch cannot take."""
    return f"not rewritten for torch {target}: {what} needs torch >= {since}"


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _bool(expr: cst.BaseExpression) -> Optional[bool]:
    if isinstance(expr, cst.Name) and expr.value in ("True", "False"):
        return expr.value == "True"
    return None


def _kw(call: cst.Call, name: str) -> Optional[cst.Arg]:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def _method(base: cst.BaseExpression, name: str, args: Sequence[cst.Arg] = ()) -> cst.Call:
    """``base.name(args)``, with parentheses around a base that needs them."""
    if not isinstance(base, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) and not base.lpar:
        base = base.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return cst.Call(func=cst.Attribute(value=base, attr=cst.Name(name)), args=list(args))


def _last_arg_clean(args: List[cst.Arg]) -> List[cst.Arg]:
    """Drop a trailing comma left on the new last argument (``f(a, b=1)`` minus ``b`` -> ``f(a)``)."""
    if args and args[-1].comma is not cst.MaybeSentinel.DEFAULT:
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return args


# ----------------------------------------------------------------------------- variable-volatile
VARIABLE = {"torch.autograd.Variable", "torch.autograd.variable.Variable"}


class VariableVolatile(Rule):
    """catalog: variable-volatile: ``Variable(x)`` -> ``x``; ``Variable(x, requires_grad=True)`` ->
    ``x.requires_grad_()`` (a fresh tensor) or ``x.detach().requires_grad_()`` (a name: a new leaf
    sharing its data, as Variable made); ``volatile=True`` is dropped (torch ignores it now) and reported:
    the inference it marked needs a ``with torch.no_grad():`` block, whose extent the rule cannot know.
    The import of Variable goes when nothing uses it any more (:class:`DropVariableImport`)."""

    name, change_id = "variable_volatile", "variable-volatile"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if self.q(updated.func) not in VARIABLE:
            return updated
        positional = [a for a in updated.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a for a in updated.args if a.keyword is not None}
        if len(positional) != 1 or len(updated.args) != 1 + len(keywords) or set(keywords) - {"requires_grad", "volatile"}:
            self.found(original, f"{_code(original)}: not a form the rule can rewrite")
            return updated
        data = positional[0].value
        requires = _bool(keywords["requires_grad"].value) if "requires_grad" in keywords else False
        if requires is None:
            self.found(original, "Variable(..., requires_grad=<not a literal>): write x.requires_grad_(flag)")
            return updated
        if "volatile" in keywords and _bool(keywords["volatile"].value) is not False:
            self.found(original, "volatile=True dropped (it has no effect on current torch): put this inference under "
                                 "`with torch.no_grad():`")
        if requires:
            base = data if not isinstance(data, (cst.Name, cst.Attribute)) else _method(data, "detach")
            new: cst.BaseExpression = _method(base, "requires_grad_")
        else:
            new = data.with_changes(lpar=[], rpar=[]) if isinstance(data, (cst.Name, cst.Attribute, cst.Call)) else data
        self.changed(original, f"{_code(original)} -> {_code(new)}")
        return new


class DropVariableImport(Rule):
    """catalog: variable-volatile (cleanup): ``from torch.autograd import Variable`` goes once no ``Variable``
    is left in the module (run after :class:`VariableVolatile`)."""

    name, change_id = "variable_volatile_import", "variable-volatile"

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        self.used: Set[str] = set()
        module.visit(_NameCounter(self.used))

    def leave_ImportFrom(self, original: cst.ImportFrom, updated: cst.ImportFrom):
        if isinstance(updated.names, cst.ImportStar) or updated.module is None:
            return updated
        if dotted(updated.module) not in ("torch.autograd", "torch.autograd.variable"):
            return updated
        keep = []
        for alias in updated.names:
            local = alias.asname.name.value if alias.asname is not None else dotted(alias.name)
            if dotted(alias.name) == "Variable" and local not in self.used:
                continue
            keep.append(alias)
        if len(keep) == len(updated.names):
            return updated
        if not keep:
            return cst.RemovalSentinel.REMOVE
        return updated.with_changes(names=_last_alias_clean(keep))

    def leave_SimpleStatementLine(self, original, updated):
        if not updated.body:  # the import was its only statement
            return cst.RemovalSentinel.REMOVE
        return updated


def _last_alias_clean(names: List[cst.ImportAlias]) -> List[cst.ImportAlias]:
    names = list(names)
    names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return names


class _NameCounter(cst.CSTVisitor):
    """Names used outside import statements."""

    def __init__(self, used: Set[str]) -> None:
        self.used = used

    def visit_Import(self, node) -> bool:
        return False

    def visit_ImportFrom(self, node) -> bool:
        return False

    def visit_Name(self, node: cst.Name) -> None:
        self.used.add(node.value)


# ---------------------------------------------------------------------------------- zero-dim-index
class DataIndexItem(Rule):
    """catalog: zero-dim-index: ``x.data[0]`` -> ``x.item()`` (a 0-dim tensor has no index 0; ``.item()`` reads
    the number, as ``[0]`` did on the old shape-(1,) results; on a tensor of several elements it
    raises instead of reading the first, never silently). And, in a script with no autograd at all
    (no backward, Variable or requires_grad: the tutorial's "tensors" example), ``loss = e.sum()``
    whose name is printed -> ``e.sum().item()``: a reduction of a plain tensor gave a Python number up
    to 0.3, and printing it showed the number."""

    name, change_id = "data_index_item", "zero-dim-index"

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        code = module.code
        self.no_autograd = not re.search(r"\.backward\(|requires_grad|\bVariable\b|autograd", code)
        self.printed: Set[str] = set()
        self.rows: Set[int] = set()
        module.visit(_PrintedNames(self.printed))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        # x.data[0][0]: the inner [0] is a row, not a number; a 0-dim result of the whole works today
        if isinstance(node.value, cst.Subscript):
            self.rows.add(id(node.value))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if id(original) in self.rows or id(original) in self.targets:
            return updated
        if m.matches(updated, m.Subscript(value=m.Attribute(attr=m.Name("data")),
                                          slice=[m.SubscriptElement(slice=m.Index(value=m.Integer("0")))])):
            new = _method(updated.value.value, "item")
            self.changed(original, f"{_code(original)} -> {_code(new)}")
            return new
        return updated

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        if not self.no_autograd or len(updated.targets) != 1 or not isinstance(updated.targets[0].target, cst.Name):
            return updated
        if updated.targets[0].target.value not in self.printed:
            return updated
        if m.matches(updated.value, m.Call(func=m.Attribute(attr=m.Name("sum") | m.Name("mean")), args=[])):
            new = _method(updated.value, "item")
            self.changed(original, f"{_code(updated.value)} -> {_code(new)} (printed as a number, as the old releases did)")
            return updated.with_changes(value=new)
        return updated


class _PrintedNames(cst.CSTVisitor):
    def __init__(self, out: Set[str]) -> None:
        self.out = out

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "print":
            for arg in node.args:
                if isinstance(arg.value, cst.Name):
                    self.out.add(arg.value.value)


# ------------------------------------------------------------------------------------ size-average
def _reduction(size_average: Optional[bool], reduce: Optional[bool]) -> str:
    """torch's own translation (torch.nn._reduction.legacy_get_string): reduce=False wins."""
    if reduce is False:
        return "none"
    if size_average is False:
        return "sum"
    return "mean"


class SizeAverage(Rule):
    """catalog: size-average: ``size_average=`` / ``reduce=`` (literal booleans) of a torch loss (``nn.MSELoss``,
    ``F.mse_loss``, ...) -> ``reduction='sum' | 'mean' | 'none'``, torch's own translation of the pair; a
    non-literal value is reported."""

    name, change_id = "size_average", "size-average"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        sa, rd = _kw(updated, "size_average"), _kw(updated, "reduce")
        if sa is None and rd is None or not (self.q(updated.func) or "").startswith("torch."):
            return updated  # torch's losses only (another library's size_average means something else)
        values = [None if a is None else _bool(a.value) for a in (sa, rd)]
        if any(a is not None and v is None for a, v in zip((sa, rd), values)) or _kw(updated, "reduction"):
            self.found(original, f"{_code(original)}: size_average/reduce not literal booleans")
            return updated
        value = _reduction(*values)
        since = self.missing("reduction-elementwise-mean") if value == "mean" else None
        if since is not None:  # 'mean' is 1.0's name (0.4.1 called it 'elementwise_mean')
            self.not_rewritten(original, f"{' '.join(_code(a).rstrip(', ') for a in (sa, rd) if a)} -> "
                                         f"reduction='mean'", since)
            return updated
        args, placed = [], False
        for arg in updated.args:
            if arg is sa or arg is rd:
                if not placed:
                    args.append(arg.with_changes(keyword=cst.Name("reduction"), value=cst.SimpleString(f"'{value}'")))
                    placed = True
                continue
            args.append(arg)
        new = updated.with_changes(args=_last_arg_clean(args))
        self.changed(original, f"{' '.join(_code(a).rstrip(', ') for a in (sa, rd) if a)} -> reduction='{value}'")
        return new


class ReductionElementwiseMean(Rule):
    """catalog: reduction-elementwise-mean: ``reduction='elementwise_mean'`` -> ``reduction='mean'`` (same number)."""

    name, change_id = "reduction_elementwise_mean", "reduction-elementwise-mean"

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        if updated.keyword is not None and updated.keyword.value == "reduction" and \
                isinstance(updated.value, cst.SimpleString) and updated.value.evaluated_value == "elementwise_mean":
            quote = updated.value.quote
            self.changed(original, "reduction='elementwise_mean' -> reduction='mean'")
            return updated.with_changes(value=cst.SimpleString(f"{quote}mean{quote}"))
        return updated


# --------------------------------------------------------- legacy-autograd-function (+ half-static)
FUNCTION = {"torch.autograd.Function", "torch.autograd.function.Function"}
#: what a legacy Function did with ``self`` that the ctx object offers too
CTX_ATTRS = {"save_for_backward", "saved_tensors", "mark_dirty", "mark_non_differentiable", "needs_input_grad",
             "saved_variables", "set_materialize_grads"}


def _is_static(fn: cst.FunctionDef) -> bool:
    return any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in fn.decorators)


class _SelfUses(cst.CSTVisitor):
    """How a method body uses its first parameter: only as ``self.attr`` is convertible."""

    def __init__(self, name: str, methods: Set[str]) -> None:
        self.name, self.methods, self.problem = name, methods, None

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        if isinstance(node.value, cst.Name) and node.value.value == self.name:
            if node.attr.value in self.methods:
                self.problem = f"calls self.{node.attr.value}(), another method of the instance"
            return False
        return True

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name and self.problem is None:
            self.problem = "uses `self` itself, not only its attributes"


class _FunctionClasses(cst.CSTVisitor):
    """Pre-scan: the Function subclasses, which methods need converting, and whether that is safe."""

    def __init__(self, aliases: Dict[str, str]) -> None:
        self.aliases = aliases
        self.plan: Dict[str, Dict[str, object]] = {}
        self.instantiated_with_args: Set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not any(qualify(b.value, self.aliases) in FUNCTION for b in node.bases):
            return
        methods = {s.name.value: s for s in node.body.body if isinstance(s, cst.FunctionDef)}
        convert = [n for n in ("forward", "backward") if n in methods and not _is_static(methods[n])]
        problem = None
        if "__init__" in methods and "forward" in convert:
            problem = "defines __init__ (per-instance state), which a static Function cannot keep"
        for n in convert:
            params = methods[n].params.params
            if not params:
                problem = problem or f"{n}() takes no self"
                continue
            uses = _SelfUses(params[0].name.value, set(methods) - {"forward", "backward"})
            methods[n].body.visit(uses)
            problem = problem or (f"{n}: {uses.problem}" if uses.problem else None)
        self.plan[node.name.value] = {"convert": convert, "problem": problem, "legacy": "forward" in convert}

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.args:
            self.instantiated_with_args.add(node.func.value)


class _RenameSelf(cst.CSTTransformer):
    def __init__(self, old: str) -> None:
        self.old = old

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value="ctx") if updated.value == self.old else updated


class LegacyFunction(Rule):
    """catalog: legacy-autograd-function: a Function with ``forward(self, ...)`` -> ``@staticmethod
    forward(ctx, ...)`` (and ``backward`` alike; ``self.save_for_backward`` / ``self.saved_tensors`` ->
    ``ctx....``), and its calls ``MyReLU()(x)`` / ``relu = MyReLU()`` -> ``MyReLU.apply(x)`` /
    ``relu = MyReLU.apply``. Reported instead where that is not safe: an ``__init__`` (state per
    instance), constructor arguments, a method body that uses ``self`` otherwise than through its
    attributes or calls another method. A Function whose forward is static already but whose backward
    is not is the entry function-instance-backward: the same rewrite of backward."""

    name, change_id = "legacy_function", "legacy-autograd-function"

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        scan = _FunctionClasses(self.aliases)
        module.visit(scan)
        self.plan = scan.plan
        for cls in scan.instantiated_with_args:
            plan = self.plan.get(cls)
            if plan and plan["legacy"] and not plan["problem"]:
                plan["problem"] = "is constructed with arguments (per-instance state)"
        self.converted = {c for c, p in self.plan.items() if p["legacy"] and not p["problem"]}

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        plan = self.plan.get(updated.name.value)
        if not plan or not plan["convert"]:
            return updated
        change_id = "legacy-autograd-function" if plan["legacy"] else "function-instance-backward"
        if plan["problem"]:
            self.found(original, f"class {updated.name.value}: non-static {' and '.join(plan['convert'])}; not "
                                 f"rewritten: it {plan['problem']}", change_id)
            return updated
        body = []
        for stmt in updated.body.body:
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value in plan["convert"]:
                stmt = self._static(stmt)
            body.append(stmt)
        self.changed(original, f"class {updated.name.value}: {' and '.join(plan['convert'])} -> @staticmethod "
                               f"(self -> ctx)", change_id)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    @staticmethod
    def _static(fn: cst.FunctionDef) -> cst.FunctionDef:
        first = fn.params.params[0]
        old = first.name.value
        params = [first.with_changes(name=cst.Name("ctx"))] + list(fn.params.params[1:])
        body = fn.body.visit(_RenameSelf(old)) if old != "ctx" else fn.body
        # the decorator takes the function's leading lines (blank lines, comments above it)
        decorator = cst.Decorator(decorator=cst.Name("staticmethod"), leading_lines=fn.leading_lines)
        return fn.with_changes(params=fn.params.with_changes(params=params), body=body,
                               decorators=[decorator, *fn.decorators], leading_lines=[])

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if isinstance(updated.func, cst.Name) and updated.func.value in self.converted and not updated.args:
            new = cst.Attribute(value=updated.func, attr=cst.Name("apply"))
            self.changed(original, f"{updated.func.value}() -> {updated.func.value}.apply")
            return new
        return updated


# ------------------------------------------------------------------------------ legacy-tensor-types
TENSOR_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
                "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16", "ByteTensor": "uint8",
                "CharTensor": "int8"}


class LegacyTensorTypes(Rule):
    """catalog: legacy-tensor-types: ``x.type(torch.FloatTensor)`` -> ``x.to("cpu", torch.float32)`` and
    ``x.type(torch.cuda.FloatTensor)`` -> ``x.to("cuda", torch.float32)`` (the same device and dtype,
    spelled apart). A type object held in a variable (``dtype = torch.FloatTensor``) still works on
    current torch and is left as it is."""

    name, change_id = "legacy_tensor_types", "legacy-tensor-types"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        if not (isinstance(updated.func, cst.Attribute) and updated.func.attr.value == "type" and len(updated.args) == 1
                and updated.args[0].keyword is None):
            return updated
        target = self.q(updated.args[0].value) or ""
        match = re.fullmatch(r"torch\.(cuda\.)?(\w+Tensor)", target)
        torch_name = local_name_for(self.aliases, "torch")
        if not match or match.group(2) not in TENSOR_TYPES or torch_name is None:
            return updated
        device = "cuda" if match.group(1) else "cpu"
        dtype = cst.Attribute(value=cst.Name(torch_name), attr=cst.Name(TENSOR_TYPES[match.group(2)]))
        new = updated.with_changes(func=updated.func.with_changes(attr=cst.Name("to")),
                                   args=[cst.Arg(cst.SimpleString(f'"{device}"'), comma=cst.Comma(
                                       whitespace_after=cst.SimpleWhitespace(" "))), cst.Arg(dtype)])
        self.changed(original, f".type({_code(updated.args[0].value)}) -> .to(\"{device}\", {_code(dtype)})")
        return new


# ---------------------------------------------------------------------------------- grad-none-zero
class GradNoneZero(Rule):
    """catalog: grad-none-zero: a line ``w.grad.data.zero_()`` -> ``if w.grad is not None: w.grad.zero_()`` (on
    the same line: before the first backward ``.grad`` is None). Several on one line are reported."""

    name, change_id = "grad_none_zero", "grad-none-zero"
    PATTERN = m.Expr(value=m.Call(func=m.Attribute(value=m.Attribute(value=m.Attribute(attr=m.Name("grad")),
                                                                     attr=m.Name("data")), attr=m.Name("zero_")),
                                  args=[]))

    def leave_SimpleStatementSuite(self, original: cst.SimpleStatementSuite, updated: cst.SimpleStatementSuite):
        # `if t > 0: w.grad.data.zero_()`: already guarded somehow; whether enough, only the reader knows
        if any(m.matches(s, self.PATTERN) for s in updated.body):
            self.found(original, "w.grad.data.zero_() after a colon on one line: check it cannot run before the "
                                 "first backward (write `if w.grad is not None: w.grad.zero_()`)")
        return updated

    def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine, updated: cst.SimpleStatementLine):
        hits = [s for s in updated.body if m.matches(s, self.PATTERN)]
        if not hits:
            return updated
        if len(updated.body) != 1:
            self.found(original, "w.grad.data.zero_() on a line with other statements: guard each with "
                                 "`if w.grad is not None:`")
            return updated
        grad = hits[0].value.func.value.value  # w.grad
        call = cst.Call(func=cst.Attribute(value=grad, attr=cst.Name("zero_")))
        test = cst.Comparison(left=grad, comparisons=[cst.ComparisonTarget(cst.IsNot(), cst.Name("None"))])
        new = cst.If(test=test, body=cst.SimpleStatementSuite(body=[cst.Expr(call)],
                                                                trailing_whitespace=updated.trailing_whitespace),
                     leading_lines=updated.leading_lines)
        self.changed(original, f"{_code(hits[0].value)} -> if {_code(grad)} is not None: {_code(call)}")
        return new


# ------------------------------------------------------------------------------- tf1-graph-on-tf2
#: TensorFlow 1 names whose use marks graph code (tensorflow.<name>)
GRAPH_ONLY = {"placeholder", "Session", "InteractiveSession", "global_variables_initializer", "set_random_seed",
              "random_normal", "get_variable", "variable_scope", "initialize_all_variables", "gradients"}


class Tf1CompatV1(Rule):
    """catalog: tf1-graph-on-tf2: ``import tensorflow as tf`` in a file that builds a TF1 graph (tf.placeholder,
    tf.Session, tf.gradients, ...) -> ``import tensorflow.compat.v1 as tf`` and
    ``tf.disable_eager_execution()`` on the next line: the graph API under TensorFlow 2 (and 1.13+). A
    file that already mentions ``compat.v1`` or ``disable_eager_execution`` chose its API: left alone."""

    name, change_id = "tf1_compat_v1", "tf1-graph-on-tf2"

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        used: Set[str] = set()
        module.visit(_QualifiedAttributes(self.aliases, used))
        # the graph API used in the code (not named in a comment or a docstring)
        self.graph_code = any(q.startswith("tensorflow.") and q.split(".")[1] in GRAPH_ONLY for q in used)
        # code that already chooses its TensorFlow API (tf.compat.v1, disable_eager_execution) is left alone
        self.handled = bool(re.search(r"compat\.v1|disable_eager_execution|disable_v2_behavior", module.code))

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


class Tf1AssignRace(Rule):
    """catalog: tf1-assign-race: consecutive ``new_w = w.assign(...)`` statements built from the results of
    ``tf.gradients(loss, ...)`` -> the same statements under ``with tf.control_dependencies([loss,
    grad_w1, ...]):`` (reads before writes, on TensorFlow 1.0 to 2.x). Assigns whose gradients the rule
    cannot trace are reported."""

    name, change_id = "tf1_assign_race", "tf1-assign-race"

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        self.grads: Dict[str, str] = {}  # gradient name -> the loss it differentiates
        module.visit(_GradientNames(self.grads, self.aliases))
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


# ----------------------------------------------------------------------- real 2017-2018 code: torch
TENSORDATASET = {"torch.utils.data.TensorDataset", "torch.utils.data.dataset.TensorDataset"}


class TensorDatasetPositional(Rule):
    """catalog: tensordataset-kwargs: ``TensorDataset(data_tensor=x, target_tensor=y)`` -> ``TensorDataset(x, y)``."""

    name, change_id = "tensordataset_positional", "tensordataset-kwargs"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        if self.q(updated.func) not in TENSORDATASET:
            return updated
        data, target = _kw(updated, "data_tensor"), _kw(updated, "target_tensor")
        if data is None and target is None:
            return updated
        if len(updated.args) != len([a for a in (data, target) if a]):
            self.found(original, "TensorDataset with data_tensor=/target_tensor= and other arguments")
            return updated
        args = [cst.Arg(a.value) for a in (data, target) if a]
        if len(args) == 2:
            args[0] = args[0].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        self.changed(original, "TensorDataset(data_tensor=, target_tensor=) -> positional")
        return updated.with_changes(args=args)


class RetainVariables(Rule):
    """catalog: retain-variables: ``.backward(retain_variables=...)`` -> ``.backward(retain_graph=...)``."""

    name, change_id = "retain_variables", "retain-variables"

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        func = dotted(updated.func) or (updated.func.attr.value if isinstance(updated.func, cst.Attribute) else "")
        if not func.endswith("backward"):
            return updated
        arg = _kw(updated, "retain_variables")
        if arg is None:
            return updated
        self.changed(original, "retain_variables= -> retain_graph=")
        return updated.with_changes(args=[a.with_changes(keyword=cst.Name("retain_graph")) if a is arg else a
                                          for a in updated.args])


class FunctionalSigmoidTanh(Rule):
    """catalog: functional-sigmoid-tanh: ``F.sigmoid`` / ``F.tanh`` -> ``torch.sigmoid`` / ``torch.tanh`` (where
    ``torch`` itself is imported; otherwise reported)."""

    name, change_id = "functional_sigmoid_tanh", "functional-sigmoid-tanh"

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        target = self.q(updated)
        if target not in ("torch.nn.functional.sigmoid", "torch.nn.functional.tanh"):
            return updated
        torch_name = local_name_for(self.aliases, "torch")
        fn = target.rsplit(".", 1)[1]
        if torch_name is None:
            self.found(original, f"{_code(original)}: write torch.{fn} (add `import torch`)")
            return updated
        self.changed(original, f"{_code(original)} -> {torch_name}.{fn}")
        return cst.Attribute(value=cst.Name(torch_name), attr=cst.Name(fn))


class ZeroDimIteration(Rule):
    """catalog: zero-dim-iteration: ``x.data.numpy()[0]`` (and ``.data.cpu().numpy()[0]``) -> ``x.item()``; reported,
    not rewritten: ``for a, b in zip(X, Y)`` / ``for a in X`` over tensors (each element is 0-dim now:
    where a batch dimension is needed it must be given back, and only the reader knows where), and
    ``torch.cat`` of integer-indexed elements (``torch.stack`` or slices)."""

    name, change_id = "zero_dim_iteration", "zero-dim-iteration"

    def __init__(self, module: cst.Module) -> None:
        super().__init__(module)
        self.tensors: Set[str] = set()
        module.visit(_TensorNames(self.tensors, self.aliases))

    def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript) -> cst.BaseExpression:
        if id(original) in self.targets:
            return updated
        numpy_of_data = m.Call(func=m.Attribute(attr=m.Name("numpy"), value=m.Attribute(attr=m.Name("data")) | m.Call(
            func=m.Attribute(attr=m.Name("cpu"), value=m.Attribute(attr=m.Name("data"))))), args=[])
        if m.matches(updated, m.Subscript(value=numpy_of_data,
                                          slice=[m.SubscriptElement(slice=m.Index(value=m.Integer("0")))])):
            inner = updated.value.func.value
            base = inner.value if isinstance(inner, cst.Attribute) else inner.func.value.value
            new = _method(base, "item")
            self.changed(original, f"{_code(original)} -> {_code(new)}")
            return new
        return updated

    def visit_For(self, node: cst.For) -> None:
        it = node.iter
        names = []
        if isinstance(it, cst.Call) and dotted(it.func) == "zip":
            names = [_base_name(a.value) for a in it.args]
        else:
            names = [_base_name(it)]
        if any(n in self.tensors for n in names if n):
            self.found(node, f"for ... in {_code(it)}: iterating a tensor gives 0-dim elements; give each the "
                             f"dimension it needs (y.view(1), x.unsqueeze(0)) or use a DataLoader")

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) == "torch.cat" and node.args and isinstance(node.args[0].value, (cst.List, cst.Tuple)):
            if any(m.matches(e.value, m.Subscript(slice=[m.SubscriptElement(slice=m.Index(value=m.Integer() | m.Name()))]))
                   for e in node.args[0].value.elements):
                self.found(node, "torch.cat of indexed elements (0-dim now): torch.stack, or slices x[i:i+1]")


def _base_name(expr: cst.BaseExpression) -> Optional[str]:
    """``data`` for ``data``, ``data[:-1]``, ``data[1:]`` (what a loop iterates over); None otherwise."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None


class _TensorNames(cst.CSTVisitor):
    """Names assigned from a torch call (torch.randn, torch.from_numpy, Variable(...)), module-wide."""

    def __init__(self, out: Set[str], aliases: Dict[str, str]) -> None:
        self.out, self.aliases = out, aliases

    def visit_Assign(self, node: cst.Assign) -> None:
        v = node.value
        if isinstance(v, cst.Call):
            q = qualify(v.func, self.aliases) or ""
            inner = v.func.value if isinstance(v.func, cst.Attribute) else None
            if not q.startswith("torch.") and isinstance(inner, cst.Call):
                q = qualify(inner.func, self.aliases) or ""   # torch.randn(...).type(dtype)
            if q.startswith("torch.") and not q.startswith(("torch.nn.", "torch.optim", "torch.utils")):
                for t in node.targets:
                    if isinstance(t.target, cst.Name):
                        self.out.add(t.target.value)


#: a %-conversion: its type letter is group 1 (``%%`` is not a conversion)
CONVERSION = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])")
NUMERIC = set("diouxXeEfFgGc")


def _conversions(template: cst.BaseExpression) -> Optional[List[str]]:
    """The type letters of a literal %-template, in order; None where it is not a plain literal."""
    try:
        text = template.evaluated_value if isinstance(template, (cst.SimpleString, cst.ConcatenatedString)) else None
    except Exception:  # noqa: BLE001 - an f-string part or bytes: not ours to read
        return None
    if not isinstance(text, str):
        return None
    return [c for c in CONVERSION.findall(text) if c != "%"]


class NumpyNdimScalar(Rule):
    """catalog: numpy-ndim-scalar: ``"%.2f" % w.numpy()`` (each ``.numpy()`` of a ``%`` tuple in a numeric
    conversion, ``float(x.numpy())``, ``int(x.numpy())``) -> ``.numpy().item()``: the old code worked only
    on one-element arrays, where ``.item()`` reads the same number. A ``%s`` conversion printed any
    array and is left as it is."""

    name, change_id = "numpy_ndim_scalar", "numpy-ndim-scalar"
    NUMPY = m.Call(func=m.Attribute(attr=m.Name("numpy")), args=[])

    def _item(self, expr: cst.BaseExpression) -> Tuple[cst.BaseExpression, bool]:
        if m.matches(expr, self.NUMPY):
            return _method(expr, "item"), True
        return expr, False

    def leave_BinaryOperation(self, original, updated):
        if not isinstance(updated.operator, cst.Modulo):
            return updated
        kinds = _conversions(updated.left)
        if not kinds:
            return updated
        right, hit = updated.right, False
        if isinstance(right, cst.Tuple):
            if len(right.elements) != len(kinds):
                return updated
            elements = []
            for e, kind in zip(right.elements, kinds):
                value, h = self._item(e.value) if kind in NUMERIC else (e.value, False)
                hit = hit or h
                elements.append(e.with_changes(value=value))
            right = right.with_changes(elements=elements)
        elif len(kinds) == 1 and kinds[0] in NUMERIC:
            right, hit = self._item(right)
        if hit:
            self.changed(original, "\"%...\" % x.numpy() -> x.numpy().item()")
            return updated.with_changes(right=right)
        return updated

    def leave_Call(self, original, updated):
        if isinstance(updated.func, cst.Name) and updated.func.value in ("float", "int") and len(updated.args) == 1:
            value, hit = self._item(updated.args[0].value)
            if hit:
                self.changed(original, f"{updated.func.value}(x.numpy()) -> {updated.func.value}(x.numpy().item())")
                return updated.with_changes(args=[updated.args[0].with_changes(value=value)])
        return updated


class StepBetweenBackwards(Rule):
    """catalog: optimizer-step-between-backwards (reported, never rewritten: the right order depends on which
    losses go through which network): in one block, a ``backward(retain_graph=True)`` (or
    ``retain_variables=True``), then an ``opt.step()``, then another ``backward()``."""

    name, change_id, rewrites = "step_between_backwards", "optimizer-step-between-backwards", False

    def _scan(self, body: Sequence[cst.BaseStatement]) -> None:
        retained, stepped = False, None
        for stmt in body:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                call = small.value if isinstance(small, cst.Expr) else None
                if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                    continue
                attr = call.func.attr.value
                if attr == "backward":
                    keep = _kw(call, "retain_graph") or _kw(call, "retain_variables")
                    if stepped is not None:
                        self.found(stepped, f"{_code(stepped.body[0].value) if isinstance(stepped.body[0], cst.Expr) else 'step()'} "
                                            "between two backward passes over one graph: run both backwards first")
                        retained, stepped = False, None
                    if keep is not None and _bool(keep.value):
                        retained = True
                elif attr == "step" and retained and not call.args:
                    stepped = stmt

    def visit_Module(self, node: cst.Module) -> None:
        self._scan(node.body)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._scan(node.body)


class TorchLoadWeightsOnly(Rule):
    """catalog: torch-load-weights-only (reported): ``torch.load(f)`` without ``weights_only=``: on torch >= 2.6 it
    loads only tensors and plain containers; whether the file holds more only the user knows, and
    ``weights_only=False`` runs arbitrary code from an untrusted file."""

    name, change_id, rewrites = "torch_load_weights_only", "torch-load-weights-only", False

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) == "torch.load" and _kw(node, "weights_only") is None:
            self.found(node, "torch.load without weights_only=: fails on torch >= 2.6 if the file holds more "
                             "than tensors (pass weights_only=False for a file you trust)")


class TfContrib(Rule):
    """catalog: tf-contrib (reported): ``tf.contrib.*`` has no TensorFlow 2 spelling; each symbol needs its own
    replacement."""

    name, change_id, rewrites = "tf_contrib", "tf-contrib", False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        q = self.q(node) or ""
        if re.fullmatch(r"tensorflow(\.compat\.v1)?\.contrib\.\w+(\.\w+)*", q):
            self.found(node, f"{_code(node)}: tf.contrib is gone in TensorFlow 2")
            return False
        return True


class Tf1RnnKeras3(Rule):
    """catalog: tf1-rnn-keras3 (reported): ``tf.nn.rnn_cell.*`` (``tf.contrib.rnn.*``) need Keras 2 on TensorFlow
    2.16+: ``pip install tf_keras`` and ``TF_USE_LEGACY_KERAS=1`` (``python -m shims run`` sets it when
    tf_keras is installed)."""

    name, change_id, rewrites = "tf1_rnn_keras3", "tf1-rnn-keras3", False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        q = self.q(node) or ""
        if re.fullmatch(r"tensorflow(\.compat\.v1)?\.(nn\.rnn_cell|contrib\.rnn)\.\w+Cell", q):
            self.found(node, f"{_code(node)}: a Keras 2 layer; on TensorFlow >= 2.16 needs tf_keras and "
                             "TF_USE_LEGACY_KERAS=1")
            return False
        return True


class TargetSizeBroadcast(Rule):
    """catalog: target-size-broadcast (reported at run time only): the shapes of a loss's input and target are
    known only when the script runs; ``python -m shims run`` reports torch's warning with the line.
    Statically this rule finds nothing, and the report says that it was not checked."""

    name, change_id, rewrites = "target_size_broadcast", "target-size-broadcast", False
    static = False


#: rule name (the catalog's ``rewrite`` value) -> rule
RULES: Dict[str, Type[Rule]] = {cls.name: cls for cls in (
    VariableVolatile, DataIndexItem, SizeAverage, ReductionElementwiseMean, LegacyFunction, LegacyTensorTypes,
    GradNoneZero, Tf1CompatV1, Tf1AssignRace, TensorDatasetPositional, RetainVariables, FunctionalSigmoidTanh,
    ZeroDimIteration, NumpyNdimScalar, StepBetweenBackwards, TorchLoadWeightsOnly, TfContrib, Tf1RnnKeras3,
    TargetSizeBroadcast)}
#: function-instance-backward is the same rewrite as legacy-autograd-function (LegacyFunction's docstring)
RULES["function_instance_backward"] = LegacyFunction

#: the order the engine applies them: reports and same-line rewrites first, then the rules that add or
#: remove lines (the engine maps each finding back to the original line anyway)
ORDER: Tuple[Type[Rule], ...] = (
    StepBetweenBackwards, TorchLoadWeightsOnly, TfContrib, Tf1RnnKeras3, ZeroDimIteration, DataIndexItem,
    VariableVolatile, SizeAverage, ReductionElementwiseMean, LegacyTensorTypes, TensorDatasetPositional,
    RetainVariables, FunctionalSigmoidTanh, NumpyNdimScalar, GradNoneZero, LegacyFunction, Tf1AssignRace,
    Tf1CompatV1, DropVariableImport)

#: rules that cannot look at the text (they act when the script runs)
RUNTIME_ONLY: Tuple[Type[Rule], ...] = (TargetSizeBroadcast,)
