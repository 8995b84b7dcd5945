"""The "Versions" lines of a change on migration.md: what was measured here beside what sources say.

Measured lines come from the observations (:mod:`matrix.observations`) and each carries its measured
tag; cited lines say whether the source states the version or it was inferred. Both are always shown:
a "since version X" is measured (two pins bracket it) or cited, never guessed from the pins that ran.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from matrix.catalog import CITED_KEYS, NO_SOURCE, stated_keys
from matrix.observations import (LIBRARY_NAMES, compare_value, first_per_pin, fmt_compare, library_version,
                                 measured_tag, measured_versions, range_tag, value_changes, version_key)
from matrix.pages.text import sentence

CITED_LABELS = {"warns": "warns", "fails": "fails", "changed": "changed"}


def cited_lines(change: Dict[str, Any]) -> List[str]:
    """The versions the sources give, each marked cited (stated) or inferred; or 'no upstream note'."""
    cited = change.get("cited_versions", {})
    src = cited.get("source", "")
    stated = stated_keys(cited)
    lines = []
    for key in CITED_KEYS:
        if not cited.get(key):
            continue
        label = f"{CITED_LABELS[key].capitalize()} since {cited[key]}"
        if key in stated:
            lines.append(f"- {label}: cited, not measured here ([source]({src})).")
        else:
            lines.append(f"- {label}: inferred, not stated by the source and not measured here "
                         f"([source]({src}); see the note).")
    if not lines:
        lines.append(f"- No release named by a source: {sentence(cited.get('note') or NO_SOURCE)}")
    return lines

OUTCOME_VERBS = (("errors", "Fails"), ("warns", "Warns"), ("differs", "Differs from the old behaviour"),
                 ("works", "Runs without a warning or an error"))


def library_outcome_lines(change: Dict[str, Any], by_pin: Dict[str, Dict[str, Any]]) -> List[str]:
    """Measured, for entries whose outcome depends on another library: each outcome with the versions
    of that library it was recorded with (the torch pin is not what decides it)."""
    lib = LIBRARY_NAMES[change["depends_on"]]
    lines = []
    for outcome, verb in OUTCOME_VERBS:
        obs = [o for o in by_pin.values() if o["outcome"] == outcome]
        if obs:
            versions = sorted({library_version(change, o) or "?" for o in obs}, key=version_key)
            lines.append(f"- {verb} with {lib} {', '.join(versions)} ({range_tag(obs, change)}).")
    return lines


def outcome_lines(change: Dict[str, Any], by_pin: Dict[str, Dict[str, Any]]) -> List[str]:
    """Measured: the first pin that warns / errors / differs, or that none does."""
    if change.get("depends_on"):
        return library_outcome_lines(change, by_pin)
    m = measured_versions(by_pin)
    lines = []
    for key, verb in (("warns", "Warns"), ("fails", "Fails"), ("differs", "Differs from the old behaviour")):
        pin = m[key]
        if not pin:
            continue
        o = by_pin[pin]
        if pin == m["oldest"]:
            lines.append(f"- {verb} already on torch {pin}, the oldest pin recorded ({measured_tag(o, change)}): "
                         "the change predates the pins of the matrix; see the cited version.")
        else:
            before = [p for p in m["pins"] if version_key(p) < version_key(pin)]
            lines.append(f"- {verb} first on torch {pin}, not on {', '.join(before)} ({measured_tag(o, change)}).")
    if not any(m[k] for k in ("warns", "fails", "differs")) and change["kind"] != "silent":
        lines.append(f"- Neither warns nor fails on any pin recorded: torch {', '.join(m['pins'])} "
                     f"({range_tag(list(by_pin.values()), change)}).")
    quiet = [p for p in m["pins"] if by_pin[p]["outcome"] == "works"]
    if quiet and (m["warns"] or m["fails"]):
        lines.append(f"- Runs without a warning or an error on torch {', '.join(quiet)} "
                     f"({range_tag([by_pin[p] for p in quiet], change)}).")
    return lines


def change_lines(change: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> List[str]:
    """Measured, for entries with ``compare``: where the probe's values change from pin to pin, per CPU."""
    lines = []
    for cpu, vc in value_changes(change, obs).items():
        pins = [o["_pin"] for o in vc["chain"]]
        if not vc["changes"]:
            lines.append(f"- Same values on every pin recorded on this CPU (torch {', '.join(pins)}): "
                         f"`{fmt_compare(compare_value(change, vc['chain'][0]))}` ({range_tag(vc['chain'], change)}).")
            continue
        for i, (a, b) in enumerate(vc["changes"]):
            which = "Changes results at" if i == 0 else "Changes again at"
            lines.append(f"- {which} {pin_label(b, change)} (vs {pin_label(a, change)}): "
                         f"`{fmt_compare(compare_value(change, a))}` -> `{fmt_compare(compare_value(change, b))}` "
                         f"({measured_tag(b, change)}).")
    return lines


def pin_label(o: Dict[str, Any], change: Dict[str, Any]) -> str:
    """'torch 2.0.1', or 'torch 2.0.1 with NumPy 1.26.4' where the entry depends on that library."""
    lib = library_version(change, o)
    return f"torch {o['_pin']}" + (f" with {LIBRARY_NAMES[change['depends_on']]} {lib}" if lib else "")


def version_statement(change: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> List[str]:
    """Lines for 'Versions': what was measured here (each with torch, CPU, date) and what the sources
    say (cited, or inferred), always both; for silent changes, where the results change."""
    by_pin = first_per_pin(obs)
    lines: List[str] = []
    if not by_pin:
        reasons = sorted({o.get("detail") or "no reason recorded" for o in obs})
        lines.append("- Not measured here: no recorded probe ran" +
                     (f" ({'; '.join(reasons)})" if reasons else " (no results recorded)") + ".")
    elif change.get("breakdown") == "functions":
        lines.append(f"- Per function: see the table below ({range_tag(list(by_pin.values()), change)}).")
    else:
        lines += outcome_lines(change, by_pin)
        if change["kind"] == "silent" or change.get("compare"):
            lines += change_lines(change, obs)
    lines += cited_lines(change)
    note = change.get("cited_versions", {}).get("note")
    if note and any(change.get("cited_versions", {}).get(k) for k in CITED_KEYS):
        lines.append(f"- Note on the sources: {sentence(note)}")
    return lines
