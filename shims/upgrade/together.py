"""Several LibCST visitors or transformers in one walk of a tree, each called as if it walked alone.

The engine used to give every rule its own walk: a copy of the module, a metadata pass and a
LibCST transform per rule, about 19 per file (issue 20: a 200 KB file of old idioms did not finish
in 600 s). Here one walk calls every rule's ``visit_<Node>`` on the way down and every
``leave_<Node>`` on the way up, in the rules' order, so that a rule sees what the rules before it
made of the same node (as it did when they had walked first).

The walk is this module's, not LibCST's ``visit``: LibCST rebuilds every node of the tree on every
walk, a visitor's too (a TODO in ``libcst/_nodes/base.py``), which costs as much as a deep copy.
Here a node is rebuilt (``with_changes``) only where a child changed, and a node nothing changed is
the user's own object, so its position is known without a second metadata pass. Children are
walked in the order of the node's dataclass fields, LibCST's own order for every node a rule looks
at (a decorator comes after its function's body: no rule reads decorators as it walks).

What a rule could rely on alone still holds:
- a ``visit_`` that returns False keeps that rule (only) out of the node's children; its ``leave_``
  is still called for the node, as LibCST does;
- ``leave_`` gets ``(original, updated)``; ``updated`` is ``original`` itself where nothing below changed;
- a rule whose predecessor returned another kind of node (``Variable(x)`` -> ``x``) gets the
  ``leave_`` of that kind, with the new node as its original too, as it would have on a later walk;
  after a removal or a :class:`libcst.FlattenSentinel` the rules after it see nothing there;
- removals and flattening follow LibCST's rules: a statement emptied by a removal goes from its
  block (``visit_body_sequence``), a removed optional field becomes None or ``MaybeSentinel``;
- :meth:`Together.origin` maps every node the walk made to the user's node it stands for.

Attribute hooks (``visit_Call_func``) are not dispatched: no rule defines one (tests hold that).
"""
from __future__ import annotations

import dataclasses
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import libcst as cst

Hook = Callable[..., object]
Table = Dict[str, List[Tuple[int, Hook]]]
Result = Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]
_NOT_REMOVABLE = object()
#: whitespace, comments and punctuation: nothing in them is a rule's business, and they are about half
#: of a module's nodes. A walk skips them unless a walker has a hook for one of these kinds.
TRIVIA = (cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline, cst.Comment,
          cst.Comma, cst.Dot, cst.Colon, cst.Semicolon, cst.AssignEqual, cst.LeftParen, cst.RightParen,
          cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace,
          cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp, cst.BaseAugOp)
NODE, SEQUENCE, OTHER, SKIP = 0, 1, 2, 3
#: a field value's type -> how to walk it (NODE, SEQUENCE, OTHER; SKIP: a trivia node), by type: an
#: isinstance check against LibCST's abstract base classes is slow, and a walk makes one per field
_KIND: Dict[type, int] = {}
#: node class -> (field name, what the field becomes when its node is removed), LibCST's field order
_FIELDS: Dict[type, Tuple[Tuple[str, object], ...]] = {}


def _kind(t: type) -> int:
    kind = _KIND.get(t)
    if kind is None:
        kind = _KIND[t] = (SKIP if issubclass(t, TRIVIA) else NODE) if issubclass(t, cst.CSTNode) else \
            SEQUENCE if issubclass(t, (tuple, list)) else OTHER
    return kind


def _fields(cls: type) -> Tuple[Tuple[str, object], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(
            (f.name, f.default if f.default is None or isinstance(f.default, cst.MaybeSentinel) else _NOT_REMOVABLE)
            for f in dataclasses.fields(cls))
    return found


#: the names of the trivia kinds LibCST has (a walker's hooks are found by these names)
TRIVIA_NAMES = frozenset(c.__name__ for c in vars(cst).values() if isinstance(c, type) and issubclass(c, TRIVIA))


def _trivia_hooked(tables: Sequence[Dict[str, Hook]]) -> bool:
    return any(kind in TRIVIA_NAMES for table in tables for kind in table)


#: (walker class, prefix) -> node kind -> method name: a class's hooks are looked up once, not per file
_HOOK_NAMES: Dict[Tuple[type, str], Dict[str, str]] = {}


def _hooks(walker: object, prefix: str) -> Dict[str, Hook]:
    """node kind -> the walker's bound ``<prefix><kind>`` method (``visit_Call``), attribute hooks aside.
    Only methods written outside LibCST: its base classes define a do-nothing hook for every kind,
    and calling those at every node for every rule would cost more than the rules' own work."""
    names = _HOOK_NAMES.get((type(walker), prefix))
    if names is None:
        names = _HOOK_NAMES[type(walker), prefix] = {}
        for klass in type(walker).__mro__:
            if klass.__module__.split(".")[0] == "libcst" or klass is object:
                continue
            for name in vars(klass):
                kind = name[len(prefix):]
                if name.startswith(prefix) and kind[:1].isupper() and "_" not in kind and kind not in names:
                    names[kind] = name
    return {kind: getattr(walker, name) for kind, name in names.items()}


class _Walk:
    """The walk both kinds share: each walker's visit hook on the way down, unless it chose to skip the
    subtree it is in, and the children in field order."""

    def __init__(self, walkers: Sequence[object]) -> None:
        self.walkers = list(walkers)
        self.visits: Table = {}
        for i, walker in enumerate(self.walkers):
            for kind, hook in _hooks(walker, "visit_").items():
                self.visits.setdefault(kind, []).append((i, hook))
        self.leaves = [_hooks(w, "leave_") for w in self.walkers]
        self.leaving: Table = {}
        for i, leaves in enumerate(self.leaves):
            for kind, hook in leaves.items():
                self.leaving.setdefault(kind, []).append((i, hook))
        #: the trivia kinds are walked only where a walker looks at one
        self.walk_trivia = _trivia_hooked([_hooks(w, "visit_") for w in self.walkers] + self.leaves)
        #: for each walker, the node under which it skips the children (None: it walks)
        self.skipping: List[Optional[cst.CSTNode]] = [None] * len(self.walkers)
        self.skipped = 0  # how many walkers skip now (most of the time none: nothing to clear on the way up)
        #: the user's nodes being walked, innermost last
        self.stack: List[cst.CSTNode] = []

    def _down(self, node: cst.CSTNode) -> None:
        self.stack.append(node)
        for i, hook in self.visits.get(type(node).__name__, ()):
            if self.skipping[i] is None and hook(node) is False:
                self.skipping[i] = node
                self.skipped += 1

    def _walks(self, i: int, node: cst.CSTNode) -> bool:
        """Whether walker ``i`` is called at ``node`` (not inside a subtree it chose to skip)."""
        return not self.skipped or self.skipping[i] is None or self.skipping[i] is node

    def _up(self, node: cst.CSTNode) -> None:
        self.stack.pop()
        if self.skipped:
            for i, top in enumerate(self.skipping):
                if top is node:
                    self.skipping[i] = None
                    self.skipped -= 1


class Scan(_Walk):
    """Read-only visitors (the rules' pre-scans) in one walk: :meth:`run`."""

    def run(self, node: cst.CSTNode) -> None:
        self._down(node)
        trivia = self.walk_trivia
        for name, _ in _fields(type(node)):
            value = getattr(node, name)
            kind = _KIND.get(type(value)) if type(value) in _KIND else _kind(type(value))
            if kind == NODE or kind == SKIP and trivia:
                self.run(value)
            elif kind == SEQUENCE:
                for item in value:
                    k = _kind(type(item))
                    if k == NODE or k == SKIP and trivia:
                        self.run(item)
        for i, hook in self.leaving.get(type(node).__name__, ()):
            if self._walks(i, node):
                hook(node)
        self._up(node)


class Together(_Walk):
    """Transformers (the rules, in the engine's order) in one walk: :meth:`run`; :meth:`origin` for
    positions."""

    def __init__(self, walkers: Sequence[cst.CSTTransformer]) -> None:
        super().__init__(walkers)
        #: a node the walk made (rebuilt, or returned by a rule) -> the user's node it stands for
        self.made: Dict[int, Tuple[cst.CSTNode, cst.CSTNode]] = {}

    def run(self, node: cst.CSTNode) -> Result:
        self._down(node)
        changes = None
        trivia = self.walk_trivia
        for name, removed in _fields(type(node)):
            value = getattr(node, name)
            kind = _KIND.get(type(value)) if type(value) in _KIND else _kind(type(value))
            if kind == NODE or kind == SKIP and trivia:
                new = self.run(value)
                if new is not value:
                    if isinstance(new, cst.FlattenSentinel) or isinstance(new, cst.RemovalSentinel) \
                            and removed is _NOT_REMOVABLE:
                        raise TypeError(f"{type(node).__name__}.{name} cannot be removed or replaced by several nodes")
                    changes = changes or {}
                    changes[name] = removed if isinstance(new, cst.RemovalSentinel) else new
            elif kind == SEQUENCE and value and _kind(type(value[0])) in (NODE, SKIP):
                items = self._sequence(value, name == "body")
                if items is not None:
                    changes = changes or {}
                    changes[name] = items
        updated = node.with_changes(**changes) if changes else node
        if updated is not node:
            self._note(updated, node)
        result = self._leave(node, updated)
        self._up(node)
        return result

    def _sequence(self, items: Sequence[cst.CSTNode], body: bool) -> Optional[Tuple[cst.CSTNode, ...]]:
        """The walked items, None where none changed. In a block's body, a statement that a removal
        emptied goes too (LibCST's ``visit_body_iterable``)."""
        out: Optional[List[cst.CSTNode]] = None
        trivia = self.walk_trivia
        for k, item in enumerate(items):
            new = self.run(item) if trivia or _kind(type(item)) == NODE else item
            if new is item and out is None:
                continue
            if out is None:
                out = list(items[:k])
            if isinstance(new, cst.RemovalSentinel):
                continue
            for node in (new.nodes if isinstance(new, cst.FlattenSentinel) else (new,)):
                if not (body and not item._is_removable() and node._is_removable()):
                    out.append(node)
        return tuple(out) if out is not None else None

    def _leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> Result:
        kind = type(original).__name__
        result: Result = updated
        for i, hook in self.leaving.get(kind, ()):
            if not self._walks(i, original):
                continue
            result = hook(original, updated)
            if result is not updated:
                self._note(result, original)
                if type(result) is not type(original):  # another kind, or removed: the rest by what it is now
                    return self._leave_as_made(original, result, i + 1)
                updated = result
        return result

    def _leave_as_made(self, original: cst.CSTNode, result: Result, start: int) -> Result:
        """The walkers from ``start`` on, where a rule returned another kind of node than ``original``."""
        kind = type(original).__name__
        for i in range(start, len(self.walkers)):
            if not isinstance(result, cst.CSTNode):
                break  # removed or flattened: the rules after it see nothing here
            now = type(result).__name__
            hook = self.leaves[i].get(now)
            if hook is None or not self._walks(i, original):
                continue
            before = result
            result = hook(original if now == kind else result, result)
            if result is not before:
                self._note(result, original)
        return result

    def _note(self, made: object, original: cst.CSTNode) -> None:
        if isinstance(made, cst.FlattenSentinel):
            for node in made.nodes:
                self._note(node, original)
        elif isinstance(made, cst.CSTNode) and made is not original:
            self.made[id(made)] = (made, original)  # the node itself kept: its id is not reused

    def origin(self, node: cst.CSTNode) -> cst.CSTNode:
        """The user's node behind ``node`` (itself when it is one, or one no rule returned)."""
        seen = self.made.get(id(node))
        while seen is not None and seen[0] is node:
            node = seen[1]
            seen = self.made.get(id(node))
        return node
