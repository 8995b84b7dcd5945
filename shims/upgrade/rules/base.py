"""What every upgrade rule shares: :class:`Finding`, :class:`Rule` (the base transformer), the
:func:`rule` decorator that registers a rule under the catalog id it serves, and small LibCST helpers.

The rules themselves live by family in the sibling modules; :mod:`shims.upgrade.rules` imports them
all and gives the engine their order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Set, Tuple, Type, TypeVar, Union

import libcst as cst
from libcst.metadata import PositionProvider

from shims.upgrade.names import imports_of, qualify


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

    #: the catalog entry the rule serves (set by :func:`rule`: the id of its findings unless it names
    #: another), every id it serves, and its place in the engine's order (None: never run on the text)
    change_id = ""
    serves: Tuple[str, ...] = ()
    order: Optional[int] = None
    #: False: the rule only reports (no rewrite is safe); the catalog's ``upgrade`` says "report"
    rewrites = True
    #: False: the rule cannot look at the text (it acts when the script runs); ``upgrade = "runtime"``
    static = True
    #: what the text must hold for the rule to find anything: alternatives, each a substring or a tuple of
    #: substrings that must all be there (None: always run). Where none is there the engine skips the rule
    #: without wrapping the module (a copy and a metadata pass), so a file with nothing to do costs one
    #: parse. Only ever a necessary condition: a rule skipped would have found nothing
    needs: Optional[Tuple[Union[str, Tuple[str, ...]], ...]] = None
    #: True: the rule reads what the other rules made of the whole module (which names are still used),
    #: so the engine runs it after them, on their result, in a walk of its own
    last_pass = False
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, module: cst.Module, aliases: Optional[Dict[str, str]] = None,
                 source: Optional[str] = None) -> None:
        """``aliases`` (:func:`shims.upgrade.names.imports_of`) and ``source`` (the module's text) where
        the caller has them already: each is a walk of the whole module otherwise."""
        super().__init__()
        self.module = module
        self.aliases = imports_of(module) if aliases is None else aliases
        self._source = source
        #: read-only walks the rule needs before it rewrites (:meth:`scan`); the engine makes them all in
        #: one walk, then calls :meth:`scanned`
        self.scans: List[cst.CSTVisitor] = []
        self.findings: List[Finding] = []
        self.targets: Set[int] = set()
        #: with a target torch, the engine sets this to ``Target.new_form_missing``: an entry id -> the
        #: new_since of a new form the target lacks (None: writable); for a rule whose rewrite uses
        #: another entry's new form (size_average writes reduction-elementwise-mean's 'mean')
        self.missing: Callable[[str], Optional[str]] = lambda change_id: None
        self.target_label = ""

    @property
    def source(self) -> str:
        """The text of the module the rule walks."""
        if self._source is None:
            self._source = self.module.code
        return self._source

    def scan(self, visitor: cst.CSTVisitor) -> None:
        """Ask for ``visitor`` to walk the whole module before the rule's own walk."""
        self.scans.append(visitor)

    def scanned(self) -> None:
        """Called once the :meth:`scan` visitors have walked: what the rule concludes from them."""

    def line_of(self, node: cst.CSTNode) -> int:
        """The line of ``node`` in the text the user wrote (the engine sets its own: positions of the
        user's module, for the nodes the walk rebuilt too); 0 where unknown."""
        try:
            return self.get_metadata(PositionProvider, node).start.line
        except KeyError:
            return 0

    @classmethod
    def wanted(cls, text: str) -> bool:
        """False where :attr:`needs` says the rule can find nothing in ``text``."""
        return cls.needs is None or any(need in text if isinstance(need, str) else all(s in text for s in need)
                                        for need in cls.needs)

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
        return self.line_of(node)

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


R = TypeVar("R", bound=Type[Rule])
#: catalog id -> the rules that serve it, in their order
REGISTRY: Dict[str, List[Type[Rule]]] = {}
_BY_ORDER: Dict[int, Type[Rule]] = {}


def rule(change_id: str, *also: str, order: Optional[int]) -> Callable[[R], R]:
    """Register a rule under the catalog id it serves (``@rule("size-average", order=80)``); ``also``: other
    ids the same rewrite serves (its findings name them). ``order``: where the engine runs it among all
    rules, each on the previous one's output (unique; None for a rule that looks at nothing in the text).
    A second rule for an id registers under the same id with its own order."""
    def register(cls: R) -> R:
        if (order is None) == cls.static:
            raise ValueError(f"{cls.__name__}: an order exactly when the rule looks at the text")
        if order is not None:
            if order in _BY_ORDER:
                raise ValueError(f"{cls.__name__}: order {order} is {_BY_ORDER[order].__name__}'s")
            _BY_ORDER[order] = cls
        cls.change_id, cls.serves, cls.order = change_id, (change_id, *also), order
        for served in cls.serves:
            REGISTRY.setdefault(served, []).append(cls)
            REGISTRY[served].sort(key=lambda c: (c.order is None, c.order or 0))
        return cls
    return register
