"""Result records: one JSON file per session under results/, written atomically, and the summary table.

    python -m matrix.results [RESULTS_DIR]     # the table across every results/*.json

A session's file is replaced only by a complete new one (temporary file in the same folder, then
``os.replace``), so a reader never sees half a file and a crash mid-write leaves the old one.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from matrix import PASSING, ROOT

SCHEMA = 1
RESULTS_DIR = ROOT / "results"


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(era: str, torch_pin: str, device: str) -> str:
    """File-system-safe session name: ``modern(torch='2.4.1', device='cpu')`` -> ``modern-torch2.4.1-cpu``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{era}-torch{torch_pin}-{device}")


def session_name(era: str, torch_pin: str, device: str) -> str:
    return f"{era}(torch={torch_pin!r}, device={device!r})"


def write_json_atomically(path: str | os.PathLike, data: object) -> None:
    """Serialize first, then write a temporary file beside ``path`` and rename it over ``path``."""
    path = Path(path)
    text = dumps(data)  # fails before any file is touched
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dumps(data: object) -> str:
    """JSON with one line per cell and per probe (a loss curve of 30000 steps stays one line)."""
    if not (isinstance(data, dict) and any(isinstance(data.get(k), list) for k in ("cells", "probes"))):
        return json.dumps(data, indent=1) + "\n"
    lines = []
    for key, value in data.items():
        if key in ("cells", "probes") and isinstance(value, list) and value:
            items = ",\n".join("  " + json.dumps(item) for item in value)
            lines.append(f" {json.dumps(key)}: [\n{items}\n ]")
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def not_run_cell(base: Mapping[str, object], example: str, reason: str, expected: str = "pass",
                 mode: str = "variant") -> dict:
    """A cell that did not run, with why (never counted as passed)."""
    cell = dict(base)
    cell.update({
        "example": example, "mode": mode, "status": "not_run", "expected": expected, "reason": reason,
        "warnings": [], "error": None, "returncode": None, "signal": None,
        "steps": 0, "seed": base.get("seed", 0), "losses": [], "first_loss": None, "last_loss": None,
        "seconds_per_step": None, "wall_seconds": 0.0,
    })
    return cell


def session_record(*, era: str, torch_pin: str, device: str, info: Mapping[str, object], cells: list,
                   status: str, reason: str | None, probes: list, session: str | None = None,
                   commit: str | None = None, date: str | None = None, probes_error: str | None = None) -> dict:
    return {
        "schema": SCHEMA,
        "session": session or session_name(era, torch_pin, device),
        "era": era, "torch_pin": torch_pin, "device": device,
        "python": info.get("python"), "torch": info.get("torch"), "torch_build": info.get("torch_build"),
        "torch_cuda": info.get("torch_cuda"), "numpy": info.get("numpy"),
        "tensorflow": info.get("tensorflow"), "device_name": info.get("device_name"),
        "platform": info.get("platform"),
        "date": date or now(), "commit": commit,
        "status": status, "reason": reason,
        "cells": cells,
        "probes": probes,
        "probes_error": probes_error,
    }


def load(results_dir: str | os.PathLike = RESULTS_DIR) -> list[dict]:
    """Every session record in ``results_dir`` (leftover ``.tmp-*`` files of a killed write skipped)."""
    return load_files(p for p in sorted(Path(results_dir).glob("*.json")) if not p.name.startswith("."))


def load_files(paths: Iterable[str | os.PathLike]) -> list[dict]:
    records = []
    for path in map(Path, paths):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"skipping {path}: {exc}", file=sys.stderr)
            continue
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            records.append(data)
    return records


def _loss(value: object) -> str:
    if value is None:
        return "-"
    value = float(value)  # type: ignore[arg-type]
    return str(value) if not math.isfinite(value) else f"{value:.4g}"


def _status(cell: Mapping[str, object]) -> str:
    status = str(cell.get("status"))
    if cell.get("expected") == "fail":
        status += " (XPASS)" if status in PASSING else " (expected)"
    return status


def _torch_key(record: Mapping[str, object]) -> tuple:
    from packaging.version import InvalidVersion, Version

    try:
        return (0, Version(str(record.get("torch_pin"))))
    except InvalidVersion:
        return (1, Version("0"))


def table(records: Sequence[Mapping[str, object]], *, reasons: bool = True) -> str:
    """era, example, torch, device, status, first/last loss, s/step for each cell; reasons below."""
    from matrix import ERAS, EXAMPLES

    era_order = {era: i for i, era in enumerate(ERAS)}
    example_order = {example: i for i, example in enumerate(EXAMPLES)}
    records = sorted(records, key=lambda r: (era_order.get(str(r.get("era")), 99), _torch_key(r), str(r.get("device"))))
    header = ("era", "example", "torch", "device", "status", "first loss", "last loss", "s/step")
    rows = []
    notes: dict = {}
    totals: dict = {}  # cells per era/torch/device, to say "every cell" instead of listing them
    for record in records:
        cells = sorted(record.get("cells") or [], key=lambda c: (c.get("mode", "variant") != "variant",
                                                                 example_order.get(c.get("example"), 99)))
        for cell in cells:
            torch = str(record.get("torch_pin"))
            if cell.get("torch") and record.get("torch_pin") == "installed":
                torch = f"installed {cell['torch']}"
            sps = cell.get("seconds_per_step")
            example = str(cell.get("example"))
            if cell.get("mode", "variant") != "variant":
                example += f" ({str(cell['mode']).replace('_', ' ')})"
            rows.append((
                str(cell.get("era")), example, torch, str(cell.get("device")), _status(cell),
                _loss(cell.get("first_loss")), _loss(cell.get("last_loss")),
                "-" if sps is None else f"{sps:.2g}",
            ))
            where = f"{cell.get('era')} torch {torch} {cell.get('device')}"
            totals[where] = totals.get(where, 0) + 1
            if reasons and cell.get("status") != "passed" and cell.get("reason"):
                reason = " ".join(str(cell["reason"]).split())[:220]
                notes.setdefault((where, reason), []).append(example)
    if not rows:
        return "(no results)"
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows]
    counts: dict = {}
    for row in rows:
        counts[row[4].split()[0]] = counts.get(row[4].split()[0], 0) + 1
    lines.append("")
    lines.append(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    if notes:
        lines.append("")
        lines.append("reasons (every cell that did not simply pass):")
        for (where, reason), examples in notes.items():
            which = "every cell" if len(examples) == totals.get(where) else ", ".join(examples)
            lines.append(f"  {where}, {which}: {reason}")
    return "\n".join(lines)


def main(argv: Iterable[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    results_dir = Path(args[0]) if args else RESULTS_DIR
    records = load(results_dir)
    print(f"{len(records)} session result file(s) in {results_dir}")
    print(table(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
