"""One matrix cell as the pages show it: its status, and an as-published cell's outcome.

Both pages use these: compat-matrix.md in its examples tables, migration.md under the change an
as-published (unshimmed) run's expected failure names.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from matrix import ERAS, EXAMPLES
from matrix.observations import short_date, version_key
from matrix.pages.text import Footnotes, first_line, md_escape


def cell_text(c: Dict[str, Any], notes: Footnotes) -> str:
    status = c.get("status", "?")
    if status == "passed":
        return "passed"
    if status == "passed_with_warnings":
        n = len(c.get("warnings") or [])
        return f"passed, {n} warning{'s' if n != 1 else ''}"
    if status == "not_run":
        return "not run " + notes.ref(c.get("reason") or "no reason recorded")
    err = c.get("error") or {}
    what = err.get("type") or c.get("reason") or ""
    return f"**{status}**: {md_escape(what)}"


def cell_of(session: Dict[str, Any], era: str, example: str, mode: str = "variant") -> Optional[Dict[str, Any]]:
    """The session's cell for ``example`` run as ``mode`` ("variant", or "as_published": without shims)."""
    return next((c for c in session.get("cells") or [] if c.get("example") == example and c.get("era") == era
                 and c.get("mode", "variant") == mode), None)


def published_text(c: Dict[str, Any], notes: Footnotes, errors: Footnotes) -> str:
    """An as-published cell: "fails as expected" with the error as a footnote, or what else happened."""
    status = c.get("status", "?")
    if status == "not_run":
        return "not run " + notes.ref(c.get("reason") or "no reason recorded")
    if status in ("failed", "crashed"):
        said = published_error(c)
        label = "fails as expected" if c.get("expected") == "fail" and not c.get("unexpected_error") else (
            f"**{status}, not as expected**")
        return f"{label} {errors.ref(said)}"
    return f"**{cell_text(c, notes)}** (XPASS)" if c.get("expected") == "fail" else cell_text(c, notes)


def published_error(c: Dict[str, Any]) -> str:
    """What the as-published run ended with, as the user saw it (the expectation's prefix removed)."""
    err = c.get("error") or {}
    if err.get("type"):
        return f"{err['type']}: {first_line(err.get('message') or '', 240)}"
    reason = str(c.get("reason") or "")
    return reason.split("): ", 1)[1] if reason.startswith("expected failure (") and "): " in reason else reason


def published_lines(change: Dict[str, Any], sessions: Sequence[Dict[str, Any]]) -> List[str]:
    """For a change, the as-published cells whose expected failure names it: what each script does on
    the pins, measured (a span of pins per distinct outcome)."""
    found: Dict[Tuple, List[Dict[str, Any]]] = {}
    for s in sessions:
        for c in s.get("cells") or []:
            if c.get("mode") == "as_published" and c.get("change") == change["id"] and c.get("status") != "not_run":
                found.setdefault((c["era"], c["example"], c.get("status"), published_error(c)), []).append(c)
    out = []
    for (era, example, status, said), cells in sorted(found.items(), key=lambda kv: (ERAS.index(kv[0][0]),
                                                                                      EXAMPLES.index(kv[0][1]))):
        pins = sorted({c["torch_pin"] for c in cells}, key=version_key)
        cpus = sorted({c.get("device_name") or c.get("device") for c in cells})
        dates = sorted(short_date(c.get("date")) for c in cells)
        builds = sorted({c.get("torch_build") or c.get("torch") or c["torch_pin"] for c in cells}, key=version_key)
        verb = "fails" if status in ("failed", "crashed") else status.replace("_", " ")
        out.append(f"- `{era}/{example}` {verb} on torch {', '.join(pins)} (measured here on torch {builds[0]}"
                   f"{'' if len(builds) == 1 else ' to ' + builds[-1]}, {', '.join(cpus)}, "
                   f"{dates[0]}{'' if dates[0] == dates[-1] else ' to ' + dates[-1]}): {said}")
    if not out:
        return []
    return ["The tutorial's code as published, run without shims in every matrix session "
            "([compat-matrix.md](compat-matrix.md#examples-x-torch), \"as published\" rows):", ""] + out + [""]
