"""Where your runs differ from the reference: outcomes, loss curves bit for bit, probe results.

    python -m matrix.records.compare [MINE] [REFERENCE] [--out FILE]     # default runs/results against results/

A cell is matched with the reference cell of the same era, example, mode, torch pin and device.
float32 bits depend on the CPU model (torch picks its kernels by the instruction set it finds), so a
curve that differs on another CPU is reported as such, not as a regression; on the same CPU model and
torch build, the curves should be identical. Cells that either side did not run are listed apart.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from matrix.records import results, summary

Key = Tuple[str, str, str, str, str]


def _cells(records: Iterable[Mapping]) -> Dict[Key, Tuple[Mapping, Mapping]]:
    out: Dict[Key, Tuple[Mapping, Mapping]] = {}
    for record in records:
        for cell in record.get("cells") or []:
            key = (str(record.get("era")), str(cell.get("example")), str(cell.get("mode", "variant")),
                   str(record.get("torch_pin")), str(record.get("device")))
            out[key] = (record, cell)
    return out


def curve_difference(a: Sequence, b: Sequence) -> Tuple[Optional[int], float]:
    """(first step whose loss differs, largest relative difference) of two ``[[step, loss], ...]`` curves;
    (None, 0.0) when they are identical; a different length counts from the first missing step."""
    first: Optional[int] = None
    worst = 0.0
    for (step, x), (_, y) in zip(a, b):
        if x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)):
            continue
        first = step if first is None else first
        if math.isfinite(x) and math.isfinite(y):
            worst = max(worst, abs(x - y) / max(abs(x), abs(y), 1e-300))
        else:
            worst = math.inf
    if len(a) != len(b) and first is None:
        shorter = a if len(a) < len(b) else b
        first = (shorter[-1][0] + 1) if shorter else 0
    return first, worst


def steps_line(losses: Sequence, ref_losses: Sequence) -> str:
    """Two curves of different lengths (a ``--steps`` run against the reference's full one), compared
    over the steps both ran: whether they match there, and the loss at the last shared step; the
    last losses themselves, steps apart, say nothing."""
    shared = min(len(losses), len(ref_losses))
    first, worst = curve_difference(losses[:shared], ref_losses[:shared])
    step, here, there = losses[shared - 1][0], losses[shared - 1][1], ref_losses[shared - 1][1]
    which = "shorter" if len(losses) < len(ref_losses) else "longer"
    head = f"{len(losses)} steps here, {len(ref_losses)} in the reference (a {which} run)"
    if first is None:
        return f"{head}: identical bit for bit over the {shared} shared steps (loss {here} at step {step})"
    return (f"{head}: over the {shared} shared steps, losses differ from step {first} (largest relative "
            f"difference {worst:.3g}); at step {step}: {here} here, {there} in the reference")


def compare(mine: Sequence[Mapping], reference: Sequence[Mapping]) -> Dict[str, List[str]]:
    """Lines of markdown, by section: same, values, steps (another number of steps: a ``--steps`` run,
    compared over the steps both ran), outcome, only_mine, not_run."""
    ours, theirs = _cells(mine), _cells(reference)
    sections: Dict[str, List[str]] = {"outcome": [], "values": [], "steps": [], "same": [], "not_run": [],
                                      "only_mine": []}
    unrun: Dict[Tuple, List[str]] = {}  # (era, pin, device, side, reason) -> examples: one line per session
    for key in sorted(ours):
        record, cell = ours[key]
        era, example, mode, pin, device = key
        name = f"{era}/{example}" + (" (as published)" if mode != "variant" else "") + f", torch {pin}, {device}"
        if key not in theirs:
            sections["only_mine"].append(f"- {name}: {summary.outcome(cell)} (the reference has no such cell)")
            continue
        ref_record, ref_cell = theirs[key]
        mine_outcome, ref_outcome = summary.outcome(cell), summary.outcome(ref_cell)
        if "not run" in (mine_outcome, ref_outcome):
            who = "yours" if mine_outcome == "not run" else "the reference"
            why = cell.get("reason") if mine_outcome == "not run" else ref_cell.get("reason")
            unrun.setdefault((era, pin, device, who, summary.clip(why, 200)), []).append(
                example + (" (as published)" if mode != "variant" else ""))
            continue
        same_cpu = record.get("device_name") == ref_record.get("device_name")
        same_build = record.get("torch_build") == ref_record.get("torch_build")
        context = [] if same_cpu else [f"another {'GPU' if device == 'cuda' else 'CPU'}: {record.get('device_name')} "
                                       f"(reference: {ref_record.get('device_name')})"]
        if not same_build:
            context.append(f"torch build {record.get('torch_build')} (reference: {ref_record.get('torch_build')})")
        note = f" [{'; '.join(context)}]" if context else ""
        if mine_outcome != ref_outcome:
            sections["outcome"].append(f"- {name}: **{mine_outcome}** here, {ref_outcome} in the reference"
                                       f" ({summary.clip(cell.get('reason') or '', 200) or 'no reason'}){note}")
            continue
        losses, ref_losses = cell.get("losses") or [], ref_cell.get("losses") or []
        if len(losses) != len(ref_losses) and losses and ref_losses:
            sections["steps"].append(f"- {name}: {mine_outcome}, {steps_line(losses, ref_losses)}{note}")
            continue
        first, worst = curve_difference(losses, ref_losses)
        if first is None:
            count = len(cell.get("losses") or [])
            same = f"{count} losses identical bit for bit" if count else "no losses on either side"
            sections["same"].append(f"- {name}: {mine_outcome}, {same}{note}")
        else:
            sections["values"].append(f"- {name}: losses differ from step {first} (largest relative difference "
                                      f"{worst:.3g}); last loss {cell.get('last_loss')} here, "
                                      f"{ref_cell.get('last_loss')} in the reference{note}")
    for (era, pin, device, who, why), examples in unrun.items():
        every = len(examples) == sum(1 for k in ours if k[0] == era and k[3] == pin and k[4] == device)
        which = "every cell" if every else ", ".join(examples)
        sections["not_run"].append(f"- {era}, torch {pin}, {device}, {which}: not run in {who} ({why})")
    return sections


def probe_differences(mine: Sequence[Mapping], reference: Sequence[Mapping]) -> List[str]:
    """Probes whose outcome or value differs between a session of yours and the reference's same session."""
    ref = {r.get("session"): r for r in reference}
    out = []
    for record in mine:
        other = ref.get(record.get("session"))
        if not other:
            continue
        theirs = {p.get("id"): p for p in other.get("probes") or []}
        for probe in record.get("probes") or []:
            ref_probe = theirs.get(probe.get("id"))
            if not ref_probe:
                continue
            if probe.get("outcome") != ref_probe.get("outcome") or probe.get("value") != ref_probe.get("value"):
                here, there = probe.get("value"), ref_probe.get("value")
                if isinstance(here, dict) and isinstance(there, dict):  # only the keys that differ
                    keys = [k for k in sorted(set(here) | set(there)) if here.get(k) != there.get(k)]
                    here, there = {k: here.get(k) for k in keys}, {k: there.get(k) for k in keys}
                out.append(f"- {record.get('session')}, probe `{probe.get('id')}`: {probe.get('outcome')} "
                           f"{here!r} here, {ref_probe.get('outcome')} {there!r} in the reference")
    return out


TITLES = {
    "outcome": "Different outcome (look here first)",
    "values": "Same outcome, other numbers",
    "steps": "Another number of steps (compared over the steps both ran)",
    "same": "Identical to the reference",
    "not_run": "Not run on one side",
    "only_mine": "Not in the reference",
}


def render(mine: Sequence[Mapping], reference: Sequence[Mapping], mine_dir: str, reference_dir: str) -> str:
    sections = compare(mine, reference)
    probes = probe_differences(mine, reference)
    machines = sorted({str(r["device_name"]) for r in mine if r.get("device_name")})
    ref_machines = sorted({str(r["device_name"]) for r in reference if r.get("device_name")})
    lines = ["# Your runs against the reference", "",
             f"Yours: {len(mine)} session record(s) in `{mine_dir}`, on {', '.join(machines) or '-'}. "
             f"Reference: {len(reference)} in `{reference_dir}`, on {', '.join(ref_machines) or '-'}. "
             "Generated by `python -m matrix.records.compare`; float32 bits depend on the CPU model, so numbers are "
             "expected to match bit for bit only on the reference's CPU and torch build.", ""]
    lines.append("Cells: " + ", ".join(f"{len(v)} {TITLES[k].split(' (')[0].lower()}" for k, v in sections.items())
                 + f"; probes differing: {len(probes)}.")
    for key in ("outcome", "values", "steps", "not_run", "only_mine", "same"):
        if sections[key]:
            lines += ["", f"## {TITLES[key]}", ""] + sections[key]
    if probes:
        lines += ["", "## Probes with another outcome or value", ""] + probes
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix.records.compare", description=__doc__.splitlines()[0])
    parser.add_argument("mine", nargs="?", type=Path, default=results.USER_RESULTS_DIR)
    parser.add_argument("reference", nargs="?", type=Path, default=results.RESULTS_DIR)
    parser.add_argument("--out", type=Path, help="write the markdown here (default: print it)")
    args = parser.parse_args(argv)
    try:
        mine, reference = results.load(args.mine), results.load(args.reference)
    except results.UnreadableRecord as exc:  # a record lost without a word would read as a match
        for line in str(exc).splitlines():
            print(f"{parser.prog}: error: {line}", file=sys.stderr)
        return 1
    if not mine:
        parser.exit(2, f"{parser.prog}: error: no records in {args.mine}: run the matrix first\n")
    text = render(mine, reference, str(args.mine), str(args.reference))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
        print(text.splitlines()[4])
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
