"""What a run of the matrix tells its user: what needs attention first, the counts, then the table.

    python -m matrix.records.results [FOLDER]      # all of this for every record in FOLDER (default runs/results)

Every cell falls in exactly one :func:`outcome`. Expected failures (the tutorial's code as published
doing what matrix/expected.toml and the catalog say it does) and cells that were not run are counted
apart from failures; a session that failed is named even when it ran no cell. Records of several
runs can sit in one folder: each row names its run (a letter, spelled out below the table with the
run's start, date, CPU or GPU and commit), so runs are never mixed silently.
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

from matrix import ERAS, EXAMPLES, NOT_PASSING, PASSING
from matrix.running.environment import version_key

#: The outcomes of a cell, in the order the counts are printed.
OUTCOMES = ("passed", "passed with warnings", "expected failure", "XPASS", "failed", "crashed", "diverged",
            "nondeterministic", "not run")
#: A diverged or nondeterministic cell ran to the end, but its numbers are no result: never a pass.
NEEDS_ATTENTION = ("failed", "crashed", "diverged", "nondeterministic")


def outcome(cell: Mapping[str, object]) -> str:
    """One of :data:`OUTCOMES`: an expected failure is one that failed the way expected.toml says
    (a diverged or nondeterministic cell only where its entry names that status)."""
    status = cell.get("status")
    expected_fail = cell.get("expected") == "fail"
    if status == "not_run":
        return "not run"
    if status in PASSING:
        return "XPASS" if expected_fail else ("passed" if status == "passed" else "passed with warnings")
    if status in NOT_PASSING:
        if expected_fail and not cell.get("unexpected_error"):
            return "expected failure"
        return str(status)
    return str(status)


def run_of(record: Mapping[str, object]) -> Tuple[str, str]:
    """(run, commit) of a record: the nox invocation that wrote it. Records made before runs were
    named fall back to their day, so that one day's sessions of one commit read as one run."""
    date = str(record.get("date") or "")
    run = record.get("run")
    if not run:  # the legend lists the machines of each run
        run = f"{date[:10] or 'undated'} (day)"
    return str(run), str(record.get("commit") or "-")


def cell_run_of(record: Mapping[str, object], cell: Mapping[str, object]) -> Tuple[str, str]:
    """(run, commit) of a cell: the record's, unless the cell was kept from an earlier run of the same
    session (``--example`` keeps the other cells: :func:`matrix.records.progress.merge`
    marks each with its ``run``)."""
    run, commit = run_of(record)
    return (str(cell["run"]) if cell.get("run") else run), commit


def _label(i: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[i] if i < len(letters) else f"R{i}"


def clip(text: object, width: int) -> str:
    """``text`` on one line (runs of whitespace made one space), cut at the last word boundary that fits
    in ``width`` characters and ended with an ellipsis when longer: never mid-word."""
    line = " ".join(str(text).split())
    if len(line) <= width:
        return line
    cut = line[:width - 1]
    if " " in cut and line[width - 1] != " ":
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def _loss(value: object) -> str:
    if value is None:
        return "-"
    value = float(value)  # type: ignore[arg-type]
    return str(value) if not math.isfinite(value) else f"{value:.4g}"


def _torch(record: Mapping[str, object], cell: Mapping[str, object]) -> str:
    torch = str(record.get("torch_pin"))
    if cell.get("torch") and torch == "installed":
        torch = f"installed {cell['torch']}"
    return torch


def _sorted(records: Sequence[Mapping[str, object]]) -> List[Mapping[str, object]]:
    era_order = {era: i for i, era in enumerate(ERAS)}
    return sorted(records, key=lambda r: (run_of(r)[0], era_order.get(str(r.get("era")), 99), version_key(r.get("torch_pin")),
                                          str(r.get("device"))))


def _label_of(cell: Mapping[str, object]) -> str:
    example = str(cell.get("example"))
    if cell.get("mode", "variant") != "variant":
        example += f" ({str(cell['mode']).replace('_', ' ')})"
    return example


def runs(records: Sequence[Mapping[str, object]]) -> Dict[Tuple, str]:
    """Each distinct (run, commit), of the records and of the cells kept from earlier runs -> its
    letter, in the order of the runs' names (their start times)."""
    keys = set()
    for record in records:
        keys.add(run_of(record))
        keys.update(cell_run_of(record, cell) for cell in record.get("cells") or [])  # type: ignore[union-attr]
    return {key: _label(i) for i, key in enumerate(sorted(keys))}


def counts(records: Sequence[Mapping[str, object]]) -> Dict[str, int]:
    out: Dict[str, int] = {}
    for record in records:
        for cell in record.get("cells") or []:  # type: ignore[union-attr]
            kind = outcome(cell)
            out[kind] = out.get(kind, 0) + 1
    return {k: out[k] for k in OUTCOMES if k in out} | {k: v for k, v in out.items() if k not in OUTCOMES}


def counts_line(records: Sequence[Mapping[str, object]]) -> str:
    found = counts(records)
    sessions = len(records)
    failed_sessions = sum(1 for r in records if r.get("status") == "failed")
    interrupted = sum(1 for r in records if r.get("status") == "interrupted")
    parts = [f"{n} {kind}" for kind, n in found.items()]
    head = f"{sessions} session(s)" + (f", {failed_sessions} failed" if failed_sessions else "") + (
        f", {interrupted} interrupted" if interrupted else "")
    return f"{head}; cells: " + (", ".join(parts) if parts else "none")


def probe_problems(records: Sequence[Mapping[str, object]]) -> List[str]:
    """One line per probe whose process died (a timeout, a crash) and per other failure to run the
    probes, once per torch pin and device: the eras of a pin share one probes run."""
    seen: Dict[Tuple[str, ...], List[str]] = {}
    for record in _sorted(records):
        where = (str(record.get("torch_pin")), str(record.get("device")))
        crashed = [p for p in record.get("probes") or [] if p.get("outcome") == "crashed"]  # type: ignore[union-attr]
        for probe in crashed:
            key = where + (f"PROBE CRASHED {probe.get('id')}", clip(probe.get("detail"), 300))
            seen.setdefault(key, []).append(str(record.get("era")))
        if record.get("probes_error") and not crashed:
            key = where + ("PROBES FAILED", clip(record["probes_error"], 300))
            seen.setdefault(key, []).append(str(record.get("era")))
    return [f"{what} torch {pin} {device} ({', '.join(eras)}): {detail}"
            for (pin, device, what, detail), eras in seen.items()]


def attention(records: Sequence[Mapping[str, object]], failed_sessions: Iterable[Tuple[str, str]] = (),
              unreadable: Iterable[str] = ()) -> List[str]:
    """One line per thing to look at first: files in the folder that are no record (``unreadable``:
    :func:`matrix.records.results.read_records`' lines, each naming the file and what to do), failed
    or interrupted sessions, then each cell that failed unexpectedly, then each XPASS (an expected
    failure that passed: expected.toml may be out of date), then probes that crashed or timed out."""
    lines: List[str] = [f"UNREADABLE record {line}" for line in unreadable]
    named = set()
    # an interrupted session's record lacks cells: never a complete result (matrix/records/progress.py)
    stopped = {r.get("session"): r for r in records if r.get("status") == "interrupted"}
    for name, reason in failed_sessions:
        if name not in stopped:  # Ctrl-C after some cells: its record says more than "KeyboardInterrupt"
            named.add(name)
            lines.append(f"FAILED session {name}: {clip(reason, 300)}")
    for record in _sorted(records):
        if record.get("status") in ("failed", "interrupted") and record.get("session") not in named:
            lines.append(f"{str(record['status']).upper()} session {record.get('session')}: "
                         f"{clip(record.get('reason'), 300)}")
    for record in _sorted(records):
        for cell in record.get("cells") or []:  # type: ignore[union-attr]
            kind = outcome(cell)
            if kind in NEEDS_ATTENTION or kind == "XPASS":
                where = f"{cell.get('era')}/{_label_of(cell)} torch {_torch(record, cell)} {cell.get('device')}"
                lines.append(f"{kind.upper()} {where}: {clip(cell.get('reason'), 300)}")
    return lines + probe_problems(records)


def partial_line(record: Mapping[str, object]) -> str:
    """How a record's run departed from a complete one (``partial``: --example, --steps, --repeats,
    --seed), or "" for a complete run."""
    partial = record.get("partial") or {}
    words = {"examples": lambda v: "only " + ", ".join(v), "steps": lambda v: f"{v} steps",
             "repeats": lambda v: f"{v} repeat(s)", "seed": lambda v: f"seed {v}"}
    return ", ".join(words[k](v) for k, v in partial.items() if k in words)  # type: ignore[union-attr]


def table(records: Sequence[Mapping[str, object]], *, reasons: bool = True, counts: bool = True) -> str:
    """run, era, example, torch, device, outcome, first/last loss, s/step; a session whose every cell
    was not run for one reason is one row; the runs and the reasons below."""
    example_order = {example: i for i, example in enumerate(EXAMPLES)}
    labels = runs(records)
    header = ("run", "era", "example", "torch", "device", "outcome", "first loss", "last loss", "s/step")
    rows: List[Tuple[str, ...]] = []
    notes: Dict[Tuple[str, ...], List[str]] = {}  # (era, device, run, which cells, reason) -> torch pins
    for record in _sorted(records):
        run = labels[run_of(record)]
        cells = sorted(record.get("cells") or [], key=lambda c: (c.get("mode", "variant") != "variant",  # type: ignore
                                                                 example_order.get(c.get("example"), 99)))
        torch = str(record.get("torch_pin"))
        reasons_here = {" ".join(str(c.get("reason")).split()) for c in cells}
        by_reason: Dict[Tuple[str, str], List[str]] = {}  # (run, reason) -> cells
        if cells and all(c.get("status") == "not_run" for c in cells) and len(reasons_here) == 1:
            rows.append((run, str(record.get("era")), f"(all {len(cells)} cells)", torch, str(record.get("device")),
                         "not run", "-", "-", "-"))
            by_reason[(run, clip(reasons_here.pop(), 220))] = [_label_of(c) for c in cells]
        else:
            for cell in cells:
                sps = cell.get("seconds_per_step")
                cell_run = labels[cell_run_of(record, cell)]  # a cell kept from an earlier run: that run's letter
                rows.append((cell_run, str(cell.get("era")), _label_of(cell), _torch(record, cell),
                             str(cell.get("device")), outcome(cell), _loss(cell.get("first_loss")),
                             _loss(cell.get("last_loss")), "-" if sps is None else f"{sps:.2g}"))
                if reasons and cell.get("status") != "passed" and cell.get("reason"):
                    by_reason.setdefault((cell_run, clip(cell["reason"], 220)), []).append(_label_of(cell))
        for (run, reason), examples in by_reason.items():
            which = "every cell" if len(examples) == len(cells) else ", ".join(examples)
            key = (str(record.get("era")), str(record.get("device")), run, which, reason)
            notes.setdefault(key, []).append(torch)
    if not rows:
        return "(no results)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    machines: Dict[Tuple, List[str]] = {}
    for record in records:
        for key in {run_of(record), *(cell_run_of(record, c) for c in record.get("cells") or [])}:  # type: ignore
            seen = machines.setdefault(key, [])
            if record.get("device_name") and record["device_name"] not in seen:
                seen.append(str(record["device_name"]))
    lines += ["", "runs:"]
    for (run, commit), label in labels.items():
        lines.append(f"  {label}: {run}, commit {commit}, on {', '.join(sorted(machines.get((run, commit)) or [])) or '-'}")
    partial = [(r, partial_line(r)) for r in _sorted(records) if partial_line(r)]
    if partial:
        lines += ["", "partial records (their run was not a complete one: --example, --steps, --repeats or --seed):"]
        lines += [f"  {r.get('session')} (run {labels[run_of(r)]}): {how}" for r, how in partial]
    if reasons and notes:
        lines += ["", "reasons (every cell that did not simply pass; the same reason on several pins is one line):"]
        for (era, device, run, which, reason), pins in notes.items():
            lines.append(f"  {era} torch {', '.join(pins)} {device} (run {run}), {which}: {reason}")
    if counts:
        lines += ["", counts_line(records)]
    return "\n".join(lines)


def report(records: Sequence[Mapping[str, object]], failed_sessions: Iterable[Tuple[str, str]] = (),
           unreadable: Iterable[str] = ()) -> str:
    """The end of a run: the table, then (the last lines on the terminal) what needs attention first,
    or that nothing does, and the counts. ``unreadable``: files that are no record, one line each."""
    failed_sessions = list(failed_sessions)
    first = attention(records, failed_sessions, unreadable)
    lines = [table(records, counts=False), ""]
    lines += ["needs attention:" if first else "needs attention: nothing (every cell expected to pass passed, "
              "every expected failure failed as expected)"]
    lines += [f"  {line}" for line in first]
    lines += [counts_line(records)]
    return "\n".join(lines)
