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

from typing import Any, Dict, List, Optional, Sequence, Tuple

from matrix.facts.catalog import CITED_KEYS, NO_SOURCE, cited_release, stated_keys
from matrix.records.observations import (BOUNDARIES, LIBRARY_NAMES, RAN, boundary, compare_value, first_per_pin,
                                         fmt_compare, functions_of, library_version, span, value_changes,
                                         version_key)
from matrix.pages.provenance import Provenance
from matrix.pages.text import reader_text, reader_words, runs, sentence

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
    counts: Dict[str, int] = {}
    for f in functions_of(o).values():
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


def cited_line(change: Dict[str, Any], measured: Optional[Dict[str, str]] = None) -> str:
    """What the sources say, on one line: 'Cited ([source](url)): warns since 0.4.0 · fails since 1.0.0
    (inferred)', or that none is named. A release the source does not state is marked inferred, unless
    the sweep measured that boundary on every release (``measured``: key -> the mark, 'not stated by the
    source; [the sweep]: first fails on 1.5.1'): "inferred" is left only where no older release installs."""
    cited = change.get("cited_versions", {})
    src = cited.get("source", "")
    stated = stated_keys(cited)
    measured = measured or {}

    def mark(key: str) -> str:
        if key in stated:
            return ""
        if measured.get(key):
            return f" *({measured[key]})*"
        oldest = measured.get("_oldest")
        if oldest and cited_release(cited[key]) < cited_release(oldest):
            return f" *(inferred: no release before {_minor(oldest)} installs from PyPI)*"
        return " *(inferred)*"

    parts = [f"{CITED_LABELS[key]} since {cited[key]}" + mark(key) for key in CITED_KEYS if cited.get(key)]
    if not parts:
        return "**Cited**: no release named by a source (what was searched: under Evidence)"
    return f"**Cited** ([source]({src})): " + SEP.join(parts)


def _minor(release: str) -> str:
    """'1.0' of '1.0.1': the sweep takes the latest patch of each minor release, so what it cannot reach is
    the releases before that minor one."""
    return ".".join(release.split(".")[:2])


def _function_runs(every: Dict[str, Dict[str, Any]]) -> Dict[str, List[Tuple[str, str]]]:
    """For ``breakdown = "functions"``: function -> [(release, outcome word)] over the releases that ran."""
    out: Dict[str, List[Tuple[str, str]]] = {}
    for release, o in every.items():
        for name, f in (functions_of(o) if o["outcome"] in RAN else {}).items():
            word = OUTCOME_WORDS.get(f["outcome"], f["outcome"])
            out.setdefault(name, []).append((release, word))
    return out


def sweep_statement(change: Dict[str, Any], sweep_obs: Sequence[Dict[str, Any]]) -> Tuple[List[str], Dict[str, str]]:
    """Measured on every minor release (the probe sweep, :mod:`matrix.records.sweep`): the outcomes as
    runs of releases, and each boundary to the release where it happens ('first fails on 1.5.1; 1.4.0
    warns'), set against the release the source cites. Returns the lines and, per cited key (warns /
    fails / changed), what was measured, where the sweep places the boundary between two releases (or
    at the first release where the old form exists at all); ([], {}) where the sweep ran nothing."""
    every = per_pin(sweep_obs)
    if not any(o["outcome"] in RAN for o in every.values()):
        return [], {}
    releases = list(every)
    pythons = sorted({o["_python"] for o in every.values() if o.get("_python")}, key=version_key)
    dates = sorted({str(o["_date"])[:10] for o in every.values() if o.get("_date")})
    head = (f"**Every minor release** ({len(releases)} releases, {releases[0]} to {releases[-1]}, Python "
            f"{', '.join(pythons)}, {span(dates) if dates else 'undated'}: [the sweep](coverage.md#sweep))")
    lines = []
    if change.get("breakdown") == "functions":
        per_function = _function_runs(every)
        lines.append(head + ", per function: " + "; ".join(f"`{name}` {runs(pairs)}"
                                                            for name, pairs in per_function.items()))
    else:
        lines.append(head + ": " + runs([(p, OUTCOME_WORDS.get(o["outcome"], o["outcome"])) for p, o in every.items()]))
    measured: Dict[str, str] = {"_oldest": releases[0]}
    src = change.get("cited_versions", {}).get("source", "")
    ran = first_per_pin(sweep_obs)
    order = list(ran)
    for _name, outcomes, key in BOUNDARIES:
        # the last run of releases with this outcome: where it holds from (a warning that came and went
        # before, e.g. one about the machine, is said as "also")
        starts = [i for i, p in enumerate(order) if ran[p]["outcome"] in outcomes and
                  (i == 0 or ran[order[i - 1]]["outcome"] not in outcomes)]
        if not starts:
            continue
        i = starts[-1]
        after, before = order[i], order[i - 1] if i else None
        word = OUTCOME_WORDS[ran[after]["outcome"]]
        not_run = [p for p in releases if version_key(p) < version_key(after) and p not in ran]
        if before:
            text = f"first {word} on {after}; {before} {OUTCOME_WORDS[ran[before]['outcome']]}"
            low = before
        elif not_run:
            text = f"first {word} on {after}, the first release where the check runs ({not_run[-1]}: not run)"
            low = not_run[-1]
        else:
            text = f"{word} already on {after}, the oldest minor release on PyPI (none before 1.0 installs from there)"
            low = None
        if len(starts) > 1:
            end = starts[0]
            while end + 1 < len(order) and ran[order[end + 1]]["outcome"] in outcomes:
                end += 1
            also = order[starts[0]] + (f" to {order[end]}" if end > starts[0] else "")
            text += f" (also {word} on {also}, then not: see Evidence)"
        said = (f"not stated by the source; [the sweep](coverage.md#sweep): first {word} on {after}" if low is not None
                else f"inferred: {word} on {after}, the oldest release swept; none before {_minor(after)} "
                     "installs from PyPI")
        if change.get("breakdown") == "functions":
            said = ("not stated by the source; per function, on every release in [the sweep](coverage.md#sweep)"
                    if low is not None else said)
        measured[key] = said
        if key == "fails":  # a cited 'changed' stands for the failure where nothing cites 'fails' (_cited_for)
            measured.setdefault("changed", said)
        if change.get("breakdown") == "functions":
            continue  # per function, the runs above say it; an aggregate boundary would mix functions
        release, stated = _cited_for(change, key)
        version = cited_release(release) if release else None
        mark = "" if stated else " *(inferred)*" if low is None else " *(not stated by the source)*"
        if version is None:
            tail = "; no source names the release"
        elif (low is None or cited_release(low) < version) and version <= cited_release(after):
            tail = f"; the source cites {release}{mark} ([source]({src}))"
        else:
            tail = (f"; the source cites {release}{mark} ([source]({src})), which this measurement contradicts: "
                    "check the source")
        lines.append(f"**Where it happens** (every release): {text}{tail}")
    return lines, measured


def version_statement(change: Dict[str, Any], obs: Sequence[Dict[str, Any]],
                      prov: Optional[Provenance] = None, sweep_obs: Sequence[Dict[str, Any]] = ()) -> List[str]:
    """The version answer at the top of a change: measured on the pins (one 'pin: outcome' line, the
    values where the entry compares them), measured on every minor release where the sweep ran the
    probe (its boundaries replace the pins' brackets, which they refine), and cited, as a list; 'Not
    measured here' with the reasons where no check ran on a pin."""
    prov = prov or Provenance.of_observations(obs)
    lines: List[str] = []
    if not first_per_pin(obs):
        reasons = sorted({reader_text(o.get("detail") or "no reason recorded") for o in obs})
        pins = ", ".join(per_pin(obs))
        lines.append("**Not measured here**: no recorded check ran" + (f" (on torch {pins})" if pins else "") +
                     (f": {'; '.join(reasons)}" if reasons else ": no results recorded"))
    else:
        lines.append(pin_outcomes(change, obs, prov))
    swept, measured = ([], {}) if change.get("depends_on") else sweep_statement(change, sweep_obs)
    if first_per_pin(obs):
        lines += swept or bracket_lines(change, obs, prov)
        if change.get("compare"):
            lines += value_lines(change, obs, prov)
    else:
        lines += swept
    lines.append(cited_line(change, measured))
    return [f"- {ln}" for ln in lines]


def source_note(change: Dict[str, Any]) -> List[str]:
    """The note on the sources (how a cited version was read, or what was searched), for Evidence."""
    cited = change.get("cited_versions", {})
    if any(cited.get(k) for k in CITED_KEYS):
        return [f"Note on the sources: {sentence(reader_words(cited['note']))}"] if cited.get("note") else []
    return [f"No release named by a source: {sentence(reader_words(cited.get('note') or NO_SOURCE))}"]
