"""Expected failures (``matrix/expected.toml``) and what fails a session.

    entries = load_expected()                          # the [[fail]] entries
    entry = matching_entry(entries, facts)             # the one that lists this cell, or None
    expected, why = expectation_of(entry)              # ("fail", reason) or ("pass", None)
    cell = apply_expectation(cell, expected, why, (entry or {}).get("error"), statuses_of(entry))
    unexpected, xpass = verdict(cells)                 # the cells that fail the session, the XPASSes

A cell is expected to pass unless an entry lists it. An expected failure is recorded (``expected:
"fail"``, its reason prefixed with the entry's) but does not fail the session, unless it fails in
another way than the entry says: another ``error``, or another status than the entry's ``status``
(default "failed" or "crashed": the script broke). So a listed cell that runs to the end but
"diverged" or is "nondeterministic" is news and fails its session, unless its entry says ``status =
"diverged"`` (or a list). One that passes is an XPASS: reported, and failing the session only with
``--strict``; one not run is neither. The keys of an entry are described at the top of the TOML file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, List, Mapping, Optional, Sequence, Tuple

from matrix import FAILING, NOT_PASSING, PASSING, ROOT
from matrix.running import environment
from matrix.facts import tomlio
from matrix.records.schema import CellRecord

EXPECTED_FILE = ROOT / "matrix" / "expected.toml"


def load_expected(path: str | os.PathLike = EXPECTED_FILE) -> List[dict]:
    """The ``[[fail]]`` entries of matrix/expected.toml (an empty list when there is no file)."""
    path = Path(path)
    if not path.exists():
        return []
    entries = tomlio.load(path).get("fail", [])
    for entry in entries:
        if "reason" not in entry or not str(entry["reason"]).strip():
            raise ValueError(f"{path}: every [[fail]] entry needs a reason: {entry}")
        listed = statuses_of(entry)
        wrong = [s for s in listed if s not in NOT_PASSING + PASSING]
        if wrong or not any(s in NOT_PASSING for s in listed):
            raise ValueError(f"{path}: status {', '.join(map(repr, wrong or listed))} must name a way to fail (one "
                             f"of {', '.join(NOT_PASSING)}; a race may add {', '.join(PASSING)}): {entry}")
    return entries


def statuses_of(entry: Mapping[str, Any] | None) -> Tuple[str, ...]:
    """The statuses an entry expects (its ``status``, a string or a list), by default "failed" or
    "crashed": a listed cell whose losses diverge, or differ between runs, is not what it expected."""
    want = (entry or {}).get("status") or FAILING
    return (want,) if isinstance(want, str) else tuple(want)


def expectation(entries: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> Tuple[str, Optional[str]]:
    """("fail", reason) if an entry matches the cell's ``facts``, else ("pass", None).

    An entry matches when each key it gives matches: ``era``, ``example``, ``device``, ``mode`` (a
    string or a list of strings), ``torch_pin`` (exact, e.g. "installed"), and ``torch``, ``python``,
    ``numpy``, ``tensorflow`` (PEP 440 specifier sets on the installed versions, local suffixes aside).
    """
    return expectation_of(matching_entry(entries, facts))


def expectation_of(entry: Mapping[str, Any] | None) -> Tuple[str, Optional[str]]:
    """("fail", the entry's reason) for a matching entry, ("pass", None) for none."""
    return ("fail", str(entry["reason"]).strip()) if entry else ("pass", None)


def matching_entry(entries: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first ``[[fail]]`` entry matching ``facts`` (see :func:`expectation`), or None."""
    for entry in entries:
        ok = True
        for key, want in entry.items():
            if key in ("reason", "error", "change", "status"):  # what the entry says, not what it matches
                continue
            have = facts.get(key)
            if key in ("torch", "python", "numpy", "tensorflow"):
                ok = have is not None and environment.in_spec(str(have), str(want))
            elif isinstance(want, list):
                ok = have in want
            else:
                ok = have == want
            if not ok:
                break
        if ok:
            return entry
    return None


def apply_expectation(cell: CellRecord, expected: str, why: str | None, error: str | None = None,
                      statuses: Sequence[str] = FAILING) -> CellRecord:
    """Mark ``cell`` with its expectation; ``error``: the start of the reason an expected failure must
    have (``"IndexError: invalid index of a 0-dim tensor"``); ``statuses``: the statuses it may have
    (:func:`statuses_of`). Failing otherwise, or diverging where a failure was expected, is news."""
    cell["expected"] = expected
    status = cell["status"]
    if expected == "fail" and status in PASSING and status in statuses:
        # A race (the entry lists a pass among its outcomes): going the right way this time is not news.
        cell["expected"] = "pass"
        cell["reason"] = f"passed this time; matrix/expected.toml lists it as a race ({why})" + (
            f"; {cell['reason']}" if cell.get("reason") else "")
    elif expected == "fail":
        if status in PASSING:
            cell["reason"] = f"XPASS: listed in matrix/expected.toml as failing ({why}) but it passed" + (
                f"; {cell['reason']}" if cell.get("reason") else "")
        elif status in NOT_PASSING and status not in statuses:
            wanted = " or ".join(statuses)
            cell["unexpected_error"] = error or f"status {wanted}"
            cell["reason"] = (f"{status.replace('_', ' ')}, not the {wanted} that matrix/expected.toml expects: "
                              f"{cell.get('reason')}")
        elif status in NOT_PASSING and error and not str(cell.get("reason")).startswith(error):
            cell["unexpected_error"] = error
            cell["reason"] = f"failed, but not with the {error!r} that matrix/expected.toml expects: {cell.get('reason')}"
        elif status in NOT_PASSING:
            cell["reason"] = f"expected failure ({why}): {cell.get('reason')}"
    return cell


def verdict(cells: Sequence[CellRecord]) -> Tuple[List[CellRecord], List[CellRecord]]:
    """(unexpected failures, XPASSes): the cells that fail a session, and those that only get reported.
    Every status but "passed", "passed_with_warnings" and "not_run" fails a cell expected to pass:
    a diverged or nondeterministic run is no pass."""
    unexpected = [c for c in cells if c.get("status") in NOT_PASSING
                  and (c.get("expected", "pass") == "pass" or c.get("unexpected_error"))]
    xpass = [c for c in cells if c.get("expected") == "fail" and c.get("status") in PASSING]
    return unexpected, xpass
