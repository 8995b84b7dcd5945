"""docs/compat-matrix.md: the raw grid of what ran where.

The sessions table, per era the examples x (pin, device) status cells, and the changes x (pin, CPU)
table of probe outcomes and compared values; reasons go into footnotes so that a reason repeated in
many cells is written once.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from matrix import ERAS, EXAMPLES
from matrix.observations import (LIBRARY_NAMES, compare_value, fmt_compare, library_version,
                                 probe_observations, short_date, version_key)
from matrix.pages.cells import cell_of, cell_text, published_text
from matrix.pages.text import GENERATED, Footnotes, first_line, md_escape

ERA_TITLES = {"legacy": "legacy (PyTorch 0.1-0.3)", "tensor_autograd": "tensor_autograd (PyTorch 0.4-1.x)",
              "modern": "modern (PyTorch 1.7+/2.x)"}


def probe_text(change: Dict[str, Any], o: Optional[Dict[str, Any]], notes: Footnotes) -> str:
    """A change x torch cell: the outcome (never 'works' for what did not run), the compared values,
    the version of the library the outcome depends on, and footnotes for reasons."""
    if o is None:
        return "-"
    outcome = o["outcome"]
    if outcome == "not_run":
        return "not run " + notes.ref(o.get("detail") or "no reason recorded")
    if outcome == "crashed":
        err = o.get("error") or {}
        return "**crashed** " + notes.ref(err.get("message") or o.get("detail") or "no reason recorded")
    if change.get("breakdown") == "functions" and isinstance(o.get("value"), dict):
        counts: Dict[str, int] = {}
        for f in o["value"].values():
            counts[f.get("outcome", "?")] = counts.get(f.get("outcome", "?"), 0) + 1
        text = ", ".join(f"{k} {counts[k]}" for k in ("errors", "warns", "works") if counts.get(k)) + \
            f" (of {len(o['value'])} functions)"
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
    """The sessions table: one row per results file, with its environment and probe status."""
    out = ["## Runs", "", "Each column below comes from one of these sessions (one results file each).", "",
           "| session | era | torch pin | torch | Python | NumPy | TensorFlow | device | device name | date | commit "
           "| status | probes |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for s in sessions:
        status = s.get("status", "?")
        if status != "ran":
            status = f"not run: {md_escape(s.get('reason') or 'no reason recorded')}"
        n = len([r for r in s.get("probes") or [] if r.get("outcome") != "crashed" and r.get("id") != "_import"])
        probes = f"{n} recorded" if s.get("status") == "ran" else "-"
        if s.get("probes_error"):
            probes += f"; **probes error**: {md_escape(s['probes_error'])}"
        out.append(f"| `{s['_slug']}` | {s.get('era')} | {s.get('torch_pin')} | {s.get('torch_build') or s.get('torch') or '-'} | "
                   f"{s.get('python') or '-'} | {s.get('numpy') or '-'} | {s.get('tensorflow') or '-'} | "
                   f"{s.get('device')} | {md_escape(s.get('device_name') or '-')} | {s.get('date') or '-'} | "
                   f"{s.get('commit') or '-'} | {status} | {probes} |")
    return out + [""]


def render_examples(sessions) -> List[str]:
    """Per era, example x (pin, device) status cells; not-run reasons as footnotes."""
    out = ["## Examples x torch", "",
           "One table per era: a row per example, a column per (torch pin, device). "
           "\"not run\" is never counted as passed; its reason is shown.", ""]
    for era in ERAS:
        cols = [s for s in sessions if s.get("era") == era]
        if not cols:
            continue
        out += [f"### {ERA_TITLES[era]}", ""]
        header = "| example | " + " | ".join(
            f"torch {s.get('torch_pin')} {s.get('device')}<br>({s.get('torch') or 'not installed'}, "
            f"{md_escape(s.get('device_name') or '-')}, {short_date(s.get('date'))})" for s in cols) + " |"
        out += [header, "|" + " --- |" * (len(cols) + 1)]
        notes = Footnotes()
        for ex in EXAMPLES:
            row = [f"[{ex}](../variants/{era}/{ex}.py)"]
            for s in cols:
                c = cell_of(s, era, ex)
                row.append("not run " + notes.ref(s.get("reason") or "no cell recorded") if c is None
                           else cell_text(c, notes))
            out.append("| " + " | ".join(row) + " |")
        errors = Footnotes("e")
        for ex in EXAMPLES:
            published = [cell_of(s, era, ex, "as_published") for s in cols]
            if not any(published):
                continue
            row = [f"{ex}, as published"]
            for c in published:
                row.append("-" if c is None else published_text(c, notes, errors))
            out.append("| " + " | ".join(row) + " |")
        if notes.reasons:
            out += ["", "Not run, and why:", ""] + notes.lines()
        if errors.reasons:
            out += ["", "\"As published\" rows: the same script with `matrix/as_published/` in place of its "
                    "shims, i.e. the tutorial's own code; its failures are expected (`matrix/expected.toml`). "
                    "What it said:", ""] + errors.lines()
        counts: Dict[str, int] = {}
        for s in cols:
            for c in s.get("cells") or []:
                key = c.get("status", "?")
                if c.get("expected") == "fail" and key in ("failed", "crashed") and not c.get("unexpected_error"):
                    key += " as expected"
                counts[key] = counts.get(key, 0) + 1
        out += ["", "Totals: " + ", ".join(f"{k} {counts[k]}" for k in sorted(counts)) + ".", ""]
    return out


def render_changes_table(catalog, observations, unrelated) -> List[str]:
    """Change x (pin, CPU): each probe's outcome and compared values; reasons, disagreements and the
    unrelated warnings left out, under the table."""
    out = ["## Changes x torch", "",
           "What the old form of each change does on each pinned torch, as recorded by its probe "
           "(`python -m matrix.probes`) inside the matrix sessions: one column per torch pin and CPU "
           "(bit-level values depend on the CPU). For changes that compare values (digests of exact "
           "float bits: their first 8 hex digits), the cell shows them; where the outcome depends on "
           "TensorFlow's or NumPy's version, that version. Details and fixes: [migration.md](migration.md).", ""]
    cols = probe_columns(observations)
    if not cols:
        return out + ["No probe results recorded yet.", ""]
    head = []
    for pin, cpu in cols:
        o = next(o for obs in observations.values() for o in obs if (o["_pin"], o["_cpu"]) == (pin, cpu))
        head.append(f"torch {pin}<br>({o.get('_torch') or '?'}, py {o.get('_python') or '?'}, {md_escape(cpu)}, "
                    f"{short_date(o.get('_date'))})")
    out += ["| change | kind | " + " | ".join(head) + " |", "|" + " --- |" * (len(cols) + 2)]
    notes = Footnotes()
    disagreements = []
    for ch in catalog:
        obs = observations.get(ch["probe"], [])
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
        out += ["Sessions on the same pin and CPU that recorded something else than the column shows:", ""]
        out += [f"- {d}" for d in disagreements] + [""]
    if unrelated:
        out += ["Warnings left out as unrelated to the change under test (`[[unrelated_warning]]` in "
                "matrix/catalog.toml):", ""]
        out += [f"- `{u['pattern']}`: {u['why']}" for u in unrelated] + [""]
    return out


def render_compat(catalog, sessions, prose_dir: Path, unrelated=()) -> str:
    """docs/compat-matrix.md: the raw grid of what ran where."""
    out = [GENERATED, "", "# Compatibility matrix", ""]
    intro = prose_dir / "compat-intro.md"
    if intro.exists():
        out += [intro.read_text(encoding="utf-8").strip(), ""]
    if not sessions:
        out += ["No matrix results are recorded yet (results/ is empty): run `nox` and then "
                "`python docs/generate.py`.", ""]
        out += ["## Changes x torch", "", "No probe results recorded yet. The changes are listed in "
                "[migration.md](migration.md).", ""]
        return "\n".join(out)
    out += render_runs(sessions)
    out += render_examples(sessions)
    out += render_changes_table(catalog, probe_observations(sessions, catalog, unrelated), unrelated)
    return "\n".join(out)
