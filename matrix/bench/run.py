"""The bench's command line and the order its sections run in.

    python -m matrix.bench [--record] [--rounds N] [--steps N] [--log-every N] [--pins 1.0.1 2.15.0 ...]
                           [--examples nn tensors ...] [--sizes 1 2 4 8 16] [--sweep-steps N] [--cold]
                           [--skip shim_cost pin_cost size_sweep environment_build matrix_cost upgrade_cost]
                           [--installed] [--timeout S] [--out FILE]

1. per pin (:data:`matrix.facts.pins.PINS`, in that order): its Python (:func:`matrix.running.interpreters.find_python`;
   missing: the pin's rows are not run, with the remedy), its environment ``.nox/bench-torch-<pin>``
   built and timed (the warm build; ``--skip environment_build`` reuses one that holds the pin), then
   with ``--cold`` built once more into a temporary folder with an empty cache;
2. ``shim_cost``: per pin and example, ``--rounds`` rounds of the legacy variant and its
   tensor_autograd twin, interleaved ABBA, each run a fresh process;
3. ``pin_cost``: each era x example x pin against the newest pin (the runs of 2 reused, the modern era
   run ``--rounds`` times on the pins that have it);
4. ``size_sweep``: the newest runnable pin's (or ``--installed``'s) interpreter runs :mod:`matrix.bench.sweep`
   on cpu and, where torch sees one, cuda;
5. ``matrix_cost``: ``nox -s modern legacy``'s CPU half for the pins, run once per launch way (every
   cell spawned one at a time, as before the warm parents; forked one at a time; forked ``--jobs`` at
   a time), timed, its losses compared bit for bit (:mod:`matrix.bench.matrix_cost`); about 12
   minutes more on 2 cores (``--skip matrix_cost``; not with ``--installed``).
6. ``upgrade_cost``: ``shims upgrade`` against a bare LibCST pass over generated files of 1 KB to 5 MB
   and a folder of 1,000 files (:mod:`matrix.bench.upgrade_cost`), into ``upgrade.json`` beside the
   record; about 12 minutes on 2 cores (``--skip upgrade_cost``).

``--installed`` benchmarks the torch installed in this interpreter (``MATRIX_PYTHON`` for another)
instead of building environments: a GPU machine's own build, or the test suite's quick run.

The defaults (4 rounds of 300 steps, every pin and example: 684 runs, each a fresh process whose
start and imports cost more than its steps) are chosen to take at most about 20 minutes on a 2-core
machine without ``--cold``: an estimate from trial runs on 2026-11-29 (1.25 s a run with the machine
quiet, 1.7 s with it shared; the seven environments built in 60 s from a warm cache), i.e. 15-21
minutes. An even number of rounds gives each era the first place equally often. Bad input is refused with one line and exit status 2 before
anything runs or is written.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from matrix import ERAS, EXAMPLES, ROOT
from matrix.running import environment, interpreters
from matrix.records import results
from matrix.running import cell as matrix_cell
from matrix.bench import envbuild, record, stats, timing
from matrix.facts.pins import PINS

SKIPPABLE = ("shim_cost", "pin_cost", "size_sweep", "environment_build", "matrix_cost", "upgrade_cost")
DEFAULT_ROUNDS = 4
DEFAULT_STEPS = 300
DEFAULT_SIZES = (1, 2, 4, 8, 16)
DEFAULT_SWEEP_STEPS = 20
SWEEP_WARMUP = 3
PROG = "python -m matrix.bench"


# ------------------------------------------------------------------------------ the command line
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """One line and exit status 2 (argparse's status, without its usage block)."""
        print(f"{PROG}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def parse(argv: Sequence[str], known_pins: Sequence[str]) -> argparse.Namespace:
    """The options; bad ones: one line on stderr, exit status 2."""
    p = _Parser(prog=PROG, description="Measure the examples' cost per step and write the bench results file.")
    p.add_argument("--record", action="store_true", help=f"write the reference {record.RECORD_PATH.relative_to(ROOT)}")
    p.add_argument("--out", type=Path, help=f"write here (default {record.USER_PATH.relative_to(ROOT)})")
    p.add_argument("--rounds", type=_positive, default=DEFAULT_ROUNDS, help=f"runs per variant (default {DEFAULT_ROUNDS})")
    p.add_argument("--steps", type=_positive, default=DEFAULT_STEPS, help=f"steps per run (default {DEFAULT_STEPS})")
    p.add_argument("--log-every", type=_positive, help="a loss line every N steps (default: steps // 10)")
    p.add_argument("--pins", nargs="+", metavar="TORCH", help="pins to measure (default: every pin)")
    p.add_argument("--examples", nargs="+", metavar="NAME", help="examples to run (default: all nine)")
    p.add_argument("--sizes", nargs="+", type=_positive, default=list(DEFAULT_SIZES), help="size sweep scales")
    p.add_argument("--sweep-steps", type=_positive, default=DEFAULT_SWEEP_STEPS, help="timed steps per size")
    p.add_argument("--cold", action="store_true", help="also build each environment with an empty uv cache (downloads GBs)")
    p.add_argument("--skip", nargs="+", default=[], metavar="SECTION", help=f"sections not to run: {' '.join(SKIPPABLE)}")
    p.add_argument("--installed", action="store_true", help="benchmark this interpreter's torch (MATRIX_PYTHON for another)")
    p.add_argument("--timeout", type=_positive, default=600, help="seconds per run before it is killed (default 600)")
    opts = p.parse_args(list(argv))
    bad_pins = [pin for pin in opts.pins or [] if pin not in known_pins]
    if bad_pins:
        p.error(f"unknown pin {bad_pins[0]!r} (known: {', '.join(known_pins)})")
    bad_examples = [e for e in opts.examples or [] if e not in EXAMPLES]
    if bad_examples:
        p.error(f"unknown example {bad_examples[0]!r} (known: {', '.join(EXAMPLES)})")
    bad_sections = [s for s in opts.skip if s not in SKIPPABLE]
    if bad_sections:
        p.error(f"unknown section {bad_sections[0]!r} for --skip (known: {', '.join(SKIPPABLE)})")
    if opts.installed and opts.pins:
        p.error("--installed benchmarks this interpreter's torch: --pins can't be given with it")
    if opts.installed and opts.cold:
        p.error("--installed builds no environment: --cold can't be given with it")
    if opts.log_every is None:
        opts.log_every = max(1, opts.steps // 10)
    if opts.steps < 2 * opts.log_every:
        p.error(f"--steps {opts.steps} with --log-every {opts.log_every} prints fewer than two loss lines "
                "(seconds per step is timed between the first and the last)")
    opts.pins = opts.pins or list(known_pins)
    opts.pins = [pin for pin in known_pins if pin in opts.pins]  # PINS order, each once
    opts.examples = [e for e in EXAMPLES if e in (opts.examples or EXAMPLES)]
    return opts


# ------------------------------------------------------------------------------ the pins' interpreters
@dataclass
class Target:
    """A pin (or ``installed``) as the bench runs it: its interpreter, or why it can't run."""

    torch: str
    eras: Tuple[str, ...]
    python: Optional[str] = None  #: the environment's interpreter
    reason: Optional[str] = None  #: why nothing runs for this pin
    info: Dict[str, Any] = field(default_factory=dict)  #: :func:`matrix.running.environment.describe` of it


def prepare(pin: Any, opts: argparse.Namespace) -> Tuple[Target, Dict[str, Any]]:
    """The pin's environment, built (and timed unless ``environment_build`` is skipped); (target, its
    environment_build row)."""
    target = Target(pin.torch, tuple(pin.eras))
    reqs = environment.requirements(pin.torch, pin.numpy, pin.tensorflow)
    identity = {"torch": pin.torch, "python": pin.python, "requirements": reqs}
    search = interpreters.find_python(pin.python)
    if not search.found:
        target.reason = search.remedy(f"torch {pin.torch} is run on Python {pin.python} here")
        return target, record.not_run(target.reason, **identity)
    identity["python"] = search.full_version
    folder = envbuild.env_folder(pin.torch)
    python = envbuild.interpreter(folder)
    timed = "environment_build" not in opts.skip
    row: Dict[str, Any]
    if not timed and python.exists() and environment.satisfied(environment.describe(str(python)), pin.torch,
                                                              pin.numpy, pin.tensorflow):
        row = record.not_run("--skip environment_build (the existing environment was reused)", **identity)
    else:
        _say(f"torch {pin.torch}: building {folder.relative_to(ROOT)} (uv, the shared cache)")
        warm = envbuild.build(search.found, folder, reqs)
        if not warm.ok:
            target.reason = warm.failure()
            return target, record.not_run(target.reason, **identity)
        row = dict(identity, warm_seconds=round(warm.seconds, 3), cold_seconds=None, cold_download_bytes=None,
                   status="measured")
        if not timed:
            row = record.not_run("--skip environment_build (built, not timed)", **identity)
        _say(f"torch {pin.torch}: built in {warm.seconds:.1f} s")
    if opts.cold and row["status"] == "measured":
        _say(f"torch {pin.torch}: building once more with an empty uv cache (--cold)")
        cold, size = envbuild.cold_build(search.found, reqs)
        if cold.ok:
            row.update(cold_seconds=round(cold.seconds, 3), cold_download_bytes=size)
            _say(f"torch {pin.torch}: cold build {cold.seconds:.1f} s, {size / 1e9:.2f} GB downloaded")
        else:
            row["cold_reason"] = cold.failure()
    target.python = str(python)
    target.info = environment.describe(target.python)
    if not environment.version_matches_pin(target.info.get("torch"), pin.torch):
        target.reason = f"{folder} holds torch {target.info.get('torch')}, not {pin.torch}"
    return target, row


def installed_target() -> Target:
    """This interpreter's torch (``MATRIX_PYTHON`` for another) as the one pin, all three eras."""
    python = timing.this_python()
    info = environment.describe(python)
    target = Target(info.get("torch") or "installed", ERAS, python=python, info=info)
    if not info.get("torch"):
        target.reason = f"--installed, but {python} has no torch"
    return target


def pin_entry(target: Target) -> Dict[str, Any]:
    info = target.info
    python = Path(target.python or "")
    shown = str(python.relative_to(ROOT)) if python.is_absolute() and ROOT in python.parents else str(python)
    return {"torch": target.torch, "python": info.get("python"), "numpy": info.get("numpy"),
            "tensorflow": info.get("tensorflow"), "torch_build": info.get("torch_build"), "interpreter": shown}


# ------------------------------------------------------------------------------ the sections
Runs = Dict[Tuple[str, str, str], List[timing.Timing]]


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)


def _failure(runs: Sequence[timing.Timing]) -> Optional[timing.Timing]:
    return next((run for run in runs if not run.measured), None)


def _why(era: str, run: timing.Timing) -> str:
    return f"{era} {run.status}: {run.reason}"


def shim_cost(targets: Sequence[Target], opts: argparse.Namespace, runs: Runs) -> List[Dict[str, Any]]:
    """Per pin x example: legacy and tensor_autograd interleaved ABBA over ``--rounds`` rounds. An era
    whose run fails is not run again (the other goes on, for pin_cost); the row is then not run."""
    rows = []
    for target in targets:
        for example in opts.examples:
            identity = {"torch": target.torch, "example": example, "device": "cpu"}
            if target.reason:
                rows.append(record.not_run(target.reason, **identity))
                continue
            order = stats.interleaved_order(opts.rounds)
            done: List[str] = []
            for era in order:
                mine = runs.setdefault((era, example, target.torch), [])
                if _failure(mine):
                    continue
                mine.append(timing.run_variant(target.python, era, example, steps=opts.steps,  # type: ignore[arg-type]
                                               log_every=opts.log_every, timeout=opts.timeout))
                done.append(era)
            legacy, twin = runs[("legacy", example, target.torch)], runs[("tensor_autograd", example, target.torch)]
            failed = [(era, _failure(r)) for era, r in (("legacy", legacy), ("tensor_autograd", twin)) if _failure(r)]
            if failed:
                era, run = failed[0]
                rows.append(record.not_run(_why(era, run), **identity))  # type: ignore[arg-type]
                _say(f"shim_cost torch {target.torch} {example}: not run ({_why(era, run)[:200]})")  # type: ignore[arg-type]
                continue
            a, b = timing.timings_of(legacy), timing.timings_of(twin)
            low, high = stats.ratio_spread(a, b)
            row = dict(identity, legacy=a, tensor_autograd=b, order=done, ratio=stats.ratio_of_medians(a, b),
                       ratio_low=low, ratio_high=high, status="measured")
            rows.append(row)
            _say(f"shim_cost torch {target.torch} {example}: legacy/tensor_autograd {row['ratio']:.3f} "
                 f"[{low:.3f}, {high:.3f}]")
    return rows


def pin_cost(targets: Sequence[Target], opts: argparse.Namespace, runs: Runs) -> List[Dict[str, Any]]:
    """Each era x example x pin over the newest pin that has the era; runs missing from ``runs`` (the
    modern era; every era when shim_cost was skipped) are made here, ``--rounds`` each."""
    rows = []
    for era in ERAS:
        having = [t for t in targets if era in t.eras]
        if not having:
            continue
        newest = having[-1]
        for example in opts.examples:
            medians: Dict[str, Tuple[List[float], Optional[str]]] = {}
            for target in having:
                if target.reason:
                    medians[target.torch] = ([], target.reason)
                    continue
                mine = runs.setdefault((era, example, target.torch), [])
                while len(mine) < opts.rounds and not _failure(mine):
                    mine.append(timing.run_variant(target.python, era, example, steps=opts.steps,  # type: ignore[arg-type]
                                                   log_every=opts.log_every, timeout=opts.timeout))
                failure = _failure(mine)
                medians[target.torch] = (timing.timings_of(mine), _why(era, failure) if failure else None)
            ref, ref_reason = medians[newest.torch]
            for target in having:
                identity = {"era": era, "example": example, "torch": target.torch, "device": "cpu"}
                values, reason = medians[target.torch]
                if reason is None and ref_reason is not None:
                    reason = f"the newest pin ({newest.torch}) was not measured: {ref_reason}"
                if reason:
                    rows.append(record.not_run(reason, **identity))
                    continue
                median, ref_median = stats.median(values), stats.median(ref)
                rows.append(dict(identity, seconds_per_step=values, median=median, newest=newest.torch,
                                 newest_median=ref_median, over_newest=median / ref_median, status="measured"))
            _say(f"pin_cost {era} {example}: " + ", ".join(
                f"{r['torch']} {r['over_newest']:.2f}" if r["status"] == "measured" else f"{r['torch']} not run"
                for r in rows[-len(having):]))
    return rows


def size_sweep(target: Target, opts: argparse.Namespace) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """The sweep in ``target``'s interpreter, cpu then cuda; (rows, gpu_claim speedups)."""
    if target.reason:
        return [record.not_run(target.reason, device=d, torch=target.torch, scale=s)
                for d in ("cpu", "cuda") for s in opts.sizes], []
    _say(f"size_sweep torch {target.torch}: scales {' '.join(map(str, opts.sizes))}")
    try:
        out = timing.run_sweep(target.python, opts.sizes, steps=opts.sweep_steps, warmup=SWEEP_WARMUP,  # type: ignore[arg-type]
                               timeout=max(opts.timeout, 1800))
    except RuntimeError as exc:
        return [record.not_run(str(exc), device=d, torch=target.torch, scale=s)
                for d in ("cpu", "cuda") for s in opts.sizes], []
    rows = []
    for row in out["rows"]:
        row = dict(row, torch=target.torch)  # the pin; its build (+cu132) is in "pins"
        if row["status"] == "measured":  # the median before the status, as the schema lists the keys
            status = row.pop("status")
            row.update(median=stats.median(row["seconds_per_step"]), status=status)
        rows.append(row)
    medians = {(r["device"], r["scale"]): r["median"] for r in rows if r["status"] == "measured"}
    speedups = [{"scale": s, "cpu_over_cuda": medians[("cpu", s)] / medians[("cuda", s)]}
                for s in opts.sizes if ("cpu", s) in medians and ("cuda", s) in medians]
    return rows, speedups


def matrix_cost(opts: argparse.Namespace) -> Tuple[List[Dict[str, Any]], Optional[str]]:
    """The matrix's own cost (:func:`matrix.bench.matrix_cost.measure_matrix_cost`); (rows, why it was
    skipped or None)."""
    if "matrix_cost" in opts.skip:
        return [], "--skip matrix_cost"
    if opts.installed:
        return [], "--installed: the matrix's cost is measured on the pins' own environments"
    from matrix.bench.matrix_cost import measure_matrix_cost
    return measure_matrix_cost(opts), None


def gpu_name(target: Optional[Target]) -> Optional[str]:
    """The GPU's name as torch in ``target`` reports it, asked only where a GPU may be."""
    if target is None or target.python is None or environment.no_gpu_reason():
        return None
    return environment.describe(target.python, cuda=True).get("cuda_device_name")


# ------------------------------------------------------------------------------ the whole bench
def bench(opts: argparse.Namespace, pins: Sequence[Any]) -> Dict[str, Any]:
    """Every section in order (module docstring); the record, not yet written."""
    started = results.now()
    threads = int(matrix_cell.child_env(os.environ)["OMP_NUM_THREADS"])
    options = {"rounds": opts.rounds, "steps": opts.steps, "log_every": opts.log_every, "threads": threads,
               "sizes": opts.sizes, "pins": ["installed"] if opts.installed else opts.pins, "cold": opts.cold}
    builds: List[Dict[str, Any]] = []
    if opts.installed:
        targets = [installed_target()]
    else:
        targets = []
        for pin in (p for p in pins if p.torch in opts.pins):
            target, row = prepare(pin, opts)
            targets.append(target)
            builds.append(row)
    usable = [t for t in targets if t.python and not t.reason]
    out = record.new_record(started, options, record.machine(gpu_name(usable[-1] if usable else None)))
    out["pins"] = [pin_entry(t) for t in usable]
    if opts.installed:
        out["skipped"]["environment_build"] = "--installed: the interpreter's own torch, no environment built"
    elif "environment_build" in opts.skip:
        out["environment_build"] = [r for r in builds if r["status"] == "measured"]
        out["skipped"]["environment_build"] = "--skip environment_build"
    else:
        out["environment_build"] = builds
    runs: Runs = {}
    for section in ("shim_cost", "pin_cost"):
        if section in opts.skip:
            out["skipped"][section] = f"--skip {section}"
    if "shim_cost" not in opts.skip:
        out["shim_cost"] = shim_cost(targets, opts, runs)
    if "pin_cost" not in opts.skip:
        out["pin_cost"] = pin_cost(targets, opts, runs)
    if "size_sweep" in opts.skip:
        out["skipped"]["size_sweep"] = "--skip size_sweep"
    elif targets:  # the newest pin that can run (its rows say why when none can)
        newest = next((t for t in reversed(targets) if not t.reason), targets[-1])
        out["size_sweep"], out["gpu_claim"]["speedups"] = size_sweep(newest, opts)
    out["matrix_cost"], why = matrix_cost(opts)
    if why:
        out["skipped"]["matrix_cost"] = why
    out["ended"] = results.now()
    return out


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse, run, write the results file and print its path (the renderer is wired in by noxfile.py)."""
    pins = PINS
    opts = parse(sys.argv[1:] if argv is None else argv, [pin.torch for pin in pins])
    path = opts.out or record.default_path(opts.record)
    start = time.monotonic()
    out = bench(opts, pins)
    broken = record.problems(out)
    if broken:  # a bug here, not bad input: say it, but keep the measurements
        print(f"{PROG}: warning: the record breaks its schema: {'; '.join(broken)}", file=sys.stderr)
    record.write(Path(path), out)
    _say(f"wrote {path} ({time.monotonic() - start:.0f} s)")
    if "upgrade_cost" not in opts.skip:  # its own record beside this one (the page shows both)
        from matrix.bench import upgrade_cost

        where = ["--record"] if opts.record else ["--out", str(Path(path).with_name("upgrade.json"))]
        status = upgrade_cost.main(where)
        if status:
            return status
    return render(Path(path), opts.record)


def render(path: Path, recorded: bool) -> int:
    """docs/performance.md and its figures from the record just written: into docs/ for the reference
    (``--record``), else runs/docs/ (a user's run never changes a tracked file). Needs matplotlib (the
    docs group, which ``nox -s bench`` installs); without it, says how to render later."""
    out, link = (ROOT / "docs", "../") if recorded else (results.RUNS_DIR / "docs", "../../")
    if importlib.util.find_spec("matplotlib") is None:
        _say(f"not rendered (no matplotlib here): python -m matrix.pages.performance {path} --out {out}")
        return 0
    from matrix.pages import performance
    return performance.main([str(path), "--out", str(out), "--repo-link", link])
