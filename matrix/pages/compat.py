"""docs/compat-matrix.md: the raw grid of what ran where.

The runs table (one row per record), per era the examples x (pin, device) statuses, and the changes
x (pin, CPU) table of the checks' outcomes and compared values; reasons go into footnotes so that a
reason repeated in many places is written once. A (pin, device) column in which nothing ran, for one
reason, is left out of its table and said once in a line under it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from matrix import ERAS, EXAMPLES, NOT_PASSING
from matrix.records.observations import (LIBRARY_NAMES, compare_value, fmt_compare, functions_of, library_version,
                                 probe_observations, short_date, version_key)
from matrix.pages.cells import cell_of, cell_text, published_text
from matrix.pages.provenance import unavailable_lines
from matrix.pages.text import GENERATED, Footnotes, first_line, md_escape, reader_text, sentence

ERA_TITLES = {"legacy": "legacy (PyTorch 0.1-0.3)", "tensor_autograd": "tensor_autograd (PyTorch 0.4-1.x)",
              "modern": "modern (PyTorch 1.7+/2.x)"}


def probe_text(change: Dict[str, Any], o: Optional[Dict[str, Any]], notes: Footnotes) -> str:
    """A change x torch cell: the outcome (never 'works' for what did not run), the compared values,
    the version of the library the outcome depends on, and footnotes for reasons."""
    if o is None:
        return "-"
    outcome = o["outcome"]
    if outcome == "not_run":
        return "not run " + notes.ref(reader_text(o.get("detail") or "no reason recorded"))
    if outcome == "crashed":
        err = o.get("error") or {}
        return "**crashed** " + notes.ref(reader_text(err.get("message") or o.get("detail") or "no reason recorded"))
    if change.get("breakdown") == "functions" and isinstance(o.get("value"), dict):
        counts: Dict[str, int] = {}
        functions = functions_of(o)
        for f in functions.values():
            counts[f.get("outcome", "?")] = counts.get(f.get("outcome", "?"), 0) + 1
        text = ", ".join(f"{k} {counts[k]}" for k in ("errors", "warns", "works") if counts.get(k)) + \
            f" (of {len(functions)} functions)"
    elif outcome == "warns":
        text = f"warns ({', '.join(sorted({w['category'] for w in o.get('warnings') or []}))})"
    elif outcome == "errors":
        text = f"**errors** ({(o.get('error') or {}).get('type', '?')})"
    elif outcome == "differs":
        text = "**differs**"
    else:
        text = outcome
    value = compare_value(change, o)
    if value is not None:
        text += f" `{fmt_compare(value)}`"
    lib = library_version(change, o)
    if lib:
        text += f", {LIBRARY_NAMES[change['depends_on']]} {lib}"
    if o.get("_filtered"):
        text += " " + notes.ref("unrelated warnings left out (see the list under the table): " +
                                "; ".join(f"{w['category']}: {first_line(w['message'])}" for w in o["_filtered"]))
    return text


def probe_columns(observations: Dict[str, List[Dict[str, Any]]]) -> List[Tuple[str, str]]:
    """(torch pin, CPU) pairs that have probe records, by pin then CPU: one column each."""
    cols = {(o["_pin"], o["_cpu"]) for obs in observations.values() for o in obs}
    return sorted(cols, key=lambda c: (version_key(c[0]), c[1]))


def render_runs(sessions) -> List[str]:
    """The runs table: one row per results file, with its environment and whether its checks ran."""
    out = ["## Runs", "", "Each column below comes from one of these records (one results file each).", "",
           "| record | era | torch pin | torch | Python | NumPy | TensorFlow | device | device name | date | commit "
           "| status | checks |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in sessions:
        status = s.get("status", "?")
        if status != "ran":
            status = f"{status.replace('_', ' ')}: {md_escape(reader_text(s.get('reason') or 'no reason recorded'))}"
        n = len([r for r in s.get("probes") or [] if r.get("outcome") != "crashed" and r.get("id") != "_import"])
        checks = f"{n} recorded" if s.get("status") == "ran" else "-"
        if s.get("probes_error"):
            checks += f"; **checks error**: {md_escape(reader_text(s['probes_error']))}"
        out.append(f"| `{s['_slug']}` | {s.get('era')} | {s.get('torch_pin')} | {s.get('torch_build') or s.get('torch') or '-'} | "
                   f"{s.get('python') or '-'} | {s.get('numpy') or '-'} | {s.get('tensorflow') or '-'} | "
                   f"{s.get('device')} | {md_escape(s.get('device_name') or '-')} | {s.get('date') or '-'} | "
                   f"{s.get('commit') or '-'} | {status} | {checks} |")
    return out + [""]


def column_reason(s: Dict[str, Any], era: str) -> Optional[str]:
    """The one reason every example of ``era`` (as published too) was not run in record ``s``, or None
    where something ran or the reasons differ: such a column holds nothing and is left out."""
    reasons = set()
    for ex in EXAMPLES:
        for mode in ("variant", "as_published"):
            c = cell_of(s, era, ex, mode)
            if c is None:
                if mode == "variant":
                    reasons.add(s.get("reason") or "no result recorded")
                continue
            if c.get("status") != "not_run":
                return None
            reasons.add(c.get("reason") or "no reason recorded")
    return reader_text(reasons.pop()) if len(reasons) == 1 else None


def empty_column_lines(empty: List[Tuple[Dict[str, Any], str]], cols: List[Dict[str, Any]]) -> List[str]:
    """The columns left out, once per device and reason: 'CUDA: not run on any pin — reason.'"""
    out = []
    groups: Dict[Tuple[str, str], List[str]] = {}
    for s, reason in empty:
        groups.setdefault((s.get("device") or "?", reason), []).append(s.get("torch_pin"))
    for (device, reason), pins in groups.items():
        every = [s.get("torch_pin") for s in cols if s.get("device") == device]
        where = "on any pin" if sorted(pins) == sorted(every) else f"on torch {', '.join(pins)}"
        out.append(sentence(f"{device.upper()}: not run {where} — {reason}") + " (Column left out of the table.)")
    return out


def status_word(key: str) -> str:
    return key.replace("_", " ")


#: What the words of a table that holds them mean (said under that table only: most never do).
LEGEND = {
    "diverged": "**diverged (nan ...)**: the script ran to the end, but a loss it printed was not a finite "
                "number (nan or inf; the first such step is named). Not counted as passed.",
    "nondeterministic": "**nondeterministic**: run again with the same seed, each time in a fresh process, "
                        "it printed other losses or ended otherwise (how, in the notes below). Not counted "
                        "as passed.",
    "import": "\"at import of ...\": warnings a library printed while it was being imported (TensorFlow's, "
              "NumPy's own), not caused by the tutorial's code: they don't make it \"passed with warnings\".",
}


def legend_lines(cells: List[Dict[str, Any]]) -> List[str]:
    """The :data:`LEGEND` entries for the words these table entries use, as lines (none if none)."""
    used = {c.get("status") for c in cells} | ({"import"} if any(c.get("import_warnings") for c in cells) else set())
    said = [text for key, text in LEGEND.items() if key in used]
    return [f"- {text}" for text in said] + [""] if said else []


def render_examples(sessions) -> List[str]:
    """Per era, example x (pin, device) statuses; not-run reasons as footnotes; a column in which
    nothing ran, for one reason, left out and said below the table."""
    out = ["## Examples x torch", "",
           "One table per era: a row per example, a column per (torch pin, device). "
           "\"not run\" is never counted as passed; its reason is shown.", ""]
    for era in ERAS:
        cols = [s for s in sessions if s.get("era") == era]
        if not cols:
            continue
        out += [f"### {ERA_TITLES[era]}", ""]
        empty = [(s, r) for s in cols for r in [column_reason(s, era)] if r is not None]
        shown = [s for s in cols if all(s is not e for e, _ in empty)]
        notes = Footnotes()
        errors = Footnotes("e")
        numbers = Footnotes("n")
        if shown:
            header = "| example | " + " | ".join(
                f"torch {s.get('torch_pin')} {s.get('device')}<br>({s.get('torch') or 'not installed'}, "
                f"{md_escape(s.get('device_name') or '-')}, {short_date(s.get('date'))})" for s in shown) + " |"
            out += [header, "|" + " --- |" * (len(shown) + 1)]
            for ex in EXAMPLES:
                row = [f"[{ex}](../variants/{era}/{ex}.py)"]
                for s in shown:
                    c = cell_of(s, era, ex)
                    row.append("not run " + notes.ref(reader_text(s.get("reason") or "no result recorded"))
                               if c is None else cell_text(c, notes, numbers))
                out.append("| " + " | ".join(row) + " |")
            for ex in EXAMPLES:
                published = [cell_of(s, era, ex, "as_published") for s in shown]
                if not any(published):
                    continue
                row = [f"{ex}, as published"]
                for c in published:
                    row.append("-" if c is None else published_text(c, notes, errors))
                out.append("| " + " | ".join(row) + " |")
            out.append("")
            out += legend_lines([c for s in shown for c in s.get("cells") or [] if c.get("era") == era])
        if empty:
            out += empty_column_lines(empty, cols) + [""]
        if notes.reasons:
            out += ["Not run, and why:", ""] + notes.lines() + [""]
        if numbers.reasons:
            out += ["Nondeterministic, and how the runs with the same seed differed:", ""] + numbers.lines() + [""]
        if errors.reasons:
            out += ["\"As published\" rows: the same script with `matrix/as_published/` in place of its "
                    "shims, i.e. the tutorial's own code; its failures are expected (`matrix/expected.toml`). "
                    "What it did:", ""] + errors.lines() + [""]
        counts: Dict[str, int] = {}
        for s in cols:
            for c in s.get("cells") or []:
                key = status_word(c.get("status", "?"))
                if c.get("expected") == "fail" and c.get("status") in NOT_PASSING and \
                        not c.get("unexpected_error"):
                    key += " as expected"
                counts[key] = counts.get(key, 0) + 1
        out += ["Totals (every column, the ones left out too): " +
                ", ".join(f"{k} {counts[k]}" for k in sorted(counts)) + ".", ""]
    return out


def render_changes_table(catalog, observations, unrelated) -> List[str]:
    """Change x (pin, CPU): each probe's outcome and compared values; reasons, disagreements and the
    unrelated warnings left out, under the table."""
    out = ["## Changes x torch", "",
           "What the old form of each change does on each pinned torch, as recorded by its minimal check "
           "([matrix/probes/](../matrix/probes/)) in the same runs: one column per torch pin and CPU "
           "(bit-level values depend on the CPU). For changes that compare values (digests of exact "
           "float bits: their first 8 hex digits), the table shows them; where the outcome depends on "
           "TensorFlow's or NumPy's version, that version. Details and fixes: [migration.md](migration.md).", ""]
    cols = probe_columns(observations)
    if not cols:
        return out + ["No check results recorded yet.", ""]
    head = []
    for pin, cpu in cols:
        o = next(o for obs in observations.values() for o in obs if (o["_pin"], o["_cpu"]) == (pin, cpu))
        head.append(f"torch {pin}<br>({o.get('_torch') or '?'}, py {o.get('_python') or '?'}, {md_escape(cpu)}, "
                    f"{short_date(o.get('_date'))})")
    out += ["| change | kind | " + " | ".join(head) + " |", "|" + " --- |" * (len(cols) + 2)]
    notes = Footnotes()
    disagreements = []
    for ch in catalog:
        obs = observations.get(ch["id"], [])
        cells = []
        for pin, cpu in cols:
            here = [o for o in obs if (o["_pin"], o["_cpu"]) == (pin, cpu)]
            cells.append(probe_text(ch, here[0] if here else None, notes))
            for other in here[1:]:
                if (other["outcome"], compare_value(ch, other)) != (here[0]["outcome"], compare_value(ch, here[0])):
                    disagreements.append(f"{ch['id']}, torch {pin} on {cpu}: `{other['_session']}` recorded "
                                         f"{other['outcome']} `{fmt_compare(compare_value(ch, other))}`, "
                                         f"`{here[0]['_session']}` {here[0]['outcome']} "
                                         f"`{fmt_compare(compare_value(ch, here[0]))}`")
        out.append(f"| [{md_escape(ch['title'])}](migration.md#{ch['id']}) | {ch['kind']} | "
                   + " | ".join(cells) + " |")
    out.append("")
    if notes.reasons:
        out += ["Notes:", ""] + notes.lines() + [""]
    if disagreements:
        out += ["Runs on the same pin and CPU that recorded something else than the column shows:", ""]
        out += [f"- {d}" for d in disagreements] + [""]
    if unrelated:
        out += ["Warnings left out as unrelated to the change under test (`[[unrelated_warning]]` in "
                "matrix/catalog.toml):", ""]
        out += [f"- `{u['pattern']}`: {u['why']}" for u in unrelated] + [""]
    return out


def render_compat(catalog, sessions, prose_dir: Path, unrelated=(), unavailable=()) -> str:
    """docs/compat-matrix.md: the raw grid of what ran where."""
    out = [GENERATED, "", "# Compatibility matrix", ""]
    intro = prose_dir / "compat-intro.md"
    if intro.exists():
        out += [intro.read_text(encoding="utf-8").strip(), ""]
    if not sessions:
        out += ["No results are recorded yet (results/ is empty): run `nox` and then "
                "`python docs/generate.py`.", ""]
        out += ["## Changes x torch", "", "No check results recorded yet. The changes are listed in "
                "[migration.md](migration.md).", ""]
        return "\n".join(out)
    out += render_runs(sessions)
    unavail = unavailable_lines(unavailable, sessions)
    out += unavail + [""] if unavail else []
    out += render_examples(sessions)
    out += render_changes_table(catalog, probe_observations(sessions, catalog, unrelated), unrelated)
    return "\n".join(out)
