"""docs/migration.md: every change with its fix and versions, the silent changes, the examples by era.

The silent-changes section shows each divergence of the loss curves with its attribution
(:mod:`matrix.divergence`) and lists the unexplained ones; the examples section shows each
example's figure and the era-to-era diffs of its scripts.
"""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from matrix import ERAS, EXAMPLES, ROOT
from matrix.divergence import explain_divergence, find_divergences
from matrix.observations import (clean_message, first_per_pin, measured_tag, probe_observations, range_tag,
                                 short_date)
from matrix.pages.cells import published_lines
from matrix.pages.text import GENERATED, Footnotes, fence, sentence
from matrix.pages.versions import change_lines, version_statement


def function_table(change: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> List[str]:
    """For ``breakdown = "functions"``: function x pin, works / warns / errors, messages as footnotes,
    and the first pin that warns / errors per function."""
    by_pin = first_per_pin(obs)
    if not by_pin:
        return []
    funcs: List[str] = []
    for o in by_pin.values():
        for name in (o.get("value") or {}):
            if name not in funcs:
                funcs.append(name)
    notes = Footnotes()
    head = [f"torch {p}" for p in by_pin]
    out = ["| function | replacement | " + " | ".join(head) + " | first warns | first errors |",
           "|" + " --- |" * (len(head) + 4)]
    for name in funcs:
        cells, first = [], {"warns": None, "errors": None}
        new = "-"
        for pin, o in by_pin.items():
            f = (o.get("value") or {}).get(name)
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
            else:
                cells.append(kind or "?")
        out.append(f"| `torch.{name}` | `{new}` | " + " | ".join(cells) +
                   f" | {first['warns'] or '-'} | {first['errors'] or '-'} |")
    out += ["", f"Each column: the probe's record on that pin ({range_tag(list(by_pin.values()), change)}). "
            "The texts, as printed:", ""] + notes.lines()
    return out


def other_texts(change: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> List[Tuple[Dict[str, Any], str]]:
    """Warning and error texts the probe recorded other than the symptom: (first observation, text)."""
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


def context_lines(ch: Dict[str, Any], obs: Sequence[Dict[str, Any]]) -> List[str]:
    """The entry's ``context`` keys of the probe's value, per pin and CPU (shown, not compared)."""
    out = []
    for cpu in sorted({o["_cpu"] for o in obs}):
        for pin, o in first_per_pin(obs, cpu).items():
            value = o.get("value") if isinstance(o.get("value"), dict) else {}
            facts = [f"{k} {value[k]}" for k in ch["context"] if value.get(k) is not None]
            if facts:
                out.append(f"- torch {pin}: {'; '.join(facts)} ({measured_tag(o, ch)}).")
    return ["Recorded with the values above:", ""] + out + [""] if out else []


def render_change(ch: Dict[str, Any], obs: Sequence[Dict[str, Any]], sessions: Sequence[Dict[str, Any]] = ()) -> List[str]:
    """One catalog entry: what you see, why, the fix, the versions (measured and cited), the sources."""
    out = [f"<a id=\"{ch['id']}\"></a>", "", f"### {ch['title']}", "",
           f"Kind: **{ch['kind']}**. Probe: `matrix.probes.{ch['probe']}`.", "", "**What you see**", "",
           fence(ch["symptom"]), ""]
    extra = [] if ch.get("breakdown") == "functions" else other_texts(ch, obs)
    if extra:
        out += ["Other texts the probe recorded (the first pin that printed each):", ""]
        for o, text in extra:
            out += [f"- torch {o['_pin']} ({measured_tag(o, ch)}):", "", fence(text), ""]
    out += ["**Why**", "", ch["why"], "", "**Fix**", "", ch["fix"], "", "Before:", "", fence(ch["old"], "python"), "",
            "After:", "", fence(ch["new"], "python"), "", "**Versions**", ""]
    out += version_statement(ch, obs) + [""]
    out += published_lines(ch, sessions)
    if ch.get("breakdown") == "functions":
        table = function_table(ch, obs)
        if table:
            out += table + [""]
    if ch.get("context"):
        out += context_lines(ch, obs)
    by_pin = first_per_pin(obs, ran_only=False)
    if by_pin:
        out += ["Probe outcome per pin: " + "; ".join(f"torch {p}: {o['outcome']}" for p, o in by_pin.items()) +
                " (details per CPU: [compat-matrix.md](compat-matrix.md#changes-x-torch)).", ""]
    if ch.get("may_change"):
        out += [f"Could change the loss curves of (hypothesis: {sentence(ch['hypothesis'])[:-1]}): " +
                ", ".join(ch["may_change"]) + ".", ""]
    if ch["variants"]:
        out += ["Used by: " + ", ".join(f"[{v}](../variants/{v}.py)" for v in ch["variants"]) + ".", ""]
    out += ["Sources: " + ", ".join(f"<{u}>" for u in ch["sources"]) + ".", ""]
    return out


def render_divergence(d: Dict[str, Any], explained: List[Dict[str, Any]]) -> List[str]:
    """One group of curves that differ between pins: the table against the oldest pin, and why each
    consecutive difference is attributed (or not)."""
    where = d["device_name"] or d["device"]
    out = [f"#### {d['era']}/{d['example']} ({d['device']}: {where}, seed {d['seed']}, {d['steps']} steps)", "",
           f"Compared with torch {d['reference']}, the oldest pin recorded on this {d['device'].upper()}:", "",
           "| torch | run | first loss | last loss | first step that differs | largest relative difference |",
           "| --- | --- | --- | --- | --- | --- |"]
    for r in d["rows"]:
        step = "-" if r["first_diff_step"] is None else str(r["first_diff_step"])
        out.append(f"| {r['torch'] or r['pin']} | {short_date(r['date'])} | {r['first_loss']!r} | "
                   f"{r['last_loss']!r} | {step} | {r['max_rel_diff']:.3g} |")
    out += ["", "Why (each pin whose curve differs from the previous pin's):", ""]
    for e in explained:
        head = f"- torch {e['pin']} vs {e['previous']}, from step {e['step']}: "
        if e["entries"]:
            parts = [f"[{ch['title']}](#{ch['id']}): the entry lists this script and {verdict}"
                     for ch, verdict in e["checked"] if ch in e["entries"]]
            ruled_out = [f"[{ch['id']}](#{ch['id']}) ({verdict})" for ch, verdict in e["checked"]
                         if ch not in e["entries"]]
            out.append(head + "attributed to " + "; and to ".join(parts) + "." +
                       (f" Also listed for this script, not attributed: {'; '.join(ruled_out)}." if ruled_out else ""))
            continue
        checked = "; ".join(f"[{ch['id']}](#{ch['id']}): {verdict}" for ch, verdict in e["checked"])
        why = (f"the entries that list this script do not explain it ({checked})" if checked else
               "no catalog entry lists this script in `may_change`")
        env = f" Also different between the two runs: {', '.join(e['environment'])}." if e["environment"] else ""
        out.append(head + f"**unexplained**: {why}.{env}")
    return out + [""]


def render_silent(catalog, sessions, observations, prose_dir: Path) -> List[str]:
    """The silent-changes section: curve differences with their attributions, the unexplained ones,
    and the probes whose values change or that differ from the old behaviour."""
    out = ["<a id=\"silent-changes\"></a>", "", "## Changes that raise nothing but change results", ""]
    silent = prose_dir / "silent-intro.md"
    if silent.exists():
        out += [silent.read_text(encoding="utf-8").strip(), ""]
    divs = find_divergences(sessions)
    out += ["### In the recorded runs", ""]
    if not divs:
        out += ["No two torch pins gave different losses for the same era, example, device, CPU and seed "
                "in the recorded runs" + ("" if sessions else " (no runs are recorded yet)") + ".", ""]
    unexplained = []
    for d in divs:
        explained = explain_divergence(d, catalog, observations)
        out += render_divergence(d, explained)
        for e in explained:
            if not e["entries"]:
                env = f" ({', '.join(e['environment'])})" if e["environment"] else ""
                unexplained.append(f"{d['era']}/{d['example']} on {d['device_name'] or d['device']}: "
                                   f"torch {e['previous']} -> {e['pin']}, from step {e['step']}{env}")
    if divs:
        out += ["### Unexplained differences", ""]
        out += ([f"- {u}" for u in unexplained] if unexplained else
                ["None: every difference between consecutive pins is attributed above."]) + [""]
    out += ["### In the probes", ""]
    found = False
    for ch in catalog:
        if not ch.get("compare"):
            continue
        lines = [ln for ln in change_lines(ch, observations.get(ch["probe"], [])) if "Changes" in ln]
        first = first_per_pin(observations.get(ch["probe"], []))
        differs = [o for o in first.values() if o["outcome"] == "differs"]
        if not lines and not differs:
            continue
        found = True
        out.append(f"- [{ch['title']}](#{ch['id']}):")
        out += ["  " + ln for ln in lines]
        if differs:
            o = differs[0]
            out.append(f"  - Differs from the old behaviour on torch {', '.join(x['_pin'] for x in differs)}: "
                       f"{sentence(o.get('detail') or '')[:-1]} ({measured_tag(o, ch)}).")
    if not found:
        out.append("No probe recorded other values from one pin to the next, and none reported `differs`.")
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
           "(CPU runs; one panel per era; pins whose curves are identical share a line).", ""]
    for ex in EXAMPLES:
        out += [f"### {ex}", ""]
        fig = manifest.get(f"{ex}.png")
        if fig:
            out += [f"![{ex}: loss per step](img/{ex}.png)", "", "Lines:", ""]
            out += [f"- {c}" for c in fig["curves"]]
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
                     unrelated=()) -> str:
    """docs/migration.md: every change, the silent changes, the examples era by era."""
    out = [GENERATED, "", "# Migrating \"Learning PyTorch with Examples\" code across PyTorch releases", ""]
    intro = prose_dir / "migration-intro.md"
    if intro.exists():
        out += [intro.read_text(encoding="utf-8").strip(), ""]
    observations = probe_observations(sessions, catalog, unrelated)
    out += ["## Contents", "", "Changes:", ""]
    out += [f"- [{ch['title']}](#{ch['id']}) ({ch['kind']})" for ch in catalog]
    out += ["", "- [Changes that raise nothing but change results](#silent-changes)",
            "- [The examples, era by era](#examples)", "", "## Changes", ""]
    for ch in catalog:
        out += render_change(ch, observations.get(ch["probe"], []), sessions)
    out += render_silent(catalog, sessions, observations, prose_dir)
    out += render_examples_section(sessions, variants_dir, manifest)
    return "\n".join(out)
