"""Result records: one JSON file per session, written atomically; where they go; the summary.

    python -m matrix.records.results [FOLDER]   # what needs attention, the counts and the table (default runs/results)
    python -m matrix.records.results --fail-on-unexpected [FOLDER]   # the same; exit 1 on an unexpected cell (CI)

A file in a results folder that is no record (truncated JSON, ``{}``, another format) is judged once,
by :func:`read_record`, for every reader (this summary, the CI gate, ``nox -s report``, the docs): named
under "needs attention" with what to do, and a failure, never skipped.

Two folders hold records. ``results/`` is the reference: tracked, recorded on purpose by the
maintainers (``nox ... -- --record``), and what docs/ is generated from. ``runs/results/`` (ignored by
git) is where a user's run goes by default, so that running the matrix never changes the reference.

A session's file is replaced only by a complete new one (:mod:`matrix.records.jsonio`: temporary file in the
same folder, then ``os.replace``), so a reader never sees half a file and a crash mid-write leaves the
old one. A running session rewrites it as each cell finishes (:mod:`matrix.records.progress`), so an
interrupted session leaves its finished cells, marked "interrupted". The keys of a record are
described in :mod:`matrix.records.schema`.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from matrix import ROOT
from matrix.records import jsonio, summary
from matrix.facts.expected import verdict
from matrix.records.schema import CellRecord, SessionRecord

SCHEMA = 1
#: The reference: tracked, written only by a deliberate ``--record`` (docs/ is generated from it).
RESULTS_DIR = ROOT / "results"
#: A user's runs (ignored by git): records, and docs rendered from them (``nox -s report``).
RUNS_DIR = ROOT / "runs"
USER_RESULTS_DIR = RUNS_DIR / "results"
#: Where a ``--record`` session keeps its cells as they finish: the reference changes only when the
#: session's record is complete, so an interrupted ``--record`` leaves results/ as it was.
RECORDING_DIR = RUNS_DIR / "recording"


def progress_folder(folder: str | os.PathLike) -> Path:
    """Where a session writing into ``folder`` rewrites its record as its cells finish: ``folder``
    itself, but :data:`RECORDING_DIR` for the reference (results/)."""
    folder = Path(folder)
    return RECORDING_DIR if folder.resolve() == RESULTS_DIR.resolve() else folder


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def slug(era: str, torch_pin: str, device: str) -> str:
    """File-system-safe session name: ``modern(torch='2.4.1', device='cpu')`` -> ``modern-torch2.4.1-cpu``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", f"{era}-torch{torch_pin}-{device}")


def session_name(era: str, torch_pin: str, device: str) -> str:
    return f"{era}(torch={torch_pin!r}, device={device!r})"


def write_json_atomically(path: str | os.PathLike, data: object) -> None:
    """Serialize first (:func:`dumps`: a value that can't be fails before any file is touched), then
    replace ``path`` atomically (:func:`matrix.records.jsonio.write_atomically`), creating its folder."""
    path = Path(path)
    text = dumps(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    jsonio.write_atomically(path, text)


def unwritable(folder: str | os.PathLike) -> Optional[str]:
    """Why records cannot be written into ``folder``, or None: it is created if missing, then proven
    writable by creating and removing a temporary file there (``os.access`` says yes to root on a
    read-only disk). Run before a session installs or runs anything, so that no result is lost."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(prefix=".tmp-", dir=folder):  # gone when closed
            pass
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(folder) else ""
        return f"{exc.strerror or exc}{where}"
    return None


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
                 mode: str = "variant") -> CellRecord:
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
                   commit: str | None = None, date: str | None = None, probes_error: str | None = None,
                   run: str | None = None) -> SessionRecord:
    """One session's record. ``run`` names the nox invocation that made it (its start time), so that
    records of several runs in one folder are told apart; ``status`` is "ran", "not_run", "failed" or
    "interrupted" (some cells have no result yet: :mod:`matrix.records.progress`)."""
    return {
        "schema": SCHEMA,
        "session": session or session_name(era, torch_pin, device),
        "run": run,
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


def record_paths(results_dir: str | os.PathLike = RESULTS_DIR) -> list[Path]:
    """The record files in ``results_dir``, by name: every ``*.json`` but dotfiles (the leftover
    ``.tmp-*`` of a killed write). The one rule for this and for the docs generator's loading."""
    return [p for p in sorted(Path(results_dir).glob("*.json")) if not p.name.startswith(".")]


#: What every session record has, whatever made it: a file without them is no record this code can read.
REQUIRED = ("session", "era", "torch_pin", "device", "status", "cells", "probes")
_SLUG = re.compile(r"^(legacy|tensor_autograd|modern)-torch(.+)-(cpu|cuda)$")


class UnreadableRecord(ValueError):
    """A file in a results folder that is no record this code can read; the message is the one line to
    print: the file, what is wrong, what to do."""


def problem_of(data: object) -> str | None:
    """What makes parsed JSON no session record (None when it is one): the one judgement every reader
    of a results folder makes (the summary, the CI gate, the docs, the comparison)."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not a session record"
    if not data:
        return "an empty record ({})"
    if data.get("schema") != SCHEMA:
        return (f"record format (schema) {data.get('schema')!r}, but this code reads {SCHEMA}" if "schema" in data
                else "no record format (schema): not a session record")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        return f"no {', '.join(missing)}: not a whole session record"
    if not isinstance(data["cells"], list) or not isinstance(data["probes"], list):
        return "its cells or probes are not lists"
    return None


def remedy(path: str | os.PathLike) -> str:
    """What to do about an unreadable record: rerun the session that writes it (named from the file's
    name; with ``--record`` for the reference), or delete the file."""
    path = Path(path)
    match = _SLUG.match(path.stem)
    record = " -- --record" if path.parent.resolve() == RESULTS_DIR.resolve() else ""
    rerun = (f'rerun its session (nox -s "{session_name(match.group(1), match.group(2), match.group(3))}"{record})'
             if match else "rerun the session that wrote it")
    return f"{rerun} or delete the file"


def read_record(path: str | os.PathLike) -> SessionRecord:
    """The session record in ``path``; :class:`UnreadableRecord` (naming the file, the fault and the
    remedy) when it can't be read, is not valid JSON (a truncated file) or is no record (``{}``)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        what = f"can't be read ({exc.strerror or exc})" if isinstance(exc, OSError) else f"not valid JSON ({exc})"
        raise UnreadableRecord(f"{path}: {what}; {remedy(path)}") from None
    problem = problem_of(data)
    if problem:
        raise UnreadableRecord(f"{path}: {problem}; {remedy(path)}")
    return data  # type: ignore[return-value]


def read_records(paths: Iterable[str | os.PathLike]) -> Tuple[List[SessionRecord], List[str]]:
    """(the records, one line per file that is none: :func:`read_record`'s message), in the order given."""
    records, unreadable = [], []
    for path in paths:
        try:
            records.append(read_record(path))
        except UnreadableRecord as exc:
            unreadable.append(str(exc))
    return records, unreadable


def load_all(results_dir: str | os.PathLike = RESULTS_DIR) -> Tuple[List[SessionRecord], List[str]]:
    """(every session record in ``results_dir``, one line per file there that is none)."""
    return read_records(record_paths(results_dir))


def load(results_dir: str | os.PathLike = RESULTS_DIR) -> List[SessionRecord]:
    """Every session record in ``results_dir``; :class:`UnreadableRecord` (every bad file, one line
    each) if a file there is none: a record must never be lost without a word."""
    return load_files(record_paths(results_dir))


def load_files(paths: Iterable[str | os.PathLike]) -> List[SessionRecord]:
    """The records in ``paths``; :class:`UnreadableRecord` as :func:`load`."""
    records, unreadable = read_records(paths)
    if unreadable:
        raise UnreadableRecord("\n".join(unreadable))
    return records


def unexpected(records: Sequence[SessionRecord], unreadable: Sequence[str] = ()) -> List[str]:
    """One line per thing that makes a merged run fail: a file in the folder that is no record
    (``unreadable``: :func:`read_records`' lines), a session recorded as failed or interrupted
    (some of its cells have no result), and each cell that did not do what was expected
    (:func:`matrix.facts.expected.verdict`, the rule a session is judged by: a diverged or
    nondeterministic cell expected to pass fails too). Cells not run (a CUDA
    session without a GPU, a missing Python) and XPASSes (reported, not failing without --strict)
    are not in it."""
    lines = [f"UNREADABLE record {line}" for line in unreadable]
    for record in records:
        if record.get("status") in ("failed", "interrupted"):
            lines.append(f"{str(record.get('status')).upper()} session {record.get('session')}: "
                         f"{summary.clip(record.get('reason'), 300)}")
        bad, _xpass = verdict(record.get("cells") or [])
        for cell in bad:
            lines.append(f"UNEXPECTED {record.get('session')} {cell.get('example')} ({cell.get('mode', 'variant')}): "
                         f"{cell.get('status')}: {summary.clip(cell.get('reason'), 300)}")
    return lines


USAGE = "usage: python -m matrix.records.results [--fail-on-unexpected] [FOLDER]"


def main(argv: Iterable[str] | None = None) -> int:
    """Print the summary of FOLDER; exit 1 when a file there is no record this code can read (a
    truncated file, ``{}``: named under "needs attention" with what to do). With ``--fail-on-unexpected``
    (the GitHub workflow's merge job), exit 1 also when :func:`unexpected` finds anything, or when
    FOLDER holds no record at all."""
    args = list(sys.argv[1:] if argv is None else argv)
    fail_on_unexpected = "--fail-on-unexpected" in args
    args = [a for a in args if a != "--fail-on-unexpected"]
    if len(args) > 1 or any(a.startswith("-") for a in args):
        print(USAGE, file=sys.stderr)
        return 2
    results_dir = Path(args[0]) if args else USER_RESULTS_DIR
    if args and not results_dir.is_dir():
        print(f"python -m matrix.records.results: error: no folder {results_dir}", file=sys.stderr)
        return 2
    records, unreadable = load_all(results_dir)
    print(f"{len(records)} session record(s) in {results_dir}"
          + (f", and {len(unreadable)} file(s) that are none" if unreadable else ""))
    if not records and not unreadable:  # "needs attention: nothing" would read as if something had run and passed
        print("(nothing run yet: `nox -s modern legacy` writes runs/results; the reference is "
              "`python -m matrix.records.results results`)")
        return 1 if fail_on_unexpected else 0
    print(summary.report(records, unreadable=unreadable))
    if fail_on_unexpected:
        bad = unexpected(records, unreadable)
        if bad:
            print(f"\n--fail-on-unexpected: {len(bad)} file(s), session(s) or cell(s) did not do what was expected:")
            print("\n".join(f"  {line}" for line in bad))
            return 1
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
