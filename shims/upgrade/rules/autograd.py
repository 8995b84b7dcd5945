"""The autograd family: Variable and volatile, legacy autograd Functions (and the half-static ones),
zeroing a grad that is still None, retain_variables=, an optimizer step between two backwards.
"""
from __future__ import annotations

import io
import re
import tokenize
from typing import Dict, List, Sequence, Set

import libcst as cst
import libcst.matchers as m

from shims.upgrade.names import dotted, qualify
from shims.upgrade.rules.base import Rule, _bool, _code, _kw, _method, rule


# ----------------------------------------------------------------------------- variable-volatile
VARIABLE = {"torch.autograd.Variable", "torch.autograd.variable.Variable"}


@rule("variable-volatile", order=70)
class VariableVolatile(Rule):
    """catalog: variable-volatile: ``Variable(x)`` -> ``x``; ``Variable(x, requires_grad=True)`` ->
    ``x.requires_grad_()`` (a fresh tensor) or ``x.detach().requires_grad_()`` (a name: a new leaf
    sharing its data, as Variable made); ``volatile=True`` is dropped (torch ignores it now) and reported:
    the inference it marked needs a ``with torch.no_grad():`` block, whose extent the rule cannot know.
    The import of Variable goes when nothing uses it any more (:class:`DropVariableImport`)."""

    needs = ("Variable",)

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


@rule("variable-volatile", order=190)
class DropVariableImport(Rule):
    """catalog: variable-volatile (cleanup): ``from torch.autograd import Variable`` goes once no ``Variable``
    is left in the module. It reads what :class:`VariableVolatile` left (``last_pass``), and only the
    statements: whether the name is still used is read from the text (:func:`names_in_code`)."""

    needs = ("Variable",)
    last_pass = True

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        local = {k for k, v in self.aliases.items() if v in VARIABLE}
        self.used: Set[str] = names_in_code(self.source, local)

    def on_visit(self, node: cst.CSTNode) -> bool:
        # imports are statements: no need to walk the expressions (most of a module)
        return not isinstance(node, cst.BaseExpression) and super().on_visit(node)

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


def names_in_code(text: str, names: Set[str]) -> Set[str]:
    """Which of ``names`` the code uses outside import statements (comments and strings do not count).
    A word search first: a name found only on import lines, or nowhere, is not used and the text is
    not tokenized (that costs about as much as a parse)."""
    wanted = set()
    for name in names:
        for hit in re.finditer(rf"\b{re.escape(name)}\b", text):
            start = text.rfind("\n", 0, hit.start()) + 1
            if not IMPORT_LINE.match(text, start):
                wanted.add(name)
                break
    used: Set[str] = set()
    if not wanted:
        return used
    at_start, in_import = True, False
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.NEWLINE, tokenize.ENDMARKER) or tok.string == ";":
            at_start, in_import = True, False
        elif tok.type not in (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT):
            if at_start:
                in_import, at_start = tok.type == tokenize.NAME and tok.string in ("import", "from"), False
            if tok.type == tokenize.NAME and tok.string in wanted and not in_import:
                used.add(tok.string)
            elif tok.type == tokenize.STRING and "f" in tok.string[:2].lower():  # an f-string (tokenized whole
                used.update(n for n in wanted if re.search(rf"\b{re.escape(n)}\b", tok.string))  # before 3.12)
    return used


#: a line that starts an import statement
IMPORT_LINE = re.compile(r"[ \t]*(?:from|import)\b")


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


@rule("legacy-autograd-function", "function-instance-backward", order=160)
class LegacyFunction(Rule):
    """catalog: legacy-autograd-function: a Function with ``forward(self, ...)`` -> ``@staticmethod
    forward(ctx, ...)`` (and ``backward`` alike; ``self.save_for_backward`` / ``self.saved_tensors`` ->
    ``ctx....``), and its calls ``MyReLU()(x)`` / ``relu = MyReLU()`` -> ``MyReLU.apply(x)`` /
    ``relu = MyReLU.apply``. Reported instead where that is not safe: an ``__init__`` (state per
    instance), constructor arguments, a method body that uses ``self`` otherwise than through its
    attributes or calls another method. A Function whose forward is static already but whose backward
    is not is the entry function-instance-backward: the same rewrite of backward."""

    needs = ("Function",)

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.classes = _FunctionClasses(self.aliases)
        self.scan(self.classes)

    def scanned(self) -> None:
        scan = self.classes
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


# ---------------------------------------------------------------------------------- grad-none-zero
@rule("grad-none-zero", order=150)
class GradNoneZero(Rule):
    """catalog: grad-none-zero: a line ``w.grad.data.zero_()`` -> ``if w.grad is not None: w.grad.zero_()`` (on
    the same line: before the first backward ``.grad`` is None). Several on one line are reported."""

    needs = (("grad", "data", "zero_"),)

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


@rule("retain-variables", order=120)
class RetainVariables(Rule):
    """catalog: retain-variables: ``.backward(retain_variables=...)`` -> ``.backward(retain_graph=...)``."""

    needs = ("retain_variables",)

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


@rule("optimizer-step-between-backwards", order=10)
class StepBetweenBackwards(Rule):
    """catalog: optimizer-step-between-backwards (reported, never rewritten: the right order depends on which
    losses go through which network): in one block, a ``backward(retain_graph=True)`` (or
    ``retain_variables=True``), then an ``opt.step()``, then another ``backward()``."""

    needs = ("retain_graph", "retain_variables")

    rewrites = False

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
