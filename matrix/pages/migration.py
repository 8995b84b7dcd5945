"""docs/migration.md: every change with its fix and versions, the silent changes, the examples by era.

Each change answers first: the message a user searches for, the fix (the catalog's new code), and one
"pin: outcome" line measured here beside what the sources cite (:mod:`matrix.pages.versions`). Why it
changed and the old code follow; the evidence (per pin, the texts, the tutorial's own code as
published, the sources) is collapsed under it. Where and when the measurements ran is said once, under
"How these were measured" (:mod:`matrix.pages.provenance`); each measured statement refers to it by a
letter. The silent-changes section shows each divergence of the loss curves with its attribution
(:mod:`matrix.records.divergence`) and lists the unexplained ones; the examples section shows each example's
figure and the era-to-era diffs of its scripts.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from matrix import ERAS, EXAMPLES, ROOT
from matrix.facts.catalog import MESSAGE
from matrix.records.divergence import explain_divergence, find_divergences
from matrix.records.observations import clean_message, first_per_pin, functions_of, probe_observations, short_date
from matrix.probes import PROBES, probe_name
from matrix.pages.cells import published_lines
from matrix.pages.provenance import ANCHOR, Provenance, not_run_lines, unavailable_lines
from matrix.pages.text import GENERATED, Footnotes, details, fence, md_escape, reader_text, reader_words, sentence
from matrix.pages.versions import per_pin, source_note, value_lines, version_statement
from matrix.pages.upgrade import render_upgrade_section  # python -m shims upgrade per change


def probe_file(change_id: str) -> str:
    """The file of matrix/probes/ that defines the check of entry ``change_id`` (importing the probes
    does not import torch)."""
    return PROBES[change_id].__module__.replace(".", "/") + ".py"


def function_table(change: Dict[str, Any], obs: Sequence[Dict[str, Any]],
                   notes: Footnotes) -> List[str]:
    """For ``breakdown = "functions"``: function x pin, works / warns / errors (the texts as footnotes
    in ``notes``), and the first pin that warns / errors per function."""
    by_pin = first_per_pin(obs)
    if not by_pin:
        return []
    funcs: List[str] = []
    for o in by_pin.values():
        for name in functions_of(o):
            if name not in funcs:
                funcs.append(name)
    head = [f"torch {p}" for p in by_pin]
    out = ["| function | replacement | " + " | ".join(head) + " | first warns | first errors |",
           "|" + " --- |" * (len(head) + 4)]
    for name in funcs:
        cells, first = [], {"warns": None, "errors": None}
        new = "-"
        for pin, o in by_pin.items():
            f = functions_of(o).get(name)
            if not f:
                cells.append("-")
                continue
            new = f.get("new") or new
            kind = f.get("outcome")
            if kind in first and first[kind] is None:
                first[kind] = pin
            if kind == "warns":
                cells.append("warns " + notes.ref(clean_message(f.get("warning") or "")))
            elif kind == "errors":
                cells.append("**errors** " + notes.ref(f"{f.get('type')}: {clean_message(f.get('message') or '')}"))
            elif kind == "not_run":  # not in that release yet (matrix/probes/api.py: removed_linalg)
                cells.append("not run " + notes.ref(f.get("reason") or "not in this release"))
            else:
                cells.append(kind or "?")
        out.append(f"| `torch.{name}` | `{new}` | " + " | ".join(cells) +
                   f" | {first['warns'] or '-'} | {first['errors'] or '-'} |")
    return out


def other_texts(change: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> List[Tuple[Dict[str, Any], str]]:
    """Warning and error texts the check recorded other than the symptom: (first observation, text)."""
    seen: List[str] = [clean_message(change["symptom"])]
    out = []
    for o in first_per_pin(obs).values():
        texts = [f"{w['category']}: {clean_message(w['message'])}" for w in o.get("warnings") or []]
        if o.get("error"):
            texts.append(f"{o['error']['type']}: {clean_message(o['error']['message'])}")
        for text in texts:
            if text not in seen:
                seen.append(text)
                out.append((o, text))
    return out


def left_out_texts(obs: Sequence[Dict[str, Any]]) -> List[Tuple[Dict[str, Any], str]]:
    """Warnings the check recorded that the catalog calls unrelated: (first observation, text)."""
    seen: List[str] = []
    out = []
    for o in obs:
        for w in o.get("_filtered") or []:
            text = f"{w['category']}: {clean_message(w['message'])}"
            if text not in seen:
                seen.append(text)
                out.append((o, text))
    return out


def context_value(v: Any) -> str:
    """A context value as shown: a recorded message ("RuntimeError: ...") quoted as code, as printed;
    anything else as it is."""
    if isinstance(v, str) and MESSAGE.match(v):
        ticks = "``" if "`" in v else "`"
        return f"{ticks}{clean_message(v)}{ticks}"
    return str(v)


def context_lines(ch: Dict[str, Any], obs: Sequence[Dict[str, Any]], prov: Provenance,
                  many: bool = True) -> List[str]:
    """The entry's ``context`` keys of the check's value, per pin and machine (shown, not compared)."""
    out = []
    for cpu in sorted({o["_cpu"] for o in obs}):
        for pin, o in first_per_pin(obs, cpu).items():
            value = o.get("value") if isinstance(o.get("value"), dict) else {}
            facts = [f"{k} {context_value(value[k])}" for k in ch["context"] if value.get(k) is not None]
            if facts:
                out.append(f"- torch {pin}{' ' + prov.ref([cpu]) if many else ''}: {'; '.join(facts)}.")
    return [f"Recorded with the values, measured {prov.ref_obs(obs)}:", ""] + out + [""] if out else []


def used_by(variants: Sequence[str]) -> str:
    """'Used by: legacy [autograd](...), [nn](...); modern [nn](...).' (the scripts, grouped by era)."""
    eras: Dict[str, List[str]] = {}
    for v in variants:
        era, _, example = v.partition("/")
        eras.setdefault(era, []).append(f"[{example}](../variants/{v}.py)")
    return "Used by: " + "; ".join(f"{era} {', '.join(links)}" for era, links in eras.items()) + "."


def evidence(ch: Dict[str, Any], obs: Sequence[Dict[str, Any]], sessions: Sequence[Dict[str, Any]],
             prov: Provenance, notes: Footnotes) -> List[str]:
    """What stands behind the answer: per pin what the check recorded, the tutorial's own code as
    published, how it was checked, the sources; collapsed under the change."""
    out: List[str] = []
    shown = per_pin(obs)
    many = len({o["_cpu"] for o in obs}) > 1

    def at(o: Dict[str, Any]) -> str:  # an item's machine, where the items ran on more than one
        return f" {prov.ref_obs([o])}" if many else ""

    missing = [f"- torch {pin}{at(o)}: not run: {reader_text(o.get('detail') or 'no reason recorded')}"
               if o["outcome"] == "not_run" else
               f"- torch {pin}{at(o)}: crashed: "
               f"{reader_text((o.get('error') or {}).get('message') or o.get('detail') or 'no reason recorded')}"
               for pin, o in shown.items() if o["outcome"] in ("not_run", "crashed")]
    if missing:
        idle = [o for o in shown.values() if o["outcome"] in ("not_run", "crashed")]
        out += [f"Pins where the check did not run the old form (never counted as runs), measured {prov.ref_obs(idle)}:",
                ""] + missing + [""]
    extra = [] if ch.get("breakdown") == "functions" else other_texts(ch, obs)
    if extra:
        out += [f"Other warnings and errors the check printed (the first pin that printed each), measured "
                f"{prov.ref_obs(o for o, _ in extra)}:", ""]
        for o, text in extra:
            out += [f"- torch {o['_pin']}{at(o)}:", "", fence(text), ""]
    if notes.reasons:
        out += ["The texts in the table, as printed:", ""] + notes.lines() + [""]
    if ch.get("context"):
        out += context_lines(ch, obs, prov, many)
    left = left_out_texts(obs)
    if left:
        out += [f"Left out as unrelated to this change (`[[unrelated_warning]]` in matrix/catalog.toml), measured "
                f"{prov.ref_obs(o for o, _ in left)}: " +
                "; ".join(f"`{text}` (torch {o['_pin']}{at(o)})" for o, text in left) + ".", ""]
    out += published_lines(ch, sessions, prov)
    where = probe_file(ch["id"])
    out += [f"Checked by `{probe_name(ch['id'])}` in [{where}](../{where}); every pin and machine: "
            "[compat-matrix.md](compat-matrix.md#changes-x-torch).", ""]
    cited = source_note(ch)
    if cited:
        out += cited + [""]
    out += ["Sources: " + ", ".join(f"<{u}>" for u in ch["sources"]) + ".", ""]
    if ch.get("may_change"):
        out += [f"Could change the loss curves of (hypothesis: {reader_words(sentence(ch['hypothesis'])[:-1])}): " +
                ", ".join(ch["may_change"]) + ".", ""]
    if ch["variants"]:
        out += [used_by(ch["variants"]), ""]
    return details("Evidence", out[:-1] if out and out[-1] == "" else out)


def render_change(ch: Dict[str, Any], obs: Sequence[Dict[str, Any]], sessions: Sequence[Dict[str, Any]] = (),
                  prov: Provenance = None, sweep_obs: Sequence[Dict[str, Any]] = ()) -> List[str]:
    """One catalog entry: what you see, the fix, the versions (measured and cited); then why and the
    old code; then the evidence, collapsed."""
    prov = prov or Provenance.of_sessions(sessions)
    out = [f"<a id=\"{ch['id']}\"></a>", "", f"### {ch['title']}", "", f"**What you see** (kind: {ch['kind']}):", "",
           fence(ch["symptom"]), "", f"**Fix**: {reader_words(sentence(ch['fix']))}", "",
           fence(ch["new"], "python"), ""]
    out += version_statement(ch, obs, prov, sweep_obs) + [""]
    notes = Footnotes()
    if ch.get("breakdown") == "functions":
        table = function_table(ch, obs, notes)
        if table:
            out += [f"Per function, measured {prov.ref_obs(first_per_pin(obs).values())} "
                    "(the texts: under Evidence):", ""] + table + [""]
    out += ["**Why**", "", reader_words(ch["why"]), "", "Before:", "", fence(ch["old"], "python"), ""]
    out += evidence(ch, obs, sessions, prov, notes)
    return out


def render_provenance(sessions: Sequence[Dict[str, Any]], prov: Provenance, unavailable=()) -> List[str]:
    """'How these were measured': the runs (machine letter, pin, torch build, versions, date), said
    once; the records that ran nothing, one line per device and reason."""
    out = [f"<a id=\"{ANCHOR}\"></a>", "", "## How these were measured", "",
           "Every statement marked **measured** comes from this project's recorded runs (`results/*.json`): "
           "on each torch pin, each era's nine scripts ran, each in its own process, and a minimal check ran the "
           "old form of each change on the CPU in the same run. A measured statement names the torch pin and "
           f"the machine by its letter ([A](#{ANCHOR})); the table gives, per machine and pin, the torch build "
           "and the date. float32 bits depend on the CPU, so values are only compared between runs with "
           "the same letter. **Cited** marks a release that the linked source states, not measured here; "
           "*(inferred)*: the source does not state it, it was read from a date or a related statement "
           "(the note under Evidence says how).", "",
           "Outcomes: *runs* (no warning, no error), *warns*, *fails* (raises), *differs* (runs without a "
           "message but computes something else than the old form did), *not run* (with the reason; never "
           "counted as runs).", "",
           "**Bracketed**: the last pin whose check ran without the warning, error or difference and the first "
           "with it, both measured; the change came in a release between them (the release a source cites there "
           "is named, or its disagreement with the measurement said). **Not bracketed**: the oldest pin whose "
           "check ran already shows it, so the first release that does is not measured here. Only pins whose "
           "check ran count: a pin where it did not run never moves either.", "",
           "**Every minor release** and **Where it happens**: the same check alone (no example scripts) on the "
           "latest patch of every minor release from PyPI, 1.0 to the newest, each in a throwaway virtualenv "
           "([the sweep](coverage.md#sweep)); where it ran, its boundaries replace the pins' brackets: the first "
           "release with the warning, error or difference and the release before it. A source's release that "
           "the sweep brackets is no longer called inferred; *(inferred)* is left where no older release "
           "installs.", ""]
    out += prov.table() + [""]
    out += not_run_lines(sessions)
    unavail = unavailable_lines(unavailable, sessions)
    return out + ([""] + unavail if unavail else []) + [""]


def isolated_lines(e: Dict[str, Any], ref: str) -> List[str]:
    """Under one pin's 'why': each cause alone, as a check ran the script's loop on both pins
    (:func:`matrix.records.divergence.isolated_runs`): where zeroed vs None grads, and this torch's linspace vs
    the float64 one rounded once, move the loss most; and whether the loop with both held fixed gives
    the same curve on the two pins (then these two causes are all that changed)."""
    out = []
    for item in e.get("isolated") or []:
        ch = item["change"]
        some = next(iter(item["runs"].values()))
        out.append(f"  - Each cause alone, from the check `{probe_name(ch['id'])}` ([{ch['id']}](#{ch['id']})), which runs "
                   f"this loop's first {some.get('steps')} steps (seed 0) one way and the other{ref}:")
        for pin, iso in item["runs"].items():
            zg, ls = iso.get("zero_grad") or {}, iso.get("linspace") or {}
            zg_text = (f"largest difference at step {zg['step']}: {zg['zeros']!r} with zeroed grads, "
                       f"{zg['none']!r} with None" if zg.get("step") is not None else "no difference")
            ls_text = (f"at step {ls['step']}: {ls['torch_linspace']!r} with this torch's linspace, "
                       f"{ls['rounded_float64']!r} with the rounded one" if ls.get("step") is not None else
                       "no difference")
            out.append(f"    - torch {pin}: zeroed (1.x `zero_grad()`) vs None (2.x) grads, same x: {zg_text}; "
                       f"this torch's float32 linspace vs the float64 linspace rounded once, grads zeroed: "
                       f"{ls_text}.")
        if len(item["runs"]) > 1:
            own = {pin: (iso.get("curves") or {}).get("linspace_zeros") for pin, iso in item["runs"].items()}
            pins = " and ".join(item["runs"])
            out.append(f"    - With zeroed grads on each torch's own linspace the curves are "
                       + ("the same on " + pins + ": the linspace bits do not move them." if len(set(own.values())) == 1
                          else "not the same on " + pins + ": the linspace bits alone move them."))
        if item["same_elsewhere"] is True:
            out.append(f"    - With the rounded x and zeroed grads the loop gives the same curve on "
                       f"{' and '.join(item['runs'])}: nothing else in it changed between them.")
        elif item["same_elsewhere"] is False:
            out.append(f"    - With the rounded x and zeroed grads the loop's curve still differs between "
                       f"{' and '.join(item['runs'])}: something else in it changed too.")
    return out


def largest_text(largest) -> str:
    """'step 25: 8628811.0 (46770404.0)' from :func:`matrix.records.divergence.largest_difference`; '-' for none."""
    if not largest:
        return "-"
    t, ref, here = largest
    return f"step {t}: {here!r} ({ref!r})"


def render_divergence(d: Dict[str, Any], explained: List[Dict[str, Any]], prov: Provenance) -> List[str]:
    """One group of curves that differ between pins: the table against the oldest pin, and why each
    consecutive difference is attributed (or not)."""
    where = d["device_name"] or d["device"]
    out = [f"Compared with torch {d['reference']}, the oldest pin recorded on this {d['device'].upper()}:", "",
           "| torch | run | first loss | last loss | first step that differs | largest relative difference "
           f"| largest difference: step, loss here (on {d['reference']}) |",
           "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in d["rows"]:
        step = "-" if r["first_diff_step"] is None else str(r["first_diff_step"])
        out.append(f"| {r['torch'] or r['pin']} | {short_date(r['date'])} | {r['first_loss']!r} | "
                   f"{r['last_loss']!r} | {step} | {r['max_rel_diff']:.3g} | {largest_text(r['largest_diff'])} |")
    ref = f" (measured {prov.ref([d['device_name']])})" if d["device"] == "cpu" and d["device_name"] else ""
    out += ["", "Why (each pin whose curve differs from the previous pin's):", ""]
    for e in explained:
        head = f"- torch {e['pin']} vs {e['previous']}, from step {e['step']}"
        if e.get("largest"):
            t, was, now = e["largest"]
            head += f" (largest difference at step {t}: {was!r} on {e['previous']}, {now!r} on {e['pin']})"
        head += ": "
        if e["entries"]:
            parts = [f"[{ch['title']}](#{ch['id']}): the entry lists this script and {verdict}"
                     for ch, verdict in e["checked"] if ch in e["entries"]]
            ruled_out = [f"[{ch['id']}](#{ch['id']}) ({verdict})" for ch, verdict in e["checked"]
                         if ch not in e["entries"]]
            out.append(head + "attributed to " + "; and to ".join(parts) + f"{ref}." +
                       (f" Also listed for this script, not attributed: {'; '.join(ruled_out)}." if ruled_out else ""))
            out += isolated_lines(e, ref)
            continue
        checked = "; ".join(f"[{ch['id']}](#{ch['id']}): {verdict}" for ch, verdict in e["checked"])
        why = (f"the entries that list this script do not explain it ({checked}{ref})" if checked else
               "no catalog entry lists this script in `may_change`")
        env = f" Also different between the two runs: {', '.join(e['environment'])}." if e["environment"] else ""
        out.append(head + f"**unexplained**: {why}.{env}")
        out += isolated_lines(e, ref)
    summary = f"{d['era']}/{d['example']} ({d['device']}: {md_escape(where)}, seed {d['seed']}, {d['steps']} steps)"
    return details(summary, out)


def short_title(ch: Dict[str, Any]) -> str:
    """A title up to its first colon ('clamp(min=0) backward'), for a table."""
    return ch["title"].split(": ", 1)[0]


def divergence_summary(rows: List[Tuple[Dict[str, Any], Dict[str, Any]]], prov: Provenance) -> List[str]:
    """One row per pin whose curve differs from the previous pin's: script, pins, step, why."""
    out = ["| script | device | torch | from step | attributed to |", "| --- | --- | --- | --- | --- |"]
    for d, e in rows:
        device = prov.ref([d["device_name"]]) if d["device"] == "cpu" and d["device_name"] else \
            md_escape(d["device_name"] or d["device"])
        why = ", ".join(f"[{md_escape(short_title(ch))}](#{ch['id']})" for ch in e["entries"]) or "**unexplained**"
        out.append(f"| {d['era']}/{d['example']} | {d['device']} {device} | {e['previous']} -> {e['pin']} | "
                   f"{e['step']} | {why} |")
    return out


def render_silent(catalog, sessions, observations, prose_dir: Path, prov: Provenance) -> List[str]:
    """The silent-changes section: curve differences with their attributions, the unexplained ones,
    and the checks whose values change or that differ from the old behaviour."""
    out = ["<a id=\"silent-changes\"></a>", "", "## Changes that raise nothing but change results", ""]
    silent = prose_dir / "silent-intro.md"
    if silent.exists():
        out += [silent.read_text(encoding="utf-8").strip(), ""]
    divs = find_divergences(sessions)
    out += ["### In the recorded runs", ""]
    if not divs:
        out += ["No two torch pins gave different losses for the same era, example, device, CPU and seed "
                "in the recorded runs" + ("" if sessions else " (no runs are recorded yet)") + ".", ""]
    unexplained, summary, detail = [], [], []
    for d in divs:
        explained = explain_divergence(d, catalog, observations)
        detail += render_divergence(d, explained, prov)
        summary += [(d, e) for e in explained]
        for e in explained:
            if not e["entries"]:
                env = f" ({', '.join(e['environment'])})" if e["environment"] else ""
                unexplained.append(f"{d['era']}/{d['example']} on {d['device_name'] or d['device']}: "
                                   f"torch {e['previous']} -> {e['pin']}, from step {e['step']}{env}")
    if divs:
        machines = prov.ref(d["device_name"] for d in divs if d["device"] == "cpu" and d["device_name"])
        out += ["Each pin whose loss curve differs from the previous pin's (same era, example, device, CPU and seed), "
                f"measured{' ' + machines if machines else ''}, and the change it is attributed to:", ""] + \
            divergence_summary(summary, prov) + [""]
        out += ["Per script, the losses on every pin and why each difference is attributed (or not):", ""] + detail
        out += ["### Unexplained differences", ""]
        out += ([f"- {u}" for u in unexplained] if unexplained else
                ["None: every difference between consecutive pins is attributed above."]) + [""]
    out += ["### In the minimal checks", ""]
    found = False
    for ch in catalog:
        if not ch.get("compare"):
            continue
        obs = observations.get(ch["id"], [])
        lines = value_lines(ch, obs, prov, changes_only=True)
        differs = [o for o in first_per_pin(obs).values() if o["outcome"] == "differs"]
        if not lines and not differs:
            continue
        found = True
        out.append(f"- [{ch['title']}](#{ch['id']}):")
        out += ["  - " + ln for ln in lines]
        if differs:
            o = differs[0]
            out.append(f"  - Differs from the old behaviour on torch {', '.join(x['_pin'] for x in differs)} "
                       f"(measured {prov.ref_obs(differs)}): {sentence(reader_text(o.get('detail') or ''))}")
    if not found:
        out.append("No check recorded other values from one pin to the next, and none reported that it differs "
                   "from the old behaviour.")
    return out + [""]


def variant_diff(a: Path, b: Path) -> str:
    """Unified diff of two variant scripts ('' when one is missing)."""
    if not (a.exists() and b.exists()):
        return ""
    rel_a, rel_b = a.relative_to(ROOT).as_posix() if a.is_relative_to(ROOT) else a.name, \
        b.relative_to(ROOT).as_posix() if b.is_relative_to(ROOT) else b.name
    lines = difflib.unified_diff(a.read_text(encoding="utf-8").splitlines(), b.read_text(encoding="utf-8").splitlines(),
                                 fromfile=rel_a, tofile=rel_b, lineterm="", n=2)
    return "\n".join(lines)


def render_examples_section(sessions, variants_dir: Path, manifest: Dict[str, Any]) -> List[str]:
    """Per example: its figure with the line descriptions, and the era-to-era diffs of the scripts."""
    out = ["<a id=\"examples\"></a>", "", "## The examples, era by era", "",
           "For each example, the three eras as unified diffs generated from the scripts in "
           "variants/ (legacy -> tensor_autograd -> modern), and its loss curves from the recorded runs "
           "(CPU runs; one panel per era; pins whose curves are identical share a line; where the lines of a "
           "panel lie on top of each other, a panel below it shows their relative difference per step).", ""]
    for ex in EXAMPLES:
        out += [f"### {ex}", ""]
        fig = manifest.get(f"{ex}.png")
        if fig:
            out += [f"![{ex}: loss per step](img/{ex}.png)", "", "Lines:", ""]
            out += [f"- {c}" for c in fig["curves"]]
            if fig.get("difference_panels"):
                out += ["", "Difference panels (under the panels whose lines lie within "
                        f"{fig['overlap_px']} pixels of each other at most of the steps where they differ):", ""]
                out += [f"- {c}" for c in fig["difference_panels"]]
            out += ["", f"Data SHA-256 `{fig['data_sha256'][:16]}`.", ""]
        present = [e for e in ERAS if (variants_dir / e / f"{ex}.py").exists()]
        out += ["Scripts: " + (", ".join(f"[{e}](../variants/{e}/{ex}.py)" for e in present) or "none yet") + ".", ""]
        for a, b in (("legacy", "tensor_autograd"), ("tensor_autograd", "modern")):
            diff = variant_diff(variants_dir / a / f"{ex}.py", variants_dir / b / f"{ex}.py")
            if diff:
                out += [f"<details><summary>{a} -> {b}</summary>", "", fence(diff, "diff"), "", "</details>", ""]
            else:
                out += [f"({a} -> {b}: one of the two scripts is missing.)", ""]
    return out


def render_migration(catalog, sessions, prose_dir: Path, variants_dir: Path, manifest: Dict[str, Any],
                     unrelated=(), unavailable=(), sweep_sessions=()) -> str:
    """docs/migration.md: how it was measured, every change, the silent changes, the examples era by era.
    ``sweep_sessions``: the probe sweep's records as sessions (:func:`matrix.records.sweep.sessions`), which
    place each boundary at the release where it happens."""
    out = [GENERATED, "", "# Migrating \"Learning PyTorch with Examples\" code across PyTorch releases", ""]
    intro = prose_dir / "migration-intro.md"
    if intro.exists():
        out += [intro.read_text(encoding="utf-8").strip(), ""]
    observations = probe_observations(sessions, catalog, unrelated)
    prov = Provenance.of_sessions(sessions)
    out += ["## Contents", "", "- [How these were measured](#measured)", "", "Changes:", ""]
    out += [f"- [{ch['title']}](#{ch['id']}) ({ch['kind']})" for ch in catalog]
    out += ["", "- [Upgrading your own script](#upgrade)",
            "- [Changes that raise nothing but change results](#silent-changes)",
            "- [The examples, era by era](#examples)", ""]
    out += render_provenance(sessions, prov, unavailable)
    out += ["## Changes", ""]
    swept = probe_observations(sweep_sessions, catalog, unrelated)
    for ch in catalog:
        out += render_change(ch, observations.get(ch["id"], []), sessions, prov, swept.get(ch["id"], []))
    out += render_upgrade_section(catalog, prov)
    out += render_silent(catalog, sessions, observations, prose_dir, prov)
    out += render_examples_section(sessions, variants_dir, manifest)
    return "\n".join(out)
