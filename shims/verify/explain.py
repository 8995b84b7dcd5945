"""Explain a difference by intervention: the catalog's silent entries the script touches, each one's
old behaviour restored on the new side, and what the numbers do then.

- An entry with a restorer (``restore`` in the catalog, the code in ``restore.py``) *explains* a
  difference when the new side, re-run with that old behaviour restored (alone, then all of them
  together), prints the old side's numbers (bit for bit or within the tolerance).
- An entry whose old behaviour cannot be restored (``restore_impossible``) is at most *consistent*
  with it, and only where its probe's ``compare`` values differ between the two releases here: the
  probe is run on both sides. Said as "consistent with <id>, not proven".
- What is left is *unexplained*, never hidden.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

from matrix.running import cell as matrix_cell
from matrix.facts.catalog import load_catalog
from matrix.probes import probe_name
from shims.verify.compare import Comparison, agrees, compare

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def candidates(text: str, changes: Optional[Sequence[dict]] = None) -> List[dict]:
    """The catalog entries that could move this script's numbers: ``touches`` matched in its text,
    restorable ones first (catalog order within each)."""
    changes = load_catalog() if changes is None else changes
    hit = [c for c in changes if any(re.search(p, text) for p in c.get("touches", []))]
    return [c for c in hit if "restore" in c] + [c for c in hit if "restore" not in c]


@dataclass
class Trial:
    """One intervention: the ids restored, and how the new side then compares with the old."""

    restored: List[str]
    comparison: Optional[Comparison]
    failure: Optional[str] = None
    controls: List[str] = field(default_factory=list)  # applied to both sides

    def as_dict(self) -> dict:
        return {"restored": self.restored, "controls": self.controls, "failure": self.failure,
                "comparison": self.comparison.as_dict() if self.comparison else None}


@dataclass
class Explanation:
    status: str  # "explained" | "consistent" | "unexplained"
    explained_by: List[str] = field(default_factory=list)
    consistent_with: Dict[str, str] = field(default_factory=dict)  # id -> the probe evidence
    ruled_out: Dict[str, str] = field(default_factory=dict)  # id -> why it cannot be the cause
    trials: List[Trial] = field(default_factory=list)
    residual: Optional[Comparison] = None  # the best restored run against the old side
    #: (ids, line): with those ids restored the numbers agree up to the line before ``line``, later
    #: than without them (part of the difference explained)
    partly: Optional[tuple] = None
    #: the control (applied to both sides) under which the numbers agree, and the touched entries it covers
    control: Optional[str] = None
    control_entries: List[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"status": self.status, "explained_by": self.explained_by, "consistent_with": self.consistent_with,
                "ruled_out": self.ruled_out, "trials": [t.as_dict() for t in self.trials],
                "residual": self.residual.as_dict() if self.residual else None,
                "control": self.control, "control_entries": self.control_entries,
                "partly": {"restored": self.partly[0], "agrees_up_to_line": self.partly[1] - 1} if self.partly else None}


def probe_values(python: str, probe: str, timeout: float = 300) -> dict:
    """Run one catalog probe in ``python`` (``python -m matrix.probes --only``); its record, or
    ``{"outcome": "crashed", ...}``."""
    with tempfile.TemporaryDirectory(prefix="shims-verify-probe-") as tmp:
        out = os.path.join(tmp, "probe.json")
        env = matrix_cell.child_env(os.environ, ROOT)
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        raw = matrix_cell.run_process([python, "-m", "matrix.probes", "--out", out, f"--only={probe}"],
                                      timeout=timeout, cwd=ROOT, env=env)
        if os.path.exists(out):
            with open(out, encoding="utf-8") as handle:
                records = [r for r in json.load(handle) if isinstance(r, dict)]
            if records:
                return records[0]
        return {"outcome": "crashed", "value": None,
                "detail": matrix_cell.last_line(raw.get("stderr") or "") or f"exit {raw['returncode']}"}


def probe_evidence(change: dict, old_python: str, new_python: str, old_torch: str, new_torch: str,
                   old_versions: Optional[dict] = None, new_versions: Optional[dict] = None) -> Optional[str]:
    """Why ``change`` may explain a difference between the two releases (its probe's compared values
    differ here), or None where they are the same (then it cannot)."""
    old_versions, new_versions = old_versions or {}, new_versions or {}
    keys = change.get("compare") or []
    name = probe_name(change["id"])
    old, new = probe_values(old_python, name), probe_values(new_python, name)
    if not keys or old.get("value") is None or new.get("value") is None:
        return (f"its probe {name} could not be compared (torch {old_torch}: {old.get('outcome')}, "
                f"torch {new_torch}: {new.get('outcome')})")
    differ = [k for k in keys if (old["value"] or {}).get(k) != (new["value"] or {}).get(k)]
    if not differ:
        return None
    library = change.get("depends_on")  # the probe's outcome follows that library's version, not torch's
    if library:
        return (f"its probe's {', '.join(differ)} differ between {library} {old_versions.get(library)} and "
                f"{new_versions.get(library)} (the two sides' {library}) on this CPU")
    return f"its probe's {', '.join(differ)} differ between torch {old_torch} and {new_torch} on this CPU"


def explain(old_stdout: str, baseline: Comparison, new_run: Callable[..., "object"], old_run: Callable[..., "object"],
            text: str, *, old_python: str, new_python: str, old_torch: str, new_torch: str, rtol: float,
            atol: float, old_versions: Optional[dict] = None, new_versions: Optional[dict] = None,
            say: Callable[[str], None] = lambda _: None) -> Explanation:
    """Try each candidate's restorer (then all together), then the candidates' controls; return what
    explains the difference.

    ``baseline`` is the old side against the new one as run; ``new_run(ids, controls)`` runs the new side once more with those ids' old behaviour restored and
    the controls applied; ``old_run(controls)`` the old side with the controls; both return a
    :class:`shims.verify.runner.Run`.
    """
    found = candidates(text)
    restorable = [c["id"] for c in found if "restore" in c]
    result = Explanation("unexplained")
    tries = [[cid] for cid in restorable] + ([restorable] if len(restorable) > 1 else [])
    best: Optional[Comparison] = None
    for ids in tries:
        say(f"re-running the new side with the old behaviour of {' + '.join(ids)} restored")
        run = new_run(ids, [])
        if not run.ok:
            result.trials.append(Trial(ids, None, run.failure()))
            continue
        c = compare(old_stdout, run.stdout, rtol, atol)
        result.trials.append(Trial(ids, c))
        if agrees(c):
            result.status, result.explained_by, result.residual = "explained", ids, c
            return result
        if (c.first_line or 0) > (best.first_line if best else baseline.first_line or 0):
            best, result.partly = c, (ids, c.first_line)
    result.residual = best
    for name in dict.fromkeys(c["control"] for c in found if c.get("control")):
        if _under_control(result, name, found, tries, old_stdout, new_run, old_run, say):
            break
    for change in found:
        if "restore" in change:
            continue
        say(f"running the probe of {change['id']} on both sides")
        evidence = probe_evidence(change, old_python, new_python, old_torch, new_torch, old_versions, new_versions)
        if evidence is None:
            library = change.get("depends_on")
            sides = (f"{library} {(old_versions or {}).get(library)} and {(new_versions or {}).get(library)}"
                     if library else f"torch {old_torch} and {new_torch}")
            result.ruled_out[change["id"]] = (f"its probe's {', '.join(change.get('compare') or [])} are the same "
                                              f"on {sides} here")
        else:
            result.consistent_with[change["id"]] = evidence
    if result.consistent_with and result.status != "explained":
        result.status = "consistent"
    return result


#: how close the two sides must be under a control: float64 carries ~16 digits, so rounding alone
#: leaves differences far below this, and a change of the maths far above it
CONTROL_RTOL = {"float64": 1e-9}


def _under_control(result: Explanation, name: str, found: Sequence[dict], tries: List[List[str]],
                   old_stdout: str, new_run: Callable, old_run: Callable, say: Callable[[str], None]) -> bool:
    """Run both sides under the control ``name`` (then with each restorer too); True when they agree."""
    say(f"running both sides under the {name} control")
    old = old_run([name])
    if not old.ok:
        result.trials.append(Trial([], None, f"the old side under {name}: {old.failure()}", [name]))
        return False
    for ids in [[]] + tries:
        new = new_run(ids, [name])
        if not new.ok:
            result.trials.append(Trial(ids, None, f"the new side under {name}: {new.failure()}", [name]))
            continue
        c = compare(old.stdout, new.stdout, CONTROL_RTOL[name], 0.0)
        result.trials.append(Trial(ids, c, None, [name]))
        if agrees(c):
            result.status, result.explained_by, result.residual = "explained", ids, c
            result.control = name
            result.control_entries = [f["id"] for f in found if f.get("control") == name]
            return True
    return False
