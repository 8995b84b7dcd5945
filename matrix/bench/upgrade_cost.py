"""The bench's upgrade section: ``shims upgrade`` against the floor of what any LibCST tool pays.

    python -m matrix.bench.upgrade_cost [--record] [--sizes 1000 10000 100000 1000000] [--big 5000000]
                                        [--files 1000] [--rounds 3] [--out FILE]

The floor of one file is a bare LibCST parse, ``MetadataWrapper`` (its deep copy) with positions, and
code generation, each timed, once as any tool runs them and once with Python's cycle collector paused
(as the engine runs: on a big tree the collector costs as much as the parse); the upgrade is
:func:`shims.upgrade.engine.upgrade_source` of the same text, end to end (Python's own syntax check,
the rules, the line map). Each runs in a fresh process, interleaved round by round (floor, paused
floor, upgrade, floor, ...), each warmed up on a small file first (the
imports and first calls are a process's, not a file's), and the rounds' medians are compared. The
files are generated (:mod:`matrix.bench.upgrade_inputs`): with the 2017 idioms (every rule has work)
or without (modern code: the rules whose words appear still walk it). ``--big``: one more file of
idioms, one round. The folder: ``--files`` files of about 2.5 KB of idioms, upgraded by the command
(``python -m shims upgrade DIR``, the diff to /dev/null) with one process and with every usable CPU,
against the floor of all its files in one process.

It writes ``runs/bench/upgrade.json`` (``--record``: ``results/bench/upgrade.json``, the reference the
performance page shows). ``python -m matrix.bench`` runs it as its last section.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from matrix import ROOT
from matrix.bench import record
from matrix.bench.upgrade_inputs import source, write_folder
from matrix.records import jsonio, results

DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
DEFAULT_BIG = 5_000_000
DEFAULT_FILES = 1_000
FOLDER_FILE_SIZE = 2_500
DEFAULT_ROUNDS = 3
#: sizes from this on get one round (a round of 1 MB is about a minute on a 2-core machine)
ONE_ROUND_FROM = 1_000_000
USER_OUT = ROOT / "runs" / "bench" / "upgrade.json"
RECORD_OUT = ROOT / "results" / "bench" / "upgrade.json"
PROG = "python -m matrix.bench.upgrade_cost"


# ------------------------------------------------------------------- one measurement, in its own process
def _warm_up() -> None:
    import libcst as cst

    from shims.upgrade.engine import upgrade_source

    small = source(3_000, old=True)
    upgrade_source(small)
    cst.parse_module(small).code  # noqa: B018 - the first parse and code generation load their own code


def measure_floor(text: str) -> Dict[str, float]:
    """Seconds of each step a LibCST tool cannot skip: parse, copy + positions, code generation."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    t0 = time.perf_counter()
    module = cst.parse_module(text)
    t1 = time.perf_counter()
    wrapper = MetadataWrapper(module)  # its deep copy of the tree
    t2 = time.perf_counter()
    wrapper.resolve(PositionProvider)
    t3 = time.perf_counter()
    wrapper.module.code  # noqa: B018
    t4 = time.perf_counter()
    return {"parse": t1 - t0, "copy": t2 - t1, "positions": t3 - t2, "codegen": t4 - t3, "floor": t4 - t0}


def measure_upgrade(text: str) -> Dict[str, Any]:
    from shims.upgrade.engine import upgrade_source

    t0 = time.perf_counter()
    result = upgrade_source(text, "bench.py")
    return {"upgrade": time.perf_counter() - t0, "findings": len(result.findings), "changed": result.changed}


def _one(what: str, size: int, old: bool) -> Dict[str, Any]:
    """In a fresh process: one round of ``what`` on the generated file: "floor", "floor-paused" (the
    floor with Python's cycle collector paused, as the engine runs: on big trees the collector costs
    as much as the parse) or "upgrade"."""
    _warm_up()
    text = source(size, old)
    if what == "floor-paused":
        gc.disable()
    out: Dict[str, Any] = measure_floor(text) if what.startswith("floor") else measure_upgrade(text)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return out


def _spawn(args: Sequence[str], timeout: float) -> Dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "matrix.bench.upgrade_cost", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def file_row(size: int, old: bool, rounds: int, timeout: float) -> Dict[str, Any]:
    """One generated file: ``rounds`` rounds of floor and upgrade, interleaved, their medians."""
    floors, paused, upgrades = [], [], []
    kind = "old" if old else "new"
    for _ in range(rounds):
        floors.append(_spawn(["--one", "floor", str(size), kind], timeout))
        paused.append(_spawn(["--one", "floor-paused", str(size), kind], timeout))
        upgrades.append(_spawn(["--one", "upgrade", str(size), kind], timeout))
    text = source(size, old)
    row: Dict[str, Any] = {"bytes": len(text.encode()), "lines": text.count("\n"), "idioms": old,
                           "rounds": rounds, "findings": upgrades[0]["findings"], "changed": upgrades[0]["changed"]}
    for key in ("parse", "copy", "positions", "codegen", "floor"):
        row[key] = statistics.median(f[key] for f in floors)
    row["upgrade"] = statistics.median(u["upgrade"] for u in upgrades)
    row["upgrade_runs"] = [u["upgrade"] for u in upgrades]
    row["floor_runs"] = [f["floor"] for f in floors]
    row["floor_paused"] = statistics.median(f["floor"] for f in paused)
    row["ratio"] = row["upgrade"] / row["floor"]
    row["ratio_paused"] = row["upgrade"] / row["floor_paused"]
    row["seconds_per_mb"] = row["upgrade"] / (row["bytes"] / 1e6)
    row["floor_peak_rss_mb"] = max(f["peak_rss_mb"] for f in floors)
    row["upgrade_peak_rss_mb"] = max(u["peak_rss_mb"] for u in upgrades)
    return row


# ------------------------------------------------------------------------------------------ the folder
def _floor_of_folder(folder: str) -> Dict[str, Any]:
    """In a fresh process: the floor of every file of ``folder``, one after another (the collector
    paused, as the command's engine pauses it: small trees, so it makes little difference here)."""
    _warm_up()
    gc.disable()
    total, files = 0.0, 0
    for path in sorted(Path(folder).rglob("*.py")):
        total += measure_floor(path.read_text())["floor"]
        files += 1
    return {"floor": total, "files": files}


def folder_row(files: int, timeout: float) -> Dict[str, Any]:
    """``files`` files of idioms: the floor of them all, and the command with 1 and with every CPU."""
    from shims.upgrade.parallel import usable_cpus

    with tempfile.TemporaryDirectory(prefix="matrix-bench-upgrade-") as tmp:
        paths = write_folder(Path(tmp), files, FOLDER_FILE_SIZE, old=True)
        total = sum(p.stat().st_size for p in paths)
        lines = sum(p.read_text().count("\n") for p in paths)
        floor = _spawn(["--floor-of-folder", tmp], timeout)["floor"]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        runs = {}
        for jobs in sorted({1, usable_cpus()}):
            t0 = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "shims", "upgrade", "--jobs", str(jobs), tmp], env=env,
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  timeout=timeout)
            wall = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"shims upgrade {tmp}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}")
            runs[jobs] = wall
    row = {"files": files, "bytes": total, "lines": lines, "floor": floor,
           "command": [{"jobs": jobs, "seconds": wall, "over_floor": wall / floor} for jobs, wall in runs.items()]}
    return row


# ------------------------------------------------------------------------------------------ the record
def machine() -> Dict[str, Any]:
    """The bench's own machine description (:func:`matrix.bench.record.machine`), with the CPUs this
    process may use (what ``--jobs`` defaults to) and LibCST's version."""
    from importlib.metadata import PackageNotFoundError, version

    from shims.upgrade.parallel import usable_cpus

    try:
        libcst = version("libcst")
    except PackageNotFoundError:
        libcst = None
    return dict(record.machine(None), usable_cpus=usable_cpus(), libcst=libcst)


def bench(opts: argparse.Namespace, say=print) -> Dict[str, Any]:
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows = []
    for size in opts.sizes:
        for old in (True, False):
            rounds = 1 if size >= ONE_ROUND_FROM else opts.rounds
            say(f"upgrade_cost: {size:,} bytes, {'with' if old else 'without'} idioms, {rounds} round(s)")
            rows.append(file_row(size, old, rounds, opts.timeout))
    big = None
    if opts.big:
        say(f"upgrade_cost: {opts.big:,} bytes of idioms, 1 round")
        big = file_row(opts.big, True, 1, opts.timeout)
    folder = None
    if opts.files:
        say(f"upgrade_cost: a folder of {opts.files:,} files")
        folder = folder_row(opts.files, opts.timeout)
    return {"schema": 1, "kind": "upgrade_bench", "date": started,
            "ended": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "commit": record.project_commit(),
            "machine": machine(), "options": {"sizes": list(opts.sizes), "big": opts.big, "files": opts.files,
                                              "rounds": opts.rounds, "folder_file_bytes": FOLDER_FILE_SIZE},
            "files": rows, "big": big, "folder": folder}


def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=PROG, description="shims upgrade against the floor of a bare LibCST pass.")
    p.add_argument("--record", action="store_true", help=f"write {RECORD_OUT.relative_to(ROOT)} (the reference)")
    p.add_argument("--out", type=Path, help=f"where to write (default {USER_OUT.relative_to(ROOT)})")
    p.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), metavar="BYTES")
    p.add_argument("--big", type=int, default=DEFAULT_BIG, metavar="BYTES", help="one file of idioms this big (0: none)")
    p.add_argument("--files", type=int, default=DEFAULT_FILES, metavar="N", help="files in the folder (0: none)")
    p.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds for one process")
    p.add_argument("--one", nargs=3, metavar=("WHAT", "SIZE", "KIND"), help=argparse.SUPPRESS)
    p.add_argument("--floor-of-folder", metavar="DIR", help=argparse.SUPPRESS)
    opts = p.parse_args(list(argv))
    if opts.record and opts.out:
        p.error("--record writes the reference; --out writes elsewhere: use one")
    if any(s < 1 for s in opts.sizes) or opts.big < 0 or opts.files < 0 or opts.rounds < 1:
        p.error("sizes and --rounds are at least 1; --big and --files at least 0")
    return opts


def main(argv: Optional[Sequence[str]] = None) -> int:
    opts = parse(sys.argv[1:] if argv is None else argv)
    if opts.one:
        what, size, kind = opts.one
        print(json.dumps(_one(what, int(size), kind == "old")))
        return 0
    if opts.floor_of_folder:
        print(json.dumps(_floor_of_folder(opts.floor_of_folder)))
        return 0
    out = RECORD_OUT if opts.record else (opts.out or USER_OUT)
    why = results.unwritable(out.parent)  # the folder first: a run of minutes must not end in a traceback
    if why:
        print(f"{PROG}: error: cannot write {out}: {why}", file=sys.stderr)
        return 2
    done = bench(opts, say=lambda text: print(text, file=sys.stderr, flush=True))
    jsonio.write_atomically(out, json.dumps(done, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
