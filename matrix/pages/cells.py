"""One matrix cell as the pages show it: its status, and an as-published cell's outcome.

Both pages use these: compat-matrix.md in its examples tables, migration.md under the change an
as-published (unshimmed) run's expected failure names.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import math

from matrix import ERAS, EXAMPLES, NOT_PASSING, PASSING
from matrix.records.observations import cpu_of, version_key
from matrix.pages.provenance import Provenance
from matrix.pages.text import Footnotes, first_line, md_escape, reader_text


def cell_text(c: Dict[str, Any], notes: Footnotes, numbers: Optional[Footnotes] = None) -> str:
    """A cell as a table shows it: passed (with its warnings' count, and the libraries' own warnings at
    their import said apart), not run (reason footnoted in ``notes``), diverged (the first non-finite
    loss), nondeterministic (how the runs differed, footnoted in ``numbers``, else ``notes``), or the
    failure's exception."""
    status = c.get("status", "?")
    if status == "passed":
        return "passed" + import_note(c)
    if status == "passed_with_warnings":
        n = len(c.get("warnings") or [])
        return f"passed, {n} warning{'s' if n != 1 else ''}" + import_note(c)
    if status == "not_run":
        return "not run " + notes.ref(reader_text(c.get("reason") or "no reason recorded"))
    if status == "diverged":
        return f"**diverged ({diverged_at(c)})**"
    if status == "nondeterministic":
        return "**nondeterministic** " + (numbers or notes).ref(reader_text(c.get("reason") or "no reason recorded"))
    err = c.get("error") or {}
    what = err.get("type") or reader_text(c.get("reason") or "")
    return f"**{status}**: {md_escape(what)}"


def diverged_at(c: Dict[str, Any]) -> str:
    """"nan at step 12": a diverged cell's first non-finite loss, from its recorded losses ("nan or inf"
    where none is recorded)."""
    for step, loss in c.get("losses") or []:
        if not math.isfinite(float(loss)):
            return f"{float(loss)} at step {step}"
    return "nan or inf"


def import_note(c: Dict[str, Any]) -> str:
    """"; 2 warnings at import of numpy, tensorflow" for the warnings a cell's libraries showed while
    being imported (not the tutorial code's: they don't make it "passed with warnings"), else ""."""
    seen = c.get("import_warnings") or []
    if not seen:
        return ""
    libraries = sorted({str(w.get("module")).split(".")[0] for w in seen if w.get("module")})
    n = len(seen)
    where = f"at import of {', '.join(libraries)}" if libraries else "at import"
    return f"; {n} warning{'s' if n != 1 else ''} {where}"


def cell_of(session: Dict[str, Any], era: str, example: str, mode: str = "variant") -> Optional[Dict[str, Any]]:
    """The session's cell for ``example`` run as ``mode`` ("variant", or "as_published": without shims)."""
    return next((c for c in session.get("cells") or [] if c.get("example") == example and c.get("era") == era
                 and c.get("mode", "variant") == mode), None)


def published_text(c: Dict[str, Any], notes: Footnotes, errors: Footnotes) -> str:
    """An as-published cell: "fails as expected" with the error as a footnote, or what else happened."""
    status = c.get("status", "?")
    if status == "not_run":
        return "not run " + notes.ref(reader_text(c.get("reason") or "no reason recorded"))
    if status in NOT_PASSING:
        said = published_error(c)
        label = "fails as expected" if c.get("expected") == "fail" and not c.get("unexpected_error") else (
            f"**{status}, not as expected**")
        return f"{label} {errors.ref(said)}"
    return f"**{cell_text(c, notes)}**, though expected to fail" if c.get("expected") == "fail" else cell_text(c, notes)


def published_error(c: Dict[str, Any]) -> str:
    """What the as-published run ended with, as the user saw it (the expectation's prefix removed): the
    exception as printed, or what the script printed or did instead of a loss."""
    err = c.get("error") or {}
    if c.get("status") in PASSING:  # a race that went the right way this time, or an expected failure that did not fail
        runs = 1 + len(c.get("repeat_wall_seconds") or [])
        said = f"ran to the end, and its {runs} runs with the same seed printed the same losses" if runs > 1 else \
            "ran to the end"
        return said + (", though it is listed as expected to fail" if c.get("expected") == "fail" else " this time")
    if err.get("type"):
        return f"{err['type']}: {first_line(err.get('message') or '', 240)}"
    reason = str(c.get("reason") or "")
    return reader_text(reason.split("): ", 1)[1] if reason.startswith("expected failure (") and "): " in reason
                       else reason)


PLURAL = {"fails": "fail", "passed": "pass", "passed with warnings": "pass with warnings", "diverges": "diverge",
          "is nondeterministic": "are nondeterministic"}
#: How a line under a change says what an as-published run did, by status.
VERBS = {"failed": "fails", "crashed": "fails", "diverged": "diverges", "nondeterministic": "is nondeterministic"}


def published_lines(change: Dict[str, Any], sessions: Sequence[Dict[str, Any]],
                    prov: Optional[Provenance] = None) -> List[str]:
    """For a change, the as-published runs whose expected failure names it: what each script does on
    the pins, measured (a span of pins per distinct outcome, the machine as a letter of ``prov``)."""
    prov = prov or Provenance.of_sessions(sessions)
    found: Dict[Tuple, List[Tuple[Dict[str, Any], str]]] = {}
    for s in sessions:
        for c in s.get("cells") or []:
            if c.get("mode") == "as_published" and c.get("change") == change["id"] and c.get("status") != "not_run":
                found.setdefault((c["era"], c["example"], c.get("status"), published_error(c)), []).append(
                    (c, cpu_of(s) if s.get("device_name") else c.get("device_name") or cpu_of(s)))
    grouped: Dict[Tuple, List[str]] = {}
    for (era, example, status, said), cells in sorted(found.items(), key=lambda kv: (ERAS.index(kv[0][0]),
                                                                                      EXAMPLES.index(kv[0][1]))):
        pins = tuple(sorted({c["torch_pin"] for c, _ in cells}, key=version_key))
        verb = VERBS.get(status, str(status).replace("_", " "))
        grouped.setdefault((verb, pins, prov.ref(m for _, m in cells), said), []).append(f"`{era}/{example}`")
    many = len({m for cells in found.values() for _, m in cells}) > 1
    out = [f"- {', '.join(scripts)} {verb if len(scripts) == 1 else PLURAL.get(verb, verb)} on torch "
           f"{', '.join(pins)}{' ' + ref if many else ''}: {said}"
           for (verb, pins, ref, said), scripts in grouped.items()]
    if not out:
        return []
    everywhere = prov.ref(m for cells in found.values() for _, m in cells)
    return [f"The tutorial's own code, run as published (without this project's shims), measured {everywhere} "
            "([compat-matrix.md](compat-matrix.md#examples-x-torch), \"as published\" rows):", ""] + out + [""]
