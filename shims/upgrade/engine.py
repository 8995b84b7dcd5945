"""Run the rules over one source text: the new text, and every finding with its line in the *original*.

One parse, one walk: every rule whose ``needs`` are in the text runs in a single walk of the parsed
module (:class:`shims.upgrade.together.Together`), in :data:`shims.upgrade.rules.ORDER`, each
seeing what the rules before it made of the same node; their pre-scans share one read-only walk
before it (:class:`shims.upgrade.together.Scan`); positions are those of the user's module (one
metadata pass, none when no rule runs), so a finding names the line the user wrote. A rule that
reads what the others made of the whole module (``last_pass``: the import of Variable goes when no
use is left) runs after them, on their result. The lines of the new text are mapped to the old
ones once, at the end (:mod:`shims.upgrade.lines`).

With ``target_torch`` / ``keep_working_on`` (:mod:`shims.upgrade.target`) a rule's rewrite is kept only
where its new form exists on both; otherwise the walk is made again without it and each place it
would have changed is reported as ``not_rewritten`` (the new form needs a newer torch) or ``kept``
(the old form still works there, without a warning).
"""
from __future__ import annotations

import contextlib
import gc
from dataclasses import dataclass, field
from typing import Collection, Dict, Iterator, List, Mapping, Optional, Tuple, Type

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from packaging.version import Version

from shims.upgrade.lines import line_map
from shims.upgrade.names import imports_of, uses_torch_or_tf
from shims.upgrade.rules import ORDER, Finding, Rule, not_rewritten_text
from shims.upgrade.together import Scan, Together
from shims.upgrade.target import BadVersion, Target  # noqa: F401 - BadVersion: the callers' error


class BadSource(Exception):
    """The text is not Python 3 (a syntax error): ``line`` and ``message`` say where and what."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line, self.message = line, message


@dataclass
class Upgraded:
    source: str
    new: str
    findings: List[Finding] = field(default_factory=list)
    #: why the file was left alone (no torch or tensorflow import), None when the rules ran
    skipped: Optional[str] = None
    #: for each line of ``new`` (index 0 = line 1), the line of ``source`` it comes from
    to_original: List[int] = field(default_factory=list)

    def original_line(self, line: int) -> int:
        """The line of the source behind ``line`` of the new text (the same where nothing moved)."""
        return self.to_original[line - 1] if 0 < line <= len(self.to_original) else line

    @property
    def changed(self) -> bool:
        return self.new != self.source


def check_syntax(source: str, filename: str) -> None:
    """:class:`BadSource` with Python's own message where ``source`` does not compile."""
    try:
        compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise BadSource(exc.lineno or 0, exc.msg) from None


def _for_target(target: Target, findings: List[Finding]) -> Tuple[bool, List[Finding]]:
    """A rule's findings under ``target``, and whether its rewrite stands. Dropped where a new form it
    wrote is missing on the target (each place it changed becomes ``not_rewritten``) or where every
    entry it changed or found still works there (``kept``). A place left to the user whose fix the
    target lacks says so."""
    changed = {f.change_id for f in findings if f.action == "changed"}
    missing = {c: target.new_form_missing(c) for c in {f.change_id for f in findings}}
    label, oldest = target.label(), str(target.limit)
    if any(missing[c] for c in changed):
        newest = max((missing[c] for c in changed if missing[c]), key=Version)
        return False, [Finding(f.line, f.change_id, "not_rewritten",
                               not_rewritten_text(oldest, f.what, missing[f.change_id] or newest))
                       if f.action == "changed" else f for f in findings]
    ids = changed or {f.change_id for f in findings if f.action == "found"}
    if ids and all(target.kept(c) for c in ids):
        return False, [Finding(f.line, f.change_id, "kept", f"still works on torch {label}: {f.what}")
                       for f in findings]
    return True, [Finding(f.line, f.change_id, f.action, f"{f.what} (its fix needs torch >= {missing[f.change_id]}, "
                                                          f"not on torch {oldest})")
                  if f.action == "found" and missing[f.change_id] else f for f in findings]


def upgrade_source(source: str, filename: str = "<string>", *, target_torch: Optional[str] = None,
                   keep_working_on: Optional[str] = None, only: Optional[Collection[str]] = None) -> Upgraded:
    """Apply every rule to ``source`` (with ``only``: the rules of those catalog ids); raises
    :class:`BadSource` on a syntax error.

    ``target_torch``: the torch the result is for (None: the newest, every rule as it is);
    ``keep_working_on``: a torch the result must also run on (older or newer). Versions as text
    ("1.8.1", "2.4.1+cu121"); :class:`shims.upgrade.target.BadVersion` where one is not a version."""
    target = Target.of(target_torch, keep_working_on)
    with _no_cycle_collection():
        return _upgrade(source, filename, target, only)


@contextlib.contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Python's cycle collector paused meanwhile, as it was before afterwards. A big module's tree is
    millions of objects, and each full collection walks them all: on a 1 MB file the collector took
    more time than the rules, and the time per MB grew with the size. The trees hold no cycles
    (children never point at parents), so nothing waits for the collector: reference counts free them."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _before_parse(source: str, chosen: List[Type[Rule]]) -> Tuple[str, List[Finding]]:
    """The rules that must edit the text before it parses (``before_parse``: an old form that is no longer
    Python, such as ``async=``), each on the one before's result; their edits keep every line's number."""
    findings: List[Finding] = []
    for rule_cls in chosen:
        if hasattr(rule_cls, "before_parse") and rule_cls.wanted(source):
            source, found = rule_cls.before_parse(source)
            findings.extend(found)
    return source, findings


def _upgrade(source: str, filename: str, target: Optional[Target], only: Optional[Collection[str]]) -> Upgraded:
    chosen = [r for r in ORDER if (only is None or r.change_id in only)]
    try:
        check_syntax(source, filename)
        text, findings = source, []
    except BadSource:
        text, findings = _before_parse(source, chosen)  # only where Python itself refuses the text
        if not findings:
            raise
        check_syntax(text, filename)
    module = _parse(text)
    aliases = imports_of(module)
    if not uses_torch_or_tf(aliases):
        return Upgraded(source, source, skipped="no torch or tensorflow import")
    first = [r for r in chosen if not r.last_pass and r.wanted(text)]
    if first:
        new, found = _first_pass(module, text, aliases, first, target)
        findings.extend(found)
        if new is not module:  # the walk gives the user's own tree back where no rule changed anything
            module, text = new, new.code
    for rule_cls in chosen:  # the rules that read the others' result, each on it (no positions: they report nothing)
        if rule_cls.last_pass and rule_cls.wanted(text):
            rule = rule_cls(module, aliases, text)
            module = module.visit(rule)
            findings.extend(rule.findings)
            text = module.code
    findings.sort(key=lambda f: (f.line, f.action, f.change_id))
    to_original = line_map(source, text) if text != source else list(range(1, len(source.splitlines()) + 1))
    return Upgraded(source, text, findings, to_original=to_original)


def _parse(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:  # Python accepted it, LibCST did not (a newer grammar)
        raise BadSource(exc.raw_line, f"LibCST cannot parse this: {exc.message}") from None


def _first_pass(module: cst.Module, source: str, aliases: Dict[str, str], classes: List[Type[Rule]],
                target: Optional[Target]) -> Tuple[cst.Module, List[Finding]]:
    """Every rule of ``classes`` in one walk (:class:`shims.upgrade.together.Together`), with the
    positions of the user's module. Under a target, a rule whose rewrite is dropped (:func:`_for_target`)
    is taken out and the walk made again without it, until none is dropped."""
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)  # the engine owns the tree
    dropped: Dict[Type[Rule], List[Finding]] = {}
    while True:
        new, found = _walk(module, source, aliases, [c for c in classes if c not in dropped], positions, target)
        if target is None:
            return new, [f for fs in found.values() for f in fs]
        kept: List[Finding] = []
        more = False
        for cls, fs in found.items():
            keep, fs = _for_target(target, fs)
            if keep:
                kept.extend(fs)
            else:
                dropped[cls], more = fs, True
        if not more:
            return new, kept + [f for fs in dropped.values() for f in fs]


def _walk(module: cst.Module, source: str, aliases: Dict[str, str], classes: List[Type[Rule]],
          positions: Mapping[cst.CSTNode, CodeRange], target: Optional[Target]
          ) -> Tuple[cst.Module, Dict[Type[Rule], List[Finding]]]:
    rules = [cls(module, aliases, source) for cls in classes]
    scans = [s for r in rules for s in r.scans]
    if scans:
        Scan(scans).run(module)
    for r in rules:
        r.scanned()
    together = Together(rules)

    def line_of(node: cst.CSTNode) -> int:
        where = positions.get(together.origin(node))
        if where is None and together.stack:
            where = positions.get(together.stack[-1])
        return where.start.line if where is not None else 0

    for r in rules:
        r.line_of = line_of
        if target is not None:
            r.missing, r.target_label = target.new_form_missing, str(target.limit)
    new = together.run(module)
    assert isinstance(new, cst.Module)
    return new, {type(r): r.findings for r in rules}
