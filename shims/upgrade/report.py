"""The report of an upgrade, in the manner of ``tf_upgrade_v2``'s but honest about what is left.

    a.py:21: changed [variable-volatile] Variable(torch.randn(3, 1), requires_grad=True) -> ...
    a.py:40: FIX BY HAND [optimizer-step-between-backwards] opt_D.step() between two backward ...
        fix: Run every backward that goes through a network before ... read: docs/migration.md#optimizer-...

and, with ``--target-torch``: ``kept [id] still works on torch X: ...`` (no rewrite needed there) and
``NOT REWRITTEN [id] not rewritten for torch X: ... needs torch >= V`` (the new form is newer than X;
counted with what still needs the user)

then one summary line per file. A file whose findings include something left to fix is never
summarised as clean; what the rules cannot see in the text (a loss's shapes) is listed as not checked.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from shims.upgrade.catalog import entries
from shims.upgrade.rules import RUNTIME_ONLY, Finding


def finding_lines(path: str, findings: Sequence[Finding], place: Callable[[int], str] = str,
                  written: bool = True) -> List[str]:
    """One line per finding; a finding left to the user also gets the entry's fix and docs section.
    ``place`` writes a line (a notebook's: ``cell 3:line 2``); ``written`` False (``--write`` failed):
    a rewrite is said as ``not changed``, since the file on disk was not."""
    known = entries()
    out = []
    for f in findings:
        if f.action == "changed":
            out.append(f"{path}:{place(f.line)}: {'changed' if written else 'not changed'} [{f.change_id}] {f.what}")
        elif f.action == "kept":
            out.append(f"{path}:{place(f.line)}: kept [{f.change_id}] {f.what}")
        elif f.action == "not_rewritten":
            out.append(f"{path}:{place(f.line)}: NOT REWRITTEN [{f.change_id}] {f.what}")
            entry = known.get(f.change_id)
            if entry is not None:
                out.append(f"    read: {entry.docs}")
        else:
            entry = known.get(f.change_id)
            out.append(f"{path}:{place(f.line)}: FIX BY HAND [{f.change_id}] {f.what}")
            if entry is not None:
                out.append(f"    fix: {entry.fix}")
                out.append(f"    read: {entry.docs}")
    return out


def summary_line(path: str, findings: Sequence[Finding], changed: bool, not_written: Optional[str] = None) -> str:
    """The file's last line; with ``not_written`` (why ``--write`` could not write it) it says that the
    file is as it was, claiming none of its changes."""
    done = sum(1 for f in findings if f.action == "changed")
    left = [f for f in findings if f.action not in ("changed", "kept")]
    kept = sum(1 for f in findings if f.action == "kept")
    also = f"; {kept} kept (still work on the target torch)" if kept else ""
    if not_written:
        need = f", {len(left)} place(s) still need you" if left else ""
        return f"{path}: not written: {not_written} (file unchanged: {done} change(s) not made{need})"
    if left:
        ids = ", ".join(sorted({f.change_id for f in left}))
        return (f"{path}: {done} change(s){also}; {len(left)} place(s) still need you ({ids}): "
                "the script may still fail")
    if changed:
        return f"{path}: {done} change(s){also}; nothing left that the rules can see"
    if kept:
        return f"{path}: no change needed for the target torch{also}"
    return f"{path}: no old idiom the rules know"


def not_checked_note() -> str:
    """What no rule can see in the text, said every time (never a silent 'no issues')."""
    ids = ", ".join(cls.change_id for cls in RUNTIME_ONLY)
    return (f"not checked in the text (known only when the script runs): {ids}; "
            "python -m shims run SCRIPT reports it with the line")


def not_checked_ids() -> List[str]:
    """The change ids of :func:`not_checked_note`."""
    return [cls.change_id for cls in RUNTIME_ONLY]


def json_file(path: str, changed: bool = False, findings: Sequence[Finding] = (),
              line_map: Optional[Dict[int, Tuple[int, int]]] = None, skipped: Optional[str] = None,
              error: Optional[str] = None) -> dict:
    """One file of ``--format json``: path, changed, skipped (why, or None), error (bad input, or None),
    and the findings with the entry's fix and docs section; with a notebook's ``line_map``
    (:meth:`shims.upgrade.notebook.Notebook.script`) each finding names its cell and the line in it."""
    known = entries()
    out = []
    for f in findings:
        entry = known.get(f.change_id)
        item = {"line": f.line}
        if line_map is not None:
            cell, line = line_map.get(f.line, (None, f.line))
            item = {"cell": cell, "line": line}
        item.update(change_id=f.change_id, action=f.action, what=f.what,
                    fix=entry.fix if entry else None, docs=entry.docs if entry else None)
        out.append(item)
    return {"path": path, "changed": changed, "skipped": skipped, "error": error, "findings": out}


def counts(findings: Iterable[Finding]) -> Counter:
    return Counter((f.change_id, f.action) for f in findings)
