"""A change's version answer on migration.md: one "pin: outcome" line measured here, the boundaries
(bracketed by two pins, with the cited release in between, or not bracketed), the values where they
change, one line of what the sources say; and the per-pin detail that goes under "Evidence".

Measured lines come from the observations (:mod:`matrix.records.observations`) and carry a reference to the
machine they ran on ([A](#measured): the table under "How these were measured" gives, per machine and
pin, the torch build and the date). Cited lines say whether the source states the version or it was
inferred. Both are always shown: a "since version X" is measured (the pins show it) or cited, never
guessed from the pins that ran.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from matrix.facts.catalog import CITED_KEYS, NO_SOURCE, cited_release, stated_keys
from matrix.records.observations import (BOUNDARIES, LIBRARY_NAMES, RAN, boundary, compare_value, first_per_pin,
                                         fmt_compare,
                                 library_version, value_changes, version_key)
from matrix.pages.provenance import Provenance
from matrix.pages.text import reader_text, reader_words, sentence

#: a check's outcome as the "pin: outcome" line says it ("not run" is never "runs")
OUTCOME_WORDS = {"works": "runs", "warns": "warns", "errors": "fails", "differs": "differs",
                 "not_run": "not run", "crashed": "crashed"}
CITED_LABELS = {"warns": "warns", "fails": "fails", "changed": "changed"}
SEP = " · "


def per_pin(obs: Sequence[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """torch pin -> the observation the pages show for it: the first that ran, else the first."""
    ran = first_per_pin(obs)
    every = first_per_pin(obs, ran_only=False)
    return dict(sorted(((p, ran.get(p) or o) for p, o in every.items()), key=lambda kv: version_key(kv[0])))


def function_counts(o: Dict[str, Any]) -> str:
    """For ``breakdown = "functions"``: '4 fail, 4 warn' / 'all 8 run' on one pin."""
    value = o.get("value") if isinstance(o.get("value"), dict) else {}
    counts: Dict[str, int] = {}
    for f in value.values():
        counts[f.get("outcome", "?")] = counts.get(f.get("outcome", "?"), 0) + 1
    if set(counts) == {"works"}:
        return f"all {counts['works']} run"
    words = (("errors", "fail"), ("warns", "warn"), ("works", "run"))
    return ", ".join(f"{counts[k]} {w}" for k, w in words if counts.get(k))


def outcome_word(change: Dict[str, Any], o: Dict[str, Any]) -> str:
    """One observation's outcome as the line says it, with the library version it depends on."""
    if change.get("breakdown") == "functions" and o["outcome"] in RAN:
        text = function_counts(o)
    else:
        text = OUTCOME_WORDS.get(o["outcome"], o["outcome"])
    lib = library_version(change, o)
    return text + (f" ({LIBRARY_NAMES[change['depends_on']]} {lib})" if lib else "")


def pin_outcomes(change: Dict[str, Any], obs: Sequence[Dict[str, Any]], prov: Provenance) -> Optional[str]:
    """The one line: 'Measured [A]: 1.8.1 warns · 1.13.1 warns · 2.0.1 fails' (with the library version
    where the outcome depends on it). Where some pins also ran on another machine the head says so
    ('Measured [A] (2.15.0 also [B])'), and a pin whose machines disagree says each outcome with its
    machine: '2.15.0 fails [A], crashed [B]'."""
    if not obs:
        return None
    count: Dict[str, int] = {}
    for o in obs:
        count[o["_cpu"]] = count.get(o["_cpu"], 0) + 1
    main = sorted(count, key=lambda m: (-count[m], prov.letter_of(m)))[0]
    items, also = [], {}
    for pin in per_pin(obs):
        here = [o for o in obs if o["_pin"] == pin]
        words: Dict[str, List[str]] = {}
        for cpu in sorted({o["_cpu"] for o in here}, key=prov.letter_of):
            o = per_pin([x for x in here if x["_cpu"] == cpu])[pin]
            words.setdefault(outcome_word(change, o), []).append(cpu)
            if cpu != main:
                also.setdefault(cpu, []).append(pin)
        if len(words) == 1 and (main in next(iter(words.values())) or len(count) == 1):
            items.append(f"{pin} {next(iter(words))}")
        else:
            items.append(f"{pin} " + ", ".join(f"{w} {prov.ref(cpus)}" for w, cpus in words.items()))
    others = "; ".join(f"{', '.join(pins)} also {prov.ref([m])}" for m, pins in
                       sorted(also.items(), key=lambda kv: prov.letter_of(kv[0])))
    return f"**Measured** {prov.ref([main])}" + (f" ({others})" if others else "") + ": " + SEP.join(items)


def pin_label(o: Dict[str, Any], change: Dict[str, Any]) -> str:
    """'2.0.1', or '2.0.1 with NumPy 1.26.4' where the entry depends on that library."""
    lib = library_version(change, o)
    return o["_pin"] + (f" with {LIBRARY_NAMES[change['depends_on']]} {lib}" if lib else "")


def value_lines(change: Dict[str, Any], obs: Sequence[Dict[str, Any]], prov: Provenance,
                changes_only: bool = False) -> List[str]:
    """Measured, for entries with ``compare``: per machine, where the check's values change from one
    pin to the next ('Values change at 2.0.1 (vs 1.13.1) [A]: `a` -> `b`'), or that they never do."""
    lines = []
    for cpu, vc in sorted(value_changes(change, obs).items(), key=lambda kv: prov.letter_of(kv[0])):
        ref = prov.ref([cpu])
        if not vc["changes"]:
            if not changes_only:
                pins = [o["_pin"] for o in vc["chain"]]
                where = f"the same on every pin measured ({', '.join(pins)})" if len(pins) > 1 else \
                    f"{pins[0]}, the only pin measured there"
                lines.append(f"**Values** {ref}: {where}: `{fmt_compare(compare_value(change, vc['chain'][0]))}`")
            continue
        for i, (a, b) in enumerate(vc["changes"]):
            which = "**Values change**" if i == 0 else "**Values change again**"
            lines.append(f"{which} at {pin_label(b, change)} (vs {pin_label(a, change)}) {ref}: "
                         f"`{fmt_compare(compare_value(change, a))}` -> `{fmt_compare(compare_value(change, b))}`")
    return lines


def _cited_for(change: Dict[str, Any], key: str):
    """(release text, stated?) that the entry cites for a boundary of kind ``key`` (warns / fails /
    changed; a 'fails' boundary falls back to 'changed'), or (None, False)."""
    cited = change.get("cited_versions", {})
    for k in (key, "changed") if key == "fails" else (key,):
        if cited.get(k):
            return cited[k], k in stated_keys(cited)
    return None, False


def bracket_lines(change: Dict[str, Any], obs: Sequence[Dict[str, Any]], prov: Provenance) -> List[str]:
    """Measured, per boundary (first pin that warns, fails, differs): 'runs on 2.0.1, warns on 2.4.1
    (measured [A]); in between, the source cites 2.1.0', or, where the oldest pin whose check ran
    already shows it, that the first release is not measured here. The release the catalog cites is
    set against the two pins: inside the bracket, or said to disagree with the measurement.

    Only pins whose check ran count (:func:`matrix.records.observations.boundary`): a not-run pin never moves a
    boundary. Entries whose outcome depends on another library's version, or that break the outcome
    down per function (their table says it per function), get none.
    """
    if change.get("depends_on") or change.get("breakdown"):
        return []
    by_pin = first_per_pin(obs)
    src = change.get("cited_versions", {}).get("source", "")
    lines = []
    for name, outcomes, key in BOUNDARIES:
        b = boundary(by_pin, outcomes)
        if b is None:
            continue
        after, before = b["after"], b["before"]
        word = OUTCOME_WORDS[by_pin[after]["outcome"]]
        ref = prov.ref_obs(by_pin[p] for p in (before, after) if p)
        release, stated = _cited_for(change, key)
        version = cited_release(release) if release else None
        mark = "" if stated else " *(inferred)*"
        if before:
            head = (f"**Bracketed** {ref}: {OUTCOME_WORDS[b['before_outcome']]} on {before}, {word} on {after} "
                    "(measured)")
            inside = version is not None and cited_release(before) < version <= cited_release(after)
        else:
            head = (f"**Not bracketed** {ref}: {word} already on {after}, the oldest pin whose check ran; the first "
                    f"release that {word} is not measured here")
            inside = version is not None and version <= cited_release(after)
        if version is None:
            tail = "; no source names the release" + (" in between" if before else "")
        elif inside:
            tail = (f"; {'in between, ' if before else ''}the source cites {release}{mark} "
                    f"([source]({src}))")
        else:
            tail = (f"; the source cites {release}{mark} ([source]({src})), which this measurement contradicts: "
                    f"check the source")
        lines.append(head + tail)
    return lines


def cited_line(change: Dict[str, Any]) -> str:
    """What the sources say, on one line: 'Cited ([source](url)): warns since 0.4.0 · fails since 1.0.0
    (inferred)', each release marked inferred where the source does not state it; or that none is named."""
    cited = change.get("cited_versions", {})
    src = cited.get("source", "")
    stated = stated_keys(cited)
    parts = [f"{CITED_LABELS[key]} since {cited[key]}" + ("" if key in stated else " *(inferred)*")
             for key in CITED_KEYS if cited.get(key)]
    if not parts:
        return "**Cited**: no release named by a source (what was searched: under Evidence)"
    return f"**Cited** ([source]({src})): " + SEP.join(parts)


def version_statement(change: Dict[str, Any], obs: Sequence[Dict[str, Any]],
                      prov: Optional[Provenance] = None) -> List[str]:
    """The version answer at the top of a change: measured (one 'pin: outcome' line, the values where
    the entry compares them) and cited, as a list; 'Not measured here' with the reasons where no
    check ran."""
    prov = prov or Provenance.of_observations(obs)
    lines: List[str] = []
    if not first_per_pin(obs):
        reasons = sorted({reader_text(o.get("detail") or "no reason recorded") for o in obs})
        pins = ", ".join(per_pin(obs))
        lines.append("**Not measured here**: no recorded check ran" + (f" (on torch {pins})" if pins else "") +
                     (f": {'; '.join(reasons)}" if reasons else ": no results recorded"))
    else:
        lines.append(pin_outcomes(change, obs, prov))
        lines += bracket_lines(change, obs, prov)
        if change.get("compare"):
            lines += value_lines(change, obs, prov)
    lines.append(cited_line(change))
    return [f"- {ln}" for ln in lines]


def source_note(change: Dict[str, Any]) -> List[str]:
    """The note on the sources (how a cited version was read, or what was searched), for Evidence."""
    cited = change.get("cited_versions", {})
    if any(cited.get(k) for k in CITED_KEYS):
        return [f"Note on the sources: {sentence(reader_words(cited['note']))}"] if cited.get("note") else []
    return [f"No release named by a source: {sentence(reader_words(cited.get('note') or NO_SOURCE))}"]
