"""Recorded probe results as observations, and what they say about versions.

A session record (results/*.json, :mod:`matrix.records.results`) holds one record per probe of the catalog.
The docs use each as an *observation*: the record with the catalog's unrelated warnings set aside,
plus where and when it ran (torch pin and build, CPU, date, Python, NumPy, TensorFlow). From those:
the first pin that warns, fails or differs (:func:`measured_versions`), the boundary around it (the
last pin whose check ran without it, :func:`boundary`; not-run pins never move it), and the pins where
a probe's compared values change (:func:`value_changes`). Where and when each was measured (torch build, CPU,
date) travels with it; the pages say it once per machine and pin (:mod:`matrix.pages.provenance`).

Float32 bits depend on the CPU, so values are only compared between observations of the same CPU.
Versions are ordered by ``packaging``. :mod:`matrix.records.divergence` and :mod:`matrix.pages` build on this
module; it imports neither.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from matrix import ERAS
from matrix.running.environment import version_key  # (the pages and the analysis sort pins by it, from here)
from matrix.probes import probe_name  # the records' probe names (importing the probes does not import torch)
from matrix.records.results import UnreadableRecord, read_record, record_paths

ANSI = re.compile(r"\x1b\[[0-9;]*m")
TRIGGERED = re.compile(r"\s*\(Triggered internally at [^)]*\)\.?")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
#: probe outcomes whose record holds a result of the old form (the others did not run it)
RAN = ("works", "warns", "differs", "errors")
LIBRARY_NAMES = {"tensorflow": "TensorFlow", "numpy": "NumPy"}


# ----------------------------------------------------------------------------------- helpers


# The text pieces below are here, not in matrix.pages.text, because the divergence verdicts quote
# them, and the analysis does not import the pages.
def clean_message(message: str) -> str:
    """A message as a user reads it: ANSI escapes and C++ 'Triggered internally' suffixes removed."""
    return TRIGGERED.sub("", ANSI.sub("", message)).strip()


def short_date(date: Optional[str]) -> str:
    """The YYYY-MM-DD part of a recorded timestamp ('?' when there is none)."""
    return (date or "")[:10] or "?"


def span(items: Sequence[str]) -> str:
    """'a' or 'a to b' for an ordered list of versions or dates."""
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else f"{items[0]} to {items[-1]}"


def fmt_value(v: Any) -> str:
    """A probe value, short: digests as their first 8 hex digits, lists and dicts as compact JSON."""
    if isinstance(v, str) and HEX16.match(v):
        return v[:8]
    if v is None:
        return "None"
    if isinstance(v, (list, dict)):
        return json.dumps(v, separators=(",", ":"), sort_keys=True)
    return str(v)


# ----------------------------------------------------------------------------------- loading


def load_results(results_dir: Path) -> List[Dict[str, Any]]:
    """Every results/*.json, sorted by era, torch pin (as a version), device, file name.

    The files are :func:`matrix.records.results.record_paths` (dotfiles, ``.tmp-*.json``: a partial file left by
    an interrupted atomic write, are skipped), judged by :func:`matrix.records.results.read_record` as
    every reader of a results folder judges them: a file that is no record (not valid JSON, ``{}``)
    stops the generator, naming the file and what to do; a page must not quietly lose a session.
    Each record gets its file name as ``_slug``.
    """
    sessions = []
    for path in record_paths(results_dir):
        try:
            data: Dict[str, Any] = dict(read_record(path))
        except UnreadableRecord as exc:
            raise SystemExit(str(exc)) from None
        data["_slug"] = path.stem
        sessions.append(data)
    era_rank = {e: i for i, e in enumerate(ERAS)}
    sessions.sort(key=lambda s: (era_rank.get(s.get("era"), 9), version_key(s.get("torch_pin")),
                                 s.get("device") or "", s["_slug"]))
    return sessions


def cpu_of(session: Dict[str, Any]) -> str:
    """The CPU the session's probes ran on. Probes always run on the CPU; a CUDA session records the
    GPU's name, not the CPU's, so its CPU is unknown."""
    if session.get("device") == "cpu":
        return session.get("device_name") or "CPU not recorded"
    return f"CPU not recorded (a {session.get('device')} run on {session.get('device_name') or '?'})"


# ----------------------------------------------------------------------------------- probe records


def is_unrelated(warning: Dict[str, str], unrelated: Sequence[Dict[str, Any]]) -> bool:
    """Whether a recorded warning matches an ``[[unrelated_warning]]`` pattern of the catalog."""
    text = f"{warning.get('category')}: {clean_message(warning.get('message', ''))}"
    return any(u["regex"].search(text) for u in unrelated)


def missing_probe_record(probe_id: str, session: Dict[str, Any]) -> Dict[str, Any]:
    """A not-run record for a probe a ran session has no record of, with the reason the session gives."""
    reason = session.get("probes_error")
    imp = next((r for r in session.get("probes") or [] if r.get("id") == "_import"), None)
    if not reason and imp:
        err = imp.get("error") or {}
        reason = f"the probes process failed before any probe: {err.get('type')}: {err.get('message')}"
    if not reason:
        reason = "no record of this probe in the session (results recorded before it existed?)"
    return {"id": probe_id, "outcome": "not_run", "detail": reason, "warnings": [], "error": None, "value": None}


def observation(rec: Dict[str, Any], session: Dict[str, Any], unrelated: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """One probe record as the docs use it: unrelated warnings moved to '_filtered' (a 'warns' that
    only had those becomes 'works'), plus where and when it ran ('_pin', '_torch', '_cpu', '_date',
    '_python', '_numpy', '_tensorflow', '_session', '_build': the torch build, local suffix included)."""
    kept = [w for w in rec.get("warnings") or [] if not is_unrelated(w, unrelated)]
    filtered = [w for w in rec.get("warnings") or [] if is_unrelated(w, unrelated)]
    outcome = rec.get("outcome", "not_run")
    if outcome == "warns" and not kept and filtered:
        outcome = "works"
    return dict(rec, outcome=outcome, warnings=kept, _filtered=filtered, _raw_outcome=rec.get("outcome"),
                _pin=session.get("torch_pin"), _torch=session.get("torch"), _cpu=cpu_of(session),
                _build=session.get("torch_build") or session.get("torch"),
                _date=session.get("date"), _python=session.get("python"), _numpy=session.get("numpy"),
                _tensorflow=session.get("tensorflow"), _session=session["_slug"])


def probe_observations(sessions: Sequence[Dict[str, Any]], catalog: Sequence[Dict[str, Any]],
                       unrelated: Sequence[Dict[str, Any]] = ()) -> Dict[str, List[Dict[str, Any]]]:
    """catalog id -> the observations of its probe, one per session that ran (session order). A
    record names its probe by the probe's function name (:func:`matrix.probes.probe_name`, kept for
    the recorded reference): this is where records meet their entries. A ran session without a
    record of a catalog probe gets a not-run observation with the reason (``probes_error``)."""
    names = {ch["id"]: probe_name(ch["id"]) for ch in catalog}
    table: Dict[str, List[Dict[str, Any]]] = {change_id: [] for change_id in names}
    for s in sessions:
        if s.get("status") != "ran":
            continue
        recs = {r.get("id"): r for r in s.get("probes") or []}
        for change_id, name in names.items():
            rec = recs.get(name) or missing_probe_record(name, s)
            table[change_id].append(observation(rec, s, unrelated))
    return table


def functions_of(o: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """For ``breakdown = "functions"``: the per-function results of an observation's value (each a dict with
    an ``outcome``); other keys a probe keeps beside them (a list of warnings, a flag) are not functions."""
    value = o.get("value") if isinstance(o.get("value"), dict) else {}
    return {k: v for k, v in value.items() if isinstance(v, dict) and "outcome" in v}


def first_per_pin(obs: Iterable[Dict[str, Any]], cpu: Optional[str] = None,
                  ran_only: bool = True) -> Dict[str, Dict[str, Any]]:
    """torch pin -> the first observation on that pin (on ``cpu`` if given; that ran, if ran_only)."""
    out: Dict[str, Dict[str, Any]] = {}
    for o in obs:
        if (cpu is None or o["_cpu"] == cpu) and (not ran_only or o["outcome"] in RAN):
            out.setdefault(o["_pin"], o)
    return dict(sorted(out.items(), key=lambda kv: version_key(kv[0])))


def first_pin_with(by_pin: Dict[str, Dict[str, Any]], outcomes: Iterable[str]) -> Optional[str]:
    """The lowest torch pin whose probe outcome is one of ``outcomes`` (None if no pin has one)."""
    wanted = set(outcomes)
    for pin in sorted(by_pin, key=version_key):
        if by_pin[pin]["outcome"] in wanted:
            return pin
    return None


def measured_versions(by_pin: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """What the recorded probes say about one change, pin by pin (not-run and crashed excluded).

    Returns {'pins', 'oldest', 'warns', 'fails', 'differs'}: the first pin that warns, errors or
    differs (None where none does).
    """
    ran = {p: r for p, r in by_pin.items() if r["outcome"] in RAN}
    pins = sorted(ran, key=version_key)
    return {"pins": pins, "oldest": pins[0] if pins else None, "warns": first_pin_with(ran, ("warns",)),
            "fails": first_pin_with(ran, ("errors",)), "differs": first_pin_with(ran, ("differs",))}


#: (what a boundary is about, the probe outcomes that mark it, the cited_versions key that names its
#: release): the first pin that warns, fails or differs, and what a source cites for it
BOUNDARIES = (("warns", ("warns",), "warns"), ("fails", ("errors",), "fails"), ("differs", ("differs",), "changed"))


def boundary(by_pin: Dict[str, Dict[str, Any]], outcomes: Iterable[str]) -> Optional[Dict[str, Any]]:
    """Where the recorded outcomes first become one of ``outcomes``: {'after': the first pin whose
    check ran with one, 'before': the last pin before it whose check ran (None where 'after' is the
    oldest such pin: the boundary is not bracketed), 'before_outcome': what 'before' did}; None where
    no pin has one of ``outcomes``.

    Only pins whose check ran count (``RAN``): a pin where it was not run or crashed says nothing
    about the old form, so adding or removing one never moves a boundary.
    """
    ran = sorted((p for p, o in by_pin.items() if o["outcome"] in RAN), key=version_key)
    wanted = set(outcomes)
    for i, pin in enumerate(ran):
        if by_pin[pin]["outcome"] in wanted:
            before = ran[i - 1] if i else None
            return {"after": pin, "before": before,
                    "before_outcome": by_pin[before]["outcome"] if before else None}
    return None


def compare_value(change: Dict[str, Any], o: Optional[Dict[str, Any]]) -> Optional[Tuple]:
    """The entry's ``compare`` keys of an observation's value, as a tuple of (key, value); None where
    the entry compares nothing or the probe did not run the old form."""
    keys = change.get("compare") or []
    if not keys or o is None or o["outcome"] not in RAN or not isinstance(o.get("value"), dict):
        return None
    return tuple((k, o["value"].get(k)) for k in keys)


def fmt_compare(value: Optional[Tuple]) -> str:
    """Compared values for a cell: the bare value for one key, 'key value, ...' for several."""
    if value is None:
        return "-"
    if len(value) == 1:
        return fmt_value(value[0][1])
    return ", ".join(f"{k} {fmt_value(v)}" for k, v in value)


def library_version(change: Dict[str, Any], o: Dict[str, Any]) -> Optional[str]:
    """The version of the library the entry ``depends_on`` in that observation's session."""
    lib = change.get("depends_on")
    if not lib:
        return None
    value = o.get("value") if isinstance(o.get("value"), dict) else {}
    return o.get(f"_{lib}") or value.get(lib)


def value_changes(change: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """Per CPU: the pins whose probe ran (in order) and each pin whose ``compare`` values differ from
    the previous such pin's, as {'chain': [obs...], 'changes': [(previous obs, obs), ...]}."""
    out: Dict[str, Dict[str, Any]] = {}
    for cpu in sorted({o["_cpu"] for o in obs}):
        chain = [o for o in first_per_pin(obs, cpu).values() if compare_value(change, o) is not None]
        if not chain:
            continue
        changes = [(a, b) for a, b in zip(chain, chain[1:]) if compare_value(change, a) != compare_value(change, b)]
        out[cpu] = {"chain": chain, "changes": changes}
    return out
