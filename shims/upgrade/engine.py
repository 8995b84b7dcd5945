"""Run the rules over one source text: the new text, and every finding with its line in the *original*.

The rules run one after another (:data:`shims.upgrade.rules.ORDER`), each on the previous one's
output, with positions of that text; after each pass the lines of the new text are mapped to the
lines of the old with difflib, so that a finding always names the line the user wrote.

With ``target_torch`` / ``keep_working_on`` (:mod:`shims.upgrade.target`) a rule's rewrite is kept only
where its new form exists on both; otherwise its output is dropped and each place it would have
changed is reported as ``not_rewritten`` (the new form needs a newer torch) or ``kept`` (the old form
still works there, without a warning).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Collection, List, Optional, Tuple

import libcst as cst
from packaging.version import Version
from libcst.metadata import MetadataWrapper

from shims.upgrade.names import imports_of, uses_torch_or_tf
from shims.upgrade.rules import ORDER, Finding, not_rewritten_text
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


def _line_map(old: str, new: str) -> List[int]:
    """For each line of ``new`` (index 0 = line 1), the line of ``old`` it comes from (or stands next to)."""
    a, b = old.splitlines(), new.splitlines()
    out = [0] * len(b)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        for k, j in enumerate(range(j1, j2)):
            out[j] = (min(i1 + k, max(i2 - 1, i1)) if tag != "insert" else max(i1 - 1, 0)) + 1
    return out


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
    check_syntax(source, filename)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:  # Python accepted it, LibCST did not (a newer grammar)
        raise BadSource(exc.raw_line, f"LibCST cannot parse this: {exc.message}") from None
    if not uses_torch_or_tf(imports_of(module)):
        return Upgraded(source, source, skipped="no torch or tensorflow import")
    findings: List[Finding] = []
    to_original = list(range(1, len(source.splitlines()) + 1))
    text = source
    for rule_cls in ORDER:
        if only is not None and rule_cls.change_id not in only:
            continue
        rule = rule_cls(module)
        if target is not None:
            rule.missing, rule.target_label = target.new_form_missing, str(target.limit)
        new_module = MetadataWrapper(module).visit(rule)
        if target is not None:
            keep, rule.findings = _for_target(target, rule.findings)
            new_module = new_module if keep else module
        for f in rule.findings:
            line = to_original[f.line - 1] if 0 < f.line <= len(to_original) else f.line
            findings.append(Finding(line, f.change_id, f.action, f.what))
        new_text = new_module.code
        if new_text != text:
            step = _line_map(text, new_text)
            to_original = [to_original[i - 1] if 0 < i <= len(to_original) else i for i in step]
            text = new_text
        module = new_module
    findings.sort(key=lambda f: (f.line, f.action, f.change_id))
    return Upgraded(source, text, findings, to_original=to_original)
