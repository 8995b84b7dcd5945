"""The body of a nox matrix session (era x torch pin x device), as a chain of small steps.

    from matrix.running import session as matrix_session
    matrix_session.run_session(session, era="modern", torch_pin="2.4.1", python_version="3.11",
                               numpy="numpy", tensorflow="2.18.*", device="cpu", run=run)  # noxfile.py

:func:`run_session` calls these steps in order; each is a function below.

1. :func:`make_plan`: the options after ``--`` (bad ones, or a records folder that cannot be written:
   one line, exit status 2, nothing written), and what every record of the session shares: where it
   goes, its name, the commit, the examples, the facts each cell starts from.
2. :func:`reason_not_to_run`: no interpreter for the pin, or no GPU for a cuda session. Then the
   session's record has every cell not run, with the reason, and the session is skipped.
3. :func:`ensure_pin`: the pin installed in the session's interpreter (:func:`interpreter_of`), or
   reused when it already holds it, then checked against the pin. A pin with no wheel here is
   recorded as not run; a failed install or another torch than the pin, as a failed session.
4. :func:`describe_device`: the device the cells run on (the CPU's or the GPU's name), logged.
5. :func:`run_cells`: each example in its own process (:func:`matrix.running.cell.run_cell`), ``--repeats``
   times with the same seed (losses that differ: "nondeterministic"), variants then "as published"
   (:func:`cells_of`), each marked with its expectation (:mod:`matrix.facts.expected`). ``--launch``: each
   process forked from a warm parent that imported the libraries once (:mod:`matrix.launch`, the
   default on Linux) or spawned; ``--jobs``: how many at once.
6. :func:`run_probes`: ``python -m matrix.probes`` in the session's interpreter, surviving a probe
   that kills its process (beside the cells with ``--jobs`` above 1: :func:`run_cells_and_probes`);
   once per torch build, NumPy, TensorFlow and Python in a nox run (the eras of a pin share them).
7. :func:`write_record`: the session's record, written atomically, its table printed. It was already
   rewritten as each cell finished (:func:`record_cell`), "interrupted" until now, so that Ctrl-C or a
   kill keeps the finished cells; each write merges by cell under the folder's lock
   (:mod:`matrix.records.progress`: the previous record's other cells kept under ``--example``).
8. :func:`judge`: XPASSes warned about; a cell expected to pass that did not (failed, crashed,
   diverged or nondeterministic; not run aside) fails the session.

``session`` is the nox session (``log``, ``warn``, ``skip``, ``error``, ``bin``, ``posargs``,
``name``, ``run_install``); ``skip`` and ``error`` raise under nox. ``run`` (:class:`matrix.running.run.Run`)
is the nox run the session belongs to: its id goes into the record, the record's path into its list,
its probes are shared with the sessions of the same pin.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, NoReturn, Optional, Sequence, Tuple

from matrix import EXAMPLES, ROOT
from matrix.running import cell as matrix_cell
from matrix import launch as matrix_launch
from matrix.running import environment, options, scratch
from matrix.facts import expected
from matrix.records import progress, results, summary
from matrix.records.schema import CellRecord, Interpreter, ProbeRecord, SessionRecord
from matrix.running.run import Run

#: The shims whose originals matrix/as_published holds: a variant importing one of them also runs "as
#: published" (the legacy scripts but the NumPy one; the tensor_autograd and modern scripts import none).
ADAPTING_SHIMS = re.compile(r"^from shims\.(?:torch_legacy|tf1) import ", re.M)


def run_session(session: Any, *, era: str, torch_pin: str, python_version: str | None, numpy: str,
                tensorflow: str | None, device: str, installed: bool = False,
                skip_reason: str | None = None, run: Run | None = None) -> SessionRecord:
    """The body of every era session: check/install the pin, run the cells and the probes, write and
    print the record, then fail the session if a cell expected to pass did not. ``run``: the nox run
    it belongs to (None: a run of its own, without an id).

    Records "not run" and skips where the cells can't run here (``skip_reason``: no interpreter for
    the pin); records "failed" and errors where the pin could not be installed or is not what is
    installed. Bad options, or a records folder that cannot be written: one line, exit status 2,
    nothing written. Interrupted (Ctrl-C, an error) after some cells: they are recorded, "interrupted".
    Returns the record written.
    """
    plan = make_plan(session, era=era, torch_pin=torch_pin, python_version=python_version, numpy=numpy,
                     tensorflow=tensorflow, device=device, installed=installed, run=run)
    try:
        reason = reason_not_to_run(plan, skip_reason)
        if reason:
            not_run(plan, reason)
        python = interpreter_of(plan)
        info, tf_reason = ensure_pin(plan, python)
        info = describe_device(plan, python, info)
        cells, (probes, probes_error), timings = run_cells_and_probes(plan, python, info, tf_reason)
        if probes_error:
            session.warn(f"probes: {probes_error}")
        record = write_record(plan, info, cells, probes, probes_error, timings)
    except _Stopped as stop:  # a session object whose skip() or error() returned (nox's raise)
        return stop.record
    except BaseException as exc:  # Ctrl-C, or anything else: the finished cells are kept, marked so
        record_interruption(plan, exc)
        raise
    judge(plan, record["cells"])
    return record


# ----------------------------------------------------------------------------- 1. the plan
@dataclass
class Plan:
    """What a session is asked to do, fixed before anything runs."""

    session: Any  #: the nox session
    era: str
    torch_pin: str  #: the pin, or "installed"
    python_version: Optional[str]  #: the pin's Python ("3.9"); None with MATRIX_USE_INSTALLED
    numpy: str  #: the NumPy requirement ("numpy<2")
    tensorflow: Optional[str]  #: the tensorflow-cpu release paired with the pin, or None
    device: str
    installed: bool  #: run against an installed torch (MATRIX_USE_INSTALLED), no virtualenv
    opts: argparse.Namespace  #: the options after ``--`` (:func:`matrix.running.options.parse`)
    out_path: Path  #: the session's results file
    #: the file rewritten as each cell finishes: ``out_path``, but under runs/recording with ``--record``
    #: (the reference changes only when the record is complete: :func:`results.progress_folder`)
    progress_path: Path
    name: str  #: the session's name
    commit: Optional[str]  #: the project's git commit
    examples: List[str]  #: the examples to run (``--example``, else all nine)
    base: Dict[str, Any]  #: the facts every cell record starts from (a CellRecord's first keys)
    run: Run  #: the nox run this session belongs to
    progress: progress.Progress = field(default_factory=progress.Progress)  #: the cells finished so far


def make_plan(session: Any, *, era: str, torch_pin: str, python_version: str | None, numpy: str,
              tensorflow: str | None, device: str, installed: bool = False, run: Run | None = None) -> Plan:
    """Step 1: parse the options after ``--`` and check that the records folder can be written (if not:
    one line on stderr, exit status 2, nothing written), and fix what every record of this session shares."""
    try:
        opts = options.parse(getattr(session, "posargs", []))
        options.check_results(opts)  # a folder that can't be written: refused now, not after the cells ran
    except options.BadInput as exc:
        print(f"nox: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    scratch.sweep()  # the cells' temporary folders that a killed session left behind
    commit = environment.commit(str(ROOT))
    base: dict = {"era": era, "torch_pin": torch_pin, "torch": None, "tensorflow": None,
                  "python": python_version, "device": device, "device_name": None, "seed": opts.seed,
                  "date": results.now(), "commit": commit}
    return Plan(session=session, era=era, torch_pin=torch_pin, python_version=python_version, numpy=numpy,
                tensorflow=tensorflow, device=device, installed=installed, opts=opts,
                out_path=Path(opts.results) / f"{results.slug(era, torch_pin, device)}.json",
                progress_path=results.progress_folder(opts.results) / f"{results.slug(era, torch_pin, device)}.json",
                name=getattr(session, "name", None) or results.session_name(era, torch_pin, device),
                commit=commit, examples=opts.example or list(EXAMPLES), base=base, run=run or Run())


def cells_of(era: str, examples: Sequence[str]) -> List[Tuple[str, str]]:
    """The session's cells as (example, mode): every example's variant, then, for the examples that
    import an adapting shim, the script "as published"."""
    runs = [(example, "variant") for example in examples]
    return runs + [(example, "as_published") for example in examples if uses_adapting_shims(era, example)]


def uses_adapting_shims(era: str, example: str, root: str | os.PathLike = ROOT) -> bool:
    """Whether the variant imports a shim that adapts old code (so it also runs "as published")."""
    script = Path(root) / "variants" / era / f"{example}.py"
    return script.exists() and bool(ADAPTING_SHIMS.search(script.read_text(encoding="utf-8")))


# --------------------------------------------------------------- 2. not run, failed: records of no cell
class _Stopped(Exception):
    """The session ended early with this record, and its ``skip()`` or ``error()`` did not raise."""

    def __init__(self, record: SessionRecord) -> None:
        super().__init__(record.get("reason"))
        self.record = record


def reason_not_to_run(plan: Plan, skip_reason: str | None) -> str | None:
    """Step 2: why no cell can run here (``skip_reason``: no interpreter for the pin; no GPU for a cuda
    session), or None. Decided before the interpreter is looked at or anything is installed."""
    if skip_reason:
        return skip_reason
    if plan.device == "cuda":
        return environment.no_gpu_reason()
    return None


def record_unrun(plan: Plan, status: str, reason: str, why: str, info: Mapping[str, Any] | None) -> SessionRecord:
    """Write the session's record with every cell not run, ``why`` being each cell's reason; ``info``:
    what is known of the interpreter (None: nothing but the pin's Python version)."""
    info = dict(info or {"python": plan.python_version})
    cell_base = dict(plan.base, torch=info.get("torch"), tensorflow=info.get("tensorflow"),
                     python=info.get("python"), device_name=info.get("device_name"))
    cells = [results.not_run_cell(cell_base, example, why, mode=mode)
             for example, mode in cells_of(plan.era, plan.examples)]
    record = results.session_record(era=plan.era, torch_pin=plan.torch_pin, device=plan.device, info=info, cells=cells,
                                    status=status, reason=reason, probes=[], session=plan.name, commit=plan.commit,
                                    run=plan.run.id)
    _write(plan, record)
    return record


def not_run(plan: Plan, reason: str, info: Mapping[str, Any] | None = None) -> NoReturn:
    """Record the session as not run (every cell, with ``reason``), print its table, skip it (nox's
    ``skip`` raises; if another's returns, :class:`_Stopped` ends the session with the record)."""
    record = record_unrun(plan, "not_run", reason, reason, info)
    _log(plan.session, f"not run: {reason}\nwrote {plan.out_path}")
    print(summary.table([record]))
    plan.run.skipping(plan.name)
    plan.session.skip(reason)
    raise _Stopped(record)


def failed(plan: Plan, reason: str, info: Mapping[str, Any] | None = None) -> NoReturn:
    """Record the session as failed (its cells not run, with why), then fail it (``session.error``;
    as in :func:`not_run`, :class:`_Stopped` if that returns)."""
    record = record_unrun(plan, "failed", reason, f"not run: the session failed before running it ({reason})", info)
    plan.session.error(reason)
    raise _Stopped(record)


# ------------------------------------------------------------------------------ 3. the pin
def interpreter_of(plan: Plan) -> str:
    """The Python the cells run in: the session's virtualenv's; with MATRIX_USE_INSTALLED, MATRIX_PYTHON
    or nox's own."""
    if plan.installed:
        return os.environ.get("MATRIX_PYTHON") or sys.executable
    return os.path.join(plan.session.bin, "python")


def ensure_pin(plan: Plan, python: str) -> Tuple[Interpreter, Optional[str]]:
    """Step 3: the pin installed in ``python`` and checked; returns (what is installed there, why
    tf_static_graph can't run or None).

    A virtualenv that already holds the pin is reused as it is. With MATRIX_USE_INSTALLED nothing is
    installed, but there must be a torch. Under ``nox -R`` (no install) the torch found must still be
    the pin's: a stale environment fails the session rather than run the wrong release.
    """
    tf_reason = None
    info = environment.describe(python)
    if plan.installed:
        if not info.get("torch"):
            failed(plan, f"MATRIX_USE_INSTALLED=1 but {python} has no torch installed", info)
    elif not environment.satisfied(info, plan.torch_pin, plan.numpy, plan.tensorflow):
        info, tf_reason = install_pin(plan, python, info)
    else:
        _log(plan.session, f"reusing the environment: torch {info.get('torch')}, numpy {info.get('numpy')}, "
                           f"tensorflow {info.get('tensorflow')} already match the pin")
    if not plan.installed and not environment.version_matches_pin(info.get("torch"), plan.torch_pin):
        failed(plan, f"the installed torch is {info.get('torch')}, not the pinned {plan.torch_pin}: refusing to run "
                     f"(a stale reused environment? run without -R, or delete {Path(python).parent.parent})", info)
    return info, tf_reason


def install_pin(plan: Plan, python: str, info: Interpreter) -> Tuple[Interpreter, Optional[str]]:
    """Install the pin's torch, NumPy and tensorflow-cpu into ``python`` (uv); returns the interpreter
    described again, and why tf_static_graph can't run (None if it can).

    No tensorflow-cpu wheel for this Python and platform costs only tf_static_graph: the rest is
    installed without it. No torch wheel: the session is not run. Any other failure fails it.
    Under ``--no-install`` (``nox -R``: ``run_install`` returns None) nothing is installed.
    """
    tf_reason = None
    reqs = environment.requirements(plan.torch_pin, plan.numpy, plan.tensorflow)
    if plan.session.run_install("python", "-c", "print('install')", silent=True) is None:
        return info, tf_reason
    started = time.monotonic()
    rc, output = environment.install(python, reqs, environment.index_args())
    _log(plan.session, output.strip()[-3000:])
    tf_name = environment.tensorflow_distribution(plan.tensorflow) if plan.tensorflow else None
    missing_tf = environment.no_distribution(output, tf_name) if rc != 0 and tf_name else None
    if missing_tf and not environment.no_distribution(output, "torch"):
        # torch can still run its eight examples; only tf_static_graph is not run, with this reason.
        tf_reason = (f"{tf_name}=={plan.tensorflow} can't be installed for Python {info.get('python')} on "
                     f"{info.get('platform')}: {missing_tf}")
        reqs = environment.requirements(plan.torch_pin, plan.numpy, None)
        rc, output = environment.install(python, reqs, environment.index_args())
        _log(plan.session, output.strip()[-3000:])
    if rc != 0:
        missing = environment.no_distribution(output, "torch")
        if missing:
            not_run(plan, f"torch {plan.torch_pin} can't be installed for Python {info.get('python')} on "
                          f"{info.get('platform')}: {missing}", info)
        failed(plan, f"installing {' '.join(reqs)} failed (exit status {rc}); see the output above", info)
    _log(plan.session, f"installed {' '.join(reqs)} in {time.monotonic() - started:.1f} s")
    return environment.describe(python), tf_reason


# ---------------------------------------------------------------------------- 4. the device
def describe_device(plan: Plan, python: str, info: Interpreter) -> Interpreter:
    """Step 4: ``info`` with ``device_name`` (the GPU's name, asked of torch in ``python``; the CPU's
    model), and one log line naming the interpreter, its versions and the device."""
    if plan.device == "cuda":
        info = environment.describe(python, cuda=True)
        info["device_name"] = info.get("cuda_device_name")
    else:
        info["device_name"] = environment.cpu_name()
    _log(plan.session, f"{plan.name}: Python {info['python']}, torch {info['torch']}, numpy {info['numpy']}, "
                       f"tensorflow {info.get('tensorflow')}, {info['device_name']}")
    return info


# ----------------------------------------------------------------------------- 5. the cells
def run_cells_and_probes(plan: Plan, python: str, info: Interpreter,
                         tf_reason: str | None) -> Tuple[List[CellRecord], Tuple[List[ProbeRecord], Optional[str]],
                                                         Dict[str, Any]]:
    """Steps 5 and 6: the cells (:func:`run_cells`) and the probes (:func:`run_probes`); with ``--jobs``
    above 1 the probes run beside the cells. Returns (cells, (probes, error), timings): how they were
    launched and how long each part took, for the record (docs/performance.md reads them)."""
    started = time.monotonic()
    probes_seconds: List[float] = []
    key = probes_key(info)
    shared = plan.run.probes
    shared_from = shared[key][2] if key and key in shared else None

    def probes() -> Tuple[List[ProbeRecord], Optional[str]]:
        if shared_from:
            probes_seconds.append(0.0)
            return shared[key][0], shared[key][1]
        begun = time.monotonic()
        try:
            found = run_probes(python, timeout=plan.opts.timeout)
            if key:
                shared[key] = (found[0], found[1], plan.name)
            return found
        finally:
            probes_seconds.append(time.monotonic() - begun)

    with matrix_launch.Launcher(plan.opts.launch) as launcher:
        if plan.opts.jobs > 1:
            with ThreadPoolExecutor(max_workers=1) as beside:
                probing = beside.submit(probes)
                cells = run_cells(plan, python, info, tf_reason, launcher)
                cells_seconds = time.monotonic() - started
                probe_result = probing.result()
        else:
            cells = run_cells(plan, python, info, tf_reason, launcher)
            cells_seconds = time.monotonic() - started
            probe_result = probes()
        fallbacks = list(launcher.fallbacks)
        parents = list(launcher.parents)
    for fallback in fallbacks:
        plan.session.warn(f"spawned instead of forked: {fallback}")
    timings = {"launch": plan.opts.launch, "jobs": plan.opts.jobs, "launch_fallbacks": fallbacks,
               "warm_parents": parents,
               "cells_seconds": round(cells_seconds, 3), "probes_seconds": round(probes_seconds[0], 3),
               "seconds": round(time.monotonic() - started, 3)}
    if shared_from:
        timings["probes_from"] = shared_from
        _log(plan.session, f"probes: those of {shared_from}, run in this nox run on the same torch, NumPy, "
                           f"TensorFlow and Python")
    return cells, probe_result, timings


def probes_key(info: Mapping[str, Any]) -> Optional[tuple]:
    """What the probes' outcomes depend on: they check the installed libraries, not an era's scripts,
    so the sessions of one pin (legacy, tensor_autograd, modern) in one nox run share one probes run.
    None (never shared) when the installed torch build is not known."""
    if not info.get("torch_build"):
        return None
    return tuple(info.get(k) for k in ("python", "torch_build", "numpy", "tensorflow", "platform"))


def run_cells(plan: Plan, python: str, info: Interpreter, tf_reason: str | None,
              launcher: matrix_launch.Launcher | None = None) -> List[CellRecord]:
    """Step 5: every cell of the session (:func:`cells_of`), each in its own process (``--launch``: forked
    from a warm parent or spawned), ``--jobs`` at a time, logged as each ends; recorded in plan order."""
    entries = expected.load_expected()
    cell_base = dict(plan.base, torch=info.get("torch"), torch_build=info.get("torch_build"), numpy=info.get("numpy"),
                     tensorflow=info.get("tensorflow"), python=info.get("python"), device_name=info.get("device_name"))
    todo = cells_of(plan.era, plan.examples)

    def one(job: Tuple[str, str]) -> CellRecord:
        example, mode = job
        cell = run_one_cell(plan, python, info, cell_base, entries, example, mode, tf_reason, launcher)
        _log_cell(plan.session, example, mode, cell)
        record_cell(plan, info, cell)
        return cell

    if plan.opts.jobs <= 1:
        return [one(job) for job in todo]
    pool = ThreadPoolExecutor(max_workers=plan.opts.jobs)
    try:
        futures = [pool.submit(one, job) for job in todo]
        cells = [future.result() for future in futures]
    except BaseException:  # Ctrl-C: start no other cell; those running are not waited for
        plan.progress.stopping.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return cells


def run_one_cell(plan: Plan, python: str, info: Interpreter, cell_base: Mapping[str, Any],
                 entries: Sequence[Mapping[str, Any]], example: str, mode: str, tf_reason: str | None,
                 launcher: matrix_launch.Launcher | None = None) -> CellRecord:
    """One cell's record: run (or, tf_static_graph without TensorFlow, not run) and marked with what
    matrix/expected.toml expects of it (and the catalog entry that explains an expected failure)."""
    facts = dict(cell_base, example=example, mode=mode, numpy=info.get("numpy"))
    entry = expected.matching_entry(entries, facts)
    want, why = expected.expectation_of(entry)
    if example == "tf_static_graph" and not info.get("tensorflow"):
        reason = tf_reason or (
            f"no TensorFlow in this interpreter ({python})" if plan.installed or plan.tensorflow else
            f"no tensorflow-cpu release is paired with torch {plan.torch_pin} on Python {info.get('python')} "
            f"(see PINS in matrix/facts/pins.py)")
        cell = results.not_run_cell(cell_base, example, reason, want, mode=mode)
    else:
        cell = dict(cell_base, example=example, date=results.now())
        cell.update(matrix_cell.run_cell(python, plan.era, example, device=plan.device, seed=plan.opts.seed,
                                         steps=plan.opts.steps, timeout=plan.opts.timeout, mode=mode,
                                         repeats=plan.opts.repeats, launcher=launcher))
        cell = expected.apply_expectation(cell, want, why, (entry or {}).get("error"), expected.statuses_of(entry))
    if entry and entry.get("change"):
        cell["change"] = entry["change"]  # the catalog entry that explains this expected failure
    return cell


def _log_cell(session: Any, example: str, mode: str, cell: CellRecord) -> None:
    sps = cell.get("seconds_per_step")
    label = example if mode == "variant" else f"{example} ({mode.replace('_', ' ')})"
    _log(session, f"  {label:30} {cell['status']:22} {cell['wall_seconds']:7.1f} s"
                  + (f"  {sps * 1e3:.3g} ms/step" if sps else "")
                  + (f"  [{cell['reason'][:160]}]" if cell.get("reason") else ""))


# ---------------------------------------------------------------------------- 6. the probes
def run_probes(python: str, timeout: float = options.DEFAULT_TIMEOUT,
               module: str = "matrix.probes") -> Tuple[List[ProbeRecord], Optional[str]]:
    """Step 6: run ``python -m matrix.probes`` in the session's interpreter; returns (records, error or None).

    The probes share one process (importing torch once per probe would cost minutes per session).
    ``matrix.probes`` rewrites its output after each probe, so when that process dies (a segfault in
    one probe, the timeout) the finished probes are kept, the probe that was running is recorded as
    ``crashed`` with the process's last words, and the remaining ones run again in a fresh process.
    """
    env = matrix_cell.child_env(os.environ, ROOT)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    listed = subprocess.run([python, "-m", module, "--list"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if listed.returncode != 0:
        last = matrix_cell.last_line(listed.stderr)
        return [], f"python -m {module} --list failed (exit {listed.returncode}): {last}"
    pending = [line.strip() for line in listed.stdout.splitlines() if line.strip()]
    records: list = []
    errors: list = []
    with scratch.folder("matrix-probes-") as tmp:
        out = os.path.join(tmp, "probes.json")
        while pending:
            if os.path.exists(out):
                os.unlink(out)
            cmd = [python, "-m", module, "--out", out] + [f"--only={pid}" for pid in pending]
            raw = matrix_launch.run_process(cmd, timeout=timeout, cwd=ROOT, env=env)
            done = []
            if os.path.exists(out):
                with open(out, encoding="utf-8") as handle:
                    done = [r for r in json.load(handle) if isinstance(r, dict)]
            records += done
            finished = {r.get("id") for r in done}
            pending = [pid for pid in pending if pid not in finished]
            if raw["returncode"] == 0 and not raw["timed_out"]:
                if pending:  # exit 0 but some probes missing from the output: say so, don't loop
                    errors.append(f"{module} exited 0 without records for {', '.join(pending)}")
                break
            if not pending:
                break
            victim = pending.pop(0)
            how = (f"still running after the {timeout:g} s timeout; killed" if raw["timed_out"] else
                   f"killed by {matrix_cell.signal_name(raw['returncode'])}" if raw["returncode"] < 0 else
                   f"exit status {raw['returncode']}")
            last = matrix_cell.last_line(raw.get("stderr") or "")
            message = how + (f": {last}" if last else "")
            records.append({"id": victim, "outcome": "crashed", "detail": f"the probe process died: {message}",
                            "warnings": [], "error": {"type": "crash", "message": message}, "value": None})
            errors.append(f"probe {victim}: {message}")
    return records, ("; ".join(errors) or None)


# ---------------------------------------------------------------------------- 7. the record
def write_record(plan: Plan, info: Interpreter, cells: List[CellRecord], probes: List[ProbeRecord],
                 probes_error: str | None, timings: Mapping[str, Any] | None = None) -> SessionRecord:
    """Step 7: the session's complete record, merged with the one there (:func:`update_record`: with
    ``--example`` the previous record's other cells are kept), written atomically, its table printed."""
    record = results.session_record(era=plan.era, torch_pin=plan.torch_pin, device=plan.device, info=info, cells=cells,
                                    status="ran", reason=None, probes=probes, session=plan.name, commit=plan.commit,
                                    probes_error=probes_error, run=plan.run.id)
    if timings:
        record["timings"] = dict(timings)  # type: ignore[typeddict-unknown-key]
    _mark_partial(plan, record)
    done = update_record(plan, record, plan.out_path)
    plan.progress.complete = True  # an error after this must not mark it interrupted
    if plan.progress_path != plan.out_path:  # --record: the cells kept meanwhile are in the reference now
        with progress.folder_lock(plan.progress_path.parent):
            plan.progress_path.unlink(missing_ok=True)
        plan.run.written = [p for p in plan.run.written if p != plan.progress_path]
    print(summary.table([done.record]))
    _log(plan.session, f"wrote {plan.out_path}" + done.kept_note())
    return done.record


def _mark_partial(plan: Plan, record: SessionRecord) -> None:
    if plan.opts.partial:  # --example, --steps, --repeats, --seed: the record says how it is not complete
        record["partial"] = dict(plan.opts.partial)  # type: ignore[typeddict-unknown-key]


def record_cell(plan: Plan, info: Interpreter, cell: CellRecord) -> None:
    """After each cell: the record with every cell finished so far, "interrupted" until the session
    writes its complete record, so that Ctrl-C, a kill or a crash keeps them."""
    with plan.progress.lock:
        if plan.progress.stopping.is_set():
            return
        plan.progress.cells.append(cell)
        plan.progress.info = info
        update_record(plan, _partial_record(plan), plan.progress_path)


def record_interruption(plan: Plan, exc: BaseException) -> None:
    """The session is stopping (``exc``: Ctrl-C, an error): its record says so, with the cells that
    finished. Nothing is written when no cell finished (the previous record stays as it was)."""
    plan.progress.stopping.set()
    with plan.progress.lock:
        if not plan.progress.cells or plan.progress.complete:
            return
        plan.progress.how = ("by Ctrl-C (KeyboardInterrupt)" if isinstance(exc, KeyboardInterrupt) else
                             f"by {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        done = update_record(plan, _partial_record(plan), plan.progress_path)
    unchanged = f" ({plan.out_path} is unchanged)" if plan.progress_path != plan.out_path else ""
    _log(plan.session, f"interrupted: wrote {plan.progress_path} with the {len(plan.progress.cells)} cell(s) that "
                       f"finished" + done.kept_note() + unchanged)


def _partial_record(plan: Plan) -> SessionRecord:
    """The record of a session still running or interrupted: its finished cells, no probes yet."""
    planned = cells_of(plan.era, plan.examples)
    cells = list(plan.progress.cells)
    left = progress.missing({"cells": cells}, planned)
    reason = progress.interrupted_reason(len(cells), planned, left, plan.progress.how)
    return results.session_record(era=plan.era, torch_pin=plan.torch_pin, device=plan.device,
                                  info=plan.progress.info or {}, cells=cells, status=progress.INTERRUPTED,
                                  reason=reason, probes=[], session=plan.name, commit=plan.commit, run=plan.run.id)


def update_record(plan: Plan, record: SessionRecord, path: Path) -> progress.Update:
    """Write ``record`` to ``path`` merged by cell with the one there, under the folder's lock
    (:func:`matrix.records.progress.update`); say what of another run's it replaced."""
    done = progress.update(path, record, planned=cells_of(plan.era, plan.examples),
                           keep_unplanned=bool(plan.opts.example), since=plan.base["date"])
    for line in done.replaced:
        plan.session.warn(f"{path}: {line}")
    if path not in plan.run.written:
        plan.run.wrote(path)
    return done


def _write(plan: Plan, record: SessionRecord) -> None:
    _mark_partial(plan, record)
    plan.out_path.parent.mkdir(parents=True, exist_ok=True)
    with progress.folder_lock(plan.out_path.parent):
        results.write_json_atomically(plan.out_path, record)
    plan.run.wrote(plan.out_path)


# ----------------------------------------------------------------------------- 8. the verdict
def judge(plan: Plan, cells: Sequence[CellRecord]) -> None:
    """Step 8: warn about each XPASS; fail the session (``session.error``) if a cell expected to pass
    did not, or, with ``--strict``, if an expected failure passed."""
    unexpected, xpass = expected.verdict(cells)
    for cell in xpass:
        plan.session.warn(f"XPASS {plan.era}/{cell['example']}: {cell['reason']}")
    if unexpected or (plan.opts.strict and xpass):
        bad = [f"{c['example']} ({c['status']}: {str(c.get('reason'))[:200]})" for c in unexpected]
        if plan.opts.strict:
            bad += [f"{c['example']} (XPASS, --strict)" for c in xpass]
        plan.session.error(f"{len(bad)} cell(s) expected to pass did not: " + "; ".join(bad))


def _log(session: Any, message: str) -> None:
    if session is not None:
        session.log(message)
    else:
        print(message)
