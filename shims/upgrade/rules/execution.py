"""The execution family: how a script runs its work: deterministic algorithms, checkpoint_sequential's
inputs, in-place writes into expanded tensors, torch.hub's download function.

cuda-async-kwarg has no rule: ``x.cuda(async=True)`` does not parse on Python 3.7+ (nor in LibCST),
so the upgrade stops at that line with Python's own SyntaxError before any rule runs.
"""
from __future__ import annotations

import io
import tokenize
from typing import List, Set, Tuple

import libcst as cst

from shims.upgrade.rules.base import Finding, Rule, _code, rule

#: catalog: deterministic-api: the 1.7 names and their 1.8 replacements (same arguments, same results)
DETERMINISTIC = {"set_deterministic": "use_deterministic_algorithms",
                 "is_deterministic": "are_deterministic_algorithms_enabled"}


@rule("deterministic-api", order=8010)
class DeterministicApi(Rule):
    """catalog: deterministic-api: ``torch.set_deterministic`` / ``torch.is_deterministic`` ->
    ``torch.use_deterministic_algorithms`` / ``torch.are_deterministic_algorithms_enabled`` (wrappers of
    them in 1.8-1.9); reported where the names are imported from torch (the import changes too)."""

    needs = ("set_deterministic", "is_deterministic")

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        target = self.q(updated)
        old = target[len("torch."):] if target and target.startswith("torch.") else None
        if old not in DETERMINISTIC:
            return updated
        self.changed(original, f"{_code(original)} -> {_code(updated.value)}.{DETERMINISTIC[old]}")
        return updated.with_changes(attr=cst.Name(DETERMINISTIC[old]))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or _code(node.module) != "torch" or isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = _code(alias.name)
            if name in DETERMINISTIC:
                self.found(alias, f"from torch import {name}: import and call torch.{DETERMINISTIC[name]} instead")


@rule("checkpoint-sequential-input", order=8020)
class CheckpointSequentialInput(Rule):
    """catalog: checkpoint-sequential-input: ``checkpoint_sequential(model, segments, a, b)`` (several inputs)
    or ``checkpoint_sequential(model, segments)`` (none): reported, never rewritten (which module takes the
    inputs, and how to split the model, only the reader knows). A call with ``*args`` is left alone."""

    needs = ("checkpoint_sequential",)
    rewrites = False

    def visit_Call(self, node: cst.Call) -> None:
        if self.q(node.func) != "torch.utils.checkpoint.checkpoint_sequential":
            return
        if any(arg.star for arg in node.args):
            return
        positional = [arg for arg in node.args if arg.keyword is None]
        named = {arg.keyword.value for arg in node.args if arg.keyword is not None}
        if len(positional) > 3:
            self.found(node, f"checkpoint_sequential with {len(positional) - 2} inputs: it takes one (torch 2.x "
                             "reads a second as use_reentrant); run the module that takes several yourself, "
                             "checkpoint the rest")
        elif len(positional) == 2 and "input" not in named:
            self.found(node, "checkpoint_sequential without an input: pass the one input of the first module")


#: catalog: expanded-inplace-write: the in-place writes torch warns about on an expanded tensor (and
#: ``x[...] = v``, which is index_put_ / index_fill_ or a copy into the shared memory)
EXPANDED_WRITES = ("index_put_", "masked_fill_", "index_fill_")


def _is_expand(expr: cst.BaseExpression) -> bool:
    return (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in ("expand", "expand_as"))


class _ExpandedNames(cst.CSTVisitor):
    """The plain names bound only ever to ``<tensor>.expand(...)`` / ``.expand_as(...)`` in the module
    (a name also bound to anything else is left out: which binding a later write sees is not known)."""

    def __init__(self) -> None:
        super().__init__()
        self.bound: Set[str] = set()
        self.other: Set[str] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                (self.bound if _is_expand(node.value) else self.other).add(target.target.value)

    @property
    def names(self) -> Set[str]:
        return self.bound - self.other


@rule("expanded-inplace-write", order=8030)
class ExpandedInplaceWrite(Rule):
    """catalog: expanded-inplace-write: ``y = x.expand(...)`` then ``y.index_put_(...)`` /
    ``y.masked_fill_(...)`` / ``y.index_fill_(...)`` / ``y[...] = v`` (or the write straight on
    ``x.expand(...)``): reported, never rewritten. Whether the write was meant for one row (clone first)
    or for all rows that share the memory (write before expanding) only the reader knows."""

    needs = ("expand",)
    rewrites = False

    def __init__(self, module: cst.Module, *args, **kwargs) -> None:
        super().__init__(module, *args, **kwargs)
        self.expanded: Set[str] = set()
        self._names = _ExpandedNames()
        self.scan(self._names)

    def scanned(self) -> None:
        self.expanded = self._names.names

    def _expanded(self, expr: cst.BaseExpression) -> bool:
        return _is_expand(expr) or isinstance(expr, cst.Name) and expr.value in self.expanded

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in EXPANDED_WRITES and self._expanded(func.value):
            self.found(node, f"{_code(func)}(...) writes into an expanded tensor (its rows share memory): "
                             "clone() it first, or write before expanding")

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Subscript) and self._expanded(target.target.value):
                self.found(node, f"{_code(target.target)} = ... writes into an expanded tensor (its rows share "
                                 "memory): clone() it first, or write before expanding")


#: catalog: hub-model-zoo: the cache folder variables torch.hub only warns about
HUB_VARIABLES = ("TORCH_HUB", "TORCH_MODEL_ZOO")


@rule("hub-model-zoo", order=8040)
class HubDownload(Rule):
    """catalog: hub-model-zoo: ``torch.hub._download_url_to_file(...)`` -> ``torch.hub.download_url_to_file(...)``
    (the same arguments: url, dst, hash_prefix, progress). Reported: the name imported
    (``from torch.hub import _download_url_to_file``: the import changes too), the older
    ``torch.utils.model_zoo._download_url_to_file``, and the text "TORCH_HUB" / "TORCH_MODEL_ZOO" (an
    environment variable torch.hub warns about instead of obeying: TORCH_HOME is the one it reads)."""

    needs = ("_download_url_to_file", "TORCH_HUB", "TORCH_MODEL_ZOO")

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.BaseExpression:
        target = self.q(updated)
        if target == "torch.utils.model_zoo._download_url_to_file":
            self.found(original, f"{_code(original)}: call torch.hub.download_url_to_file (torch >= 1.3)")
        if target != "torch.hub._download_url_to_file":
            return updated
        self.changed(original, f"{_code(original)} -> {_code(updated.value)}.download_url_to_file")
        return updated.with_changes(attr=cst.Name("download_url_to_file"))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.module is None or isinstance(node.names, cst.ImportStar):
            return
        if _code(node.module) not in ("torch.hub", "torch.utils.model_zoo"):
            return
        for alias in node.names:
            if _code(alias.name) == "_download_url_to_file":
                self.found(alias, f"from {_code(node.module)} import _download_url_to_file: import "
                                  "download_url_to_file from torch.hub instead")

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = node.evaluated_value
        if value in HUB_VARIABLES:
            self.found(node, f"{value}: torch.hub warns about it and uses TORCH_HOME (downloads under "
                             "$TORCH_HOME/hub); set TORCH_HOME instead")


@rule("cuda-async-kwarg", order=8050)
class AsyncKeyword(Rule):
    """catalog: cuda-async-kwarg: ``x.cuda(async=True)`` -> ``x.cuda(non_blocking=True)`` (and any call's ``async=``
    keyword: torch's cuda, type and copy_ took it). Since Python 3.7 ``async`` is a keyword, so the old line
    does not parse: this rule works on the text, before the parse (:meth:`before_parse`), on the tokens
    (``async`` right after ``(`` or ``,`` and right before ``=``), so no string or comment is touched and
    every line keeps its number. The walk of the tree then has nothing left to do."""

    needs = ("async",)

    @classmethod
    def before_parse(cls, source: str) -> Tuple[str, List[Finding]]:
        """``source`` with each ``async=`` keyword argument renamed, and a finding per rename."""
        try:
            tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
                      if t.type not in (tokenize.NL, tokenize.COMMENT)]
        except (tokenize.TokenError, IndentationError, SyntaxError):
            return source, []
        spots = [t.start for i, t in enumerate(tokens[1:-1], 1)
                 if t.type == tokenize.NAME and t.string == "async" and tokens[i + 1].string == "=" and
                 tokens[i - 1].string in ("(", ",")]
        if not spots:
            return source, []
        lines = source.splitlines(keepends=True)
        findings = []
        for row, col in sorted(spots, reverse=True):  # right to left: a rename shifts what follows it
            line = lines[row - 1]
            lines[row - 1] = line[:col] + "non_blocking" + line[col + len("async"):]
            findings.append(Finding(row, cls.change_id, "changed", "async= -> non_blocking= (async is a Python keyword: "
                                                                    "the line did not parse)"))
        return "".join(lines), sorted(findings, key=lambda f: f.line)
