"""docs/coverage.md: torch's own deprecations and removals, release by release, against the catalog.

Reads results/upstream/events.json (:mod:`matrix.upstream.events`, from the per-release records that
``python -m matrix.upstream mine`` writes) and classifies each event with
matrix/upstream/classification.toml (:mod:`matrix.upstream.classify`). Per release: the events found,
those in scope (a catalog entry covers them, or a 2017-2020 script can meet them and none does), those
covered, the ratio; then the out-of-scope reasons with their counts, and every in-scope event that no
entry covers. Deterministic: the events are sorted, nothing is timed or dated here.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from matrix.pages.text import md_escape, runs
from matrix.records import sweep
from matrix.upstream.classify import REASONS, classify, load_rules, outcome
from matrix.upstream.releases import key

#: a message longer than this is cut in the list of uncovered events (the events file has it whole)
CUT = 220
KIND_WORDS = {"message-appears": "message appears", "message-goes": "message goes",
              "message-reworded": "message reworded", "name-goes": "name goes"}
SOURCE_WORDS = {"python": "Python source", "library": "compiled library", "api": "public names"}


def md_escape_cell(text: str) -> str:
    """A message as literal text in a table cell: markdown's emphasis, code and link marks escaped."""
    for mark in ("\\", "`", "*", "_", "<", ">", "[", "]"):
        text = str(text).replace(mark, "\\" + mark)
    return md_escape(text)


def ratio(covered: int, in_scope: int) -> str:
    return f"{100 * covered / in_scope:.0f}%" if in_scope else "-"


def summarize(events: List[Dict[str, Any]], rules: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Counts per release and overall, per reason and per catalog id, and the uncovered events."""
    rows = classify(events, rules)
    per_release: Dict[Tuple[str, str], Counter] = {}
    reasons: Counter = Counter()
    covered_by: Counter = Counter()
    uncovered: List[Dict[str, Any]] = []
    unclassified = 0
    for event, rule in rows:
        counts = per_release.setdefault((str(event["release"]), str(event["since"])), Counter())
        counts["events"] += 1
        if rule is None:
            unclassified += 1
            continue
        what, value = outcome(rule)
        if what == "out":
            reasons[value] += 1
            continue
        counts["in_scope"] += 1
        if what == "catalog":
            counts["covered"] += 1
            covered_by[value] += 1
        else:
            uncovered.append(event)
    total = Counter()
    for counts in per_release.values():
        total.update(counts)
    return {"per_release": sorted(per_release.items(), key=lambda item: key(item[0][0])), "total": total,
            "reasons": reasons, "covered_by": covered_by, "uncovered": uncovered, "unclassified": unclassified}


def _text(event: Dict[str, Any]) -> str:
    text = str(event["text"])
    text = text if len(text) <= CUT else text[:CUT].rstrip() + " ..."
    if event["kind"] == "message-reworded":
        old = str(event["old"])
        text += " (was: " + (old if len(old) <= CUT else old[:CUT].rstrip() + " ...") + ")"
    return md_escape_cell(text)


def render(events: Optional[List[Dict[str, Any]]], rules: Optional[List[Dict[str, Any]]] = None,
           sweep: Optional[List[Dict[str, Any]]] = None) -> str:
    lines = ["# Coverage: what torch itself deprecated and removed, against the catalog", ""]
    if not events:
        return "\n".join(lines + ["No upstream events are recorded (results/upstream/events.json): run "
                                  "`python -m matrix.upstream mine`, then `python -m matrix.upstream events`.", ""]
                         + render_sweep(sweep or []))
    summary = summarize(events, rules if rules is not None else load_rules())
    total = summary["total"]
    releases = [release for (release, _), _ in summary["per_release"]]
    lines += [
        "Every minor torch release from PyPI, its latest patch (Python 3.7 for 1.x, 3.11 for 2.x), was installed "
        "into a throwaway virtualenv by `python -m matrix.upstream mine` ([matrix/upstream/](../matrix/upstream/)), "
        "which records three things per release in [results/upstream/releases/](../results/upstream/releases/): "
        "the `warnings.warn`, `@deprecated` and `raise` texts of torch's own Python files that say deprecated, "
        "removed, no longer supported or will be removed; the same words in the strings of its compiled "
        "libraries; and the public names of torch, torch.Tensor, torch.nn, nn.functional, nn.init, torch.optim, "
        "lr_scheduler, torch.autograd and torch.utils.data. Consecutive releases diffed are the events "
        "([results/upstream/events.json](../results/upstream/events.json)): a message appears, is reworded or "
        "goes; a public name goes.",
        "",
        "Each event is classified by the rules of "
        "[matrix/upstream/classification.toml](../matrix/upstream/classification.toml) (first match wins, no "
        "catch-all: an event no rule matches fails the tests): a catalog entry covers it, or it is in scope "
        "(a 2017-2020 script can meet it) and no entry covers it, or it is out of scope for one of the reasons "
        "below. The rules are patterns, not a reading of each event: some events are surely misfiled.",
        "",
        "What this cannot see: changes before 1.0 (PyPI's oldest torch), such as `volatile` or `.data[0]`, "
        "whose messages are in every release read; messages torch builds in a variable before it warns; "
        "silent changes of results; and the functorch package (only torch/ is read).",
        "",
        f"**Overall**: {total['events']} events between {len(releases) + 1} releases "
        f"({summary['per_release'][0][0][1]} to {releases[-1]}), "
        f"{total['in_scope']} in scope, {total['covered']} covered by a catalog entry: "
        f"**{ratio(total['covered'], total['in_scope'])}** of the in-scope events.",
        "",
        "## Per release",
        "",
        "| release | since | events | in scope | covered | covered / in scope |",
        "|---|---|---|---|---|---|",
    ]
    for (release, since), counts in summary["per_release"]:
        lines.append(f"| {release} | {since} | {counts['events']} | {counts['in_scope']} | {counts['covered']} | "
                     f"{ratio(counts['covered'], counts['in_scope'])} |")
    lines += ["", "## Out of scope, by reason", "", "| reason | what it covers | events |", "|---|---|---|"]
    for reason, what in REASONS.items():
        lines.append(f"| {reason} | {md_escape_cell(what)} | {summary['reasons'][reason]} |")
    lines += ["", "## Covered, by catalog entry", "", "| entry | events |", "|---|---|"]
    for change_id, count in sorted(summary["covered_by"].items()):
        lines.append(f"| [{change_id}](migration.md#{change_id}) | {count} |")
    lines += ["", "## In scope, not covered", "",
              "Each with the release it happens in, what happened, where (module or library) and the text or name.",
              ""]
    for release in releases:
        here = [e for e in summary["uncovered"] if e["release"] == release]
        if not here:
            continue
        lines += [f"### {release}", "", "| what | where | text or name |", "|---|---|---|"]
        for event in here:
            where = ", ".join(event["where"][:2]) + (" ..." if len(event["where"]) > 2 else "")
            lines.append(f"| {KIND_WORDS[event['kind']]} ({SOURCE_WORDS[event['source']]}) | "
                         f"{md_escape_cell(where)} | {_text(event)} |")
        lines.append("")
    return "\n".join(lines + render_sweep(sweep or []))


def load(path: Path) -> Optional[List[Dict[str, Any]]]:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def load_sweep(folder: Path) -> List[Dict[str, Any]]:
    """The probe sweep's records (``python -m matrix.upstream sweep``), oldest release first."""
    return sweep.load(folder)


def render_sweep(records: List[Dict[str, Any]]) -> List[str]:
    """The section on the probe sweep: each probe's outcome over every swept release, as runs."""
    if not records:
        return []
    cpus = sorted({r["cpu"] for r in records})
    dates = sorted({r["date"] for r in records})
    pythons = sorted({r["python"] for r in records})
    lines = ['<a id="sweep"></a>', "", "## The catalog's probes on every release", "",
             f"`python -m matrix.upstream sweep` ran the catalog's probes (`python -m matrix.probes`, without "
             f"TensorFlow) on {len(records)} releases ({records[0]['torch']} to {records[-1]['torch']}), each in a "
             f"throwaway virtualenv: Python {', '.join(pythons)}, CPU {'; '.join(cpus)}, "
             f"{' to '.join([dates[0], dates[-1]] if len(dates) > 1 else dates)} "
             "([results/upstream/probes/](../results/upstream/probes/)). Per probe, its outcome over the releases "
             "in a row (a release missing from the sweep splits nothing: it is not listed).", "",
             "| probe | outcome by release |", "|---|---|"]
    order: List[str] = []
    per: Dict[str, List[Tuple[str, str]]] = {}
    for record in records:
        for probe in record["probes"]:
            if probe["id"] not in per:
                order.append(probe["id"])
            per.setdefault(probe["id"], []).append((record["torch"], probe["outcome"]))
    for name in order:
        lines.append(f"| `{name}` | {runs(per[name])} |")
    return lines + [""]


__all__ = ["load", "load_sweep", "ratio", "render", "render_sweep", "summarize"]
