"""Run one matrix cell (an example, in its own process) and classify it; run a whole nox session.

A cell is ``python -m matrix.trace REPORT.json variants/<era>/<example>.py --log-every 1 --seed S
--device D`` in the session's interpreter, with PYTHONUNBUFFERED=1 so that each ``step loss`` line
reaches us when it is printed: its arrival time is stamped here, and ``seconds_per_step`` is the time
between the first and the last loss line over the steps between them (import time and setup excluded).

Status of a cell (contract):

- ``passed``: exit 0, at least one loss line, no warning;
- ``passed_with_warnings``: the same with warnings (listed; reason = the first);
- ``failed``: an exception (recorded type and message), a non-zero exit, or no loss line at all;
- ``crashed``: killed by a signal (the signal's name), or still running at the timeout (killed);
- ``not_run``: exit status 69 (the script says this machine lacks the device), or decided before
  running (no GPU, no interpreter, no TensorFlow for this pin...). Never counted as passed.

A cell is expected to pass unless ``matrix/expected.toml`` lists it (see :func:`expectation`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from matrix import EXAMPLES, FAILING, PASSING, ROOT
from matrix import environment, options, results

LOSS_LINE = re.compile(r"^(\d+) (\S+)$")
EXIT_UNAVAILABLE = 69
#: One compute thread per cell unless the caller sets these. The tutorial's models are tiny, so one
#: thread is as fast as many on a quiet machine; the float sums no longer depend on the machine's core
#: count (torch 1.8.1 custom_function, 100 steps: loss 427.8185 with 1 thread, 427.81805 with 2); and
#: OpenMP's spinning threads don't collapse on a shared runner (measured on 2 busy cores: 3.3 ms/step
#: with 1 thread, 78 ms/step with 2).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
DEFAULT_TIMEOUT = options.DEFAULT_TIMEOUT
EXPECTED_FILE = ROOT / "matrix" / "expected.toml"
AS_PUBLISHED = ROOT / "matrix" / "as_published"
#: The shims whose originals matrix/as_published holds: a variant importing one of them also runs "as
#: published" (the legacy scripts but the NumPy one; the tensor_autograd and modern scripts import none).
ADAPTING_SHIMS = re.compile(r"^from shims\.(?:torch_legacy|tf1) import ", re.M)
#: The results files this process wrote, in order (noxfile.py prints their table when nox exits).
WRITTEN: list = []


# --------------------------------------------------------------------------------------- one process
class RawRun(dict):
    """What one process did: lines with arrival times, stderr, exit, the trace report, wall time."""


def run_process(cmd: Sequence[str], *, timeout: float, cwd: str | os.PathLike, env: Mapping[str, str]) -> RawRun:
    """Run ``cmd`` in its own process group; stamp each stdout line; kill the group at ``timeout``."""
    start = time.monotonic()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    lines: list = []
    err_chunks: list = []

    def read_stdout() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            lines.append((time.monotonic() - start, raw.decode("utf-8", "replace").rstrip("\r\n")))

    def read_stderr() -> None:
        assert proc.stderr is not None
        for raw in iter(proc.stderr.readline, b""):
            err_chunks.append(raw.decode("utf-8", "replace"))
            if len(err_chunks) > 4000:  # keep the head and the tail of a chatty process
                del err_chunks[200:1200]

    readers = [threading.Thread(target=read_stdout, daemon=True), threading.Thread(target=read_stderr, daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
    except BaseException:  # Ctrl-C in nox: the child is in its own session, so SIGINT never reached it
        _kill_group(proc)
        raise
    for reader in readers:
        reader.join(timeout=10)
    return RawRun(lines=lines, stderr="".join(err_chunks), returncode=proc.returncode, timed_out=timed_out,
                  timeout=timeout, wall_seconds=time.monotonic() - start)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def parse_losses(lines: Sequence[tuple]) -> list:
    """``(stamp, text)`` lines -> ``[(stamp, step, loss)]`` for lines of the form ``<int> <float>``."""
    out = []
    for stamp, text in lines:
        match = LOSS_LINE.match(text.strip())
        if not match:
            continue
        try:
            loss = float(match.group(2))
        except ValueError:
            continue
        out.append((stamp, int(match.group(1)), loss))
    return out


def seconds_per_step(curve: Sequence[tuple]) -> float | None:
    """Time between the first and last loss line over the steps between them (needs two lines)."""
    if len(curve) < 2:
        return None
    (t0, s0, _), (t1, s1, _) = curve[0], curve[-1]
    if s1 <= s0:
        return None
    return (t1 - t0) / (s1 - s0)


def signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def classify(raw: Mapping[str, Any], report: Mapping[str, Any] | None) -> dict:
    """Status, reason, error, signal of one run, from the process outcome and the trace report."""
    rc = raw.get("returncode")
    stderr = raw.get("stderr") or ""
    losses = parse_losses(raw.get("lines") or [])
    warnings = list((report or {}).get("warnings") or [])
    error = (report or {}).get("error")
    out: dict = {"warnings": warnings, "error": error, "returncode": rc, "signal": None}
    if raw.get("timed_out"):
        out.update(status="crashed", signal="SIGKILL",
                   reason=f"still running after the {raw.get('timeout'):g} s timeout (hang or far too slow); killed"
                          + (f" after step {losses[-1][1]}" if losses else " before the first loss line"))
    elif rc is not None and rc < 0:
        name = signal_name(rc)
        when = "after the script finished (at interpreter exit)" if (report or {}).get("finished") else (
            f"after step {losses[-1][1]}" if losses else "before the first loss line")
        out.update(status="crashed", signal=name, reason=f"killed by {name} {when}")
    elif rc == EXIT_UNAVAILABLE:
        out.update(status="not_run", reason=_last_line(stderr) or "exit status 69: device unavailable")
    elif error:
        out.update(status="failed", reason=f"{error.get('type')}: {error.get('message')}".strip())
    elif rc != 0:
        detail = _last_line(stderr)
        if report is None:
            detail = f"no trace report; {detail}" if detail else "no trace report"
        out.update(status="failed", reason=f"exit status {rc}" + (f": {detail}" if detail else ""))
    elif not losses:
        printed = [text.strip() for _, text in raw.get("lines") or [] if text.strip()]
        seen = f" (it printed {printed[0][:120]!r} instead)" if printed else ""
        out.update(status="failed", reason=f"exit status 0 but no `step loss` line on stdout{seen}")
    elif warnings:
        first = warnings[0]
        more = f" (+{len(warnings) - 1} more)" if len(warnings) > 1 else ""
        out.update(status="passed_with_warnings", reason=f"{first.get('category')}: {first.get('message')}{more}")
    else:
        out.update(status="passed", reason=None)
    return out


def child_env(base: Mapping[str, str], *paths: str | os.PathLike) -> dict:
    """The environment of a process run in a session's interpreter: ``paths`` first on PYTHONPATH, one
    compute thread (see THREAD_VARIABLES) and TensorFlow's C++ log quieted, unless ``base`` sets them."""
    env = dict(base)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (*map(str, paths), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in THREAD_VARIABLES:
        env.setdefault(name, "1")
    return env


def run_cell(python: str, era: str, example: str, *, device: str = "cpu", seed: int = 0, steps: int | None = None,
             timeout: float = DEFAULT_TIMEOUT, root: str | os.PathLike = ROOT, script: str | os.PathLike | None = None,
             env: Mapping[str, str] | None = None, mode: str = "variant") -> dict:
    """Run one example in its own process; returns the measured part of a cell record.

    ``mode="as_published"`` puts matrix/as_published first on PYTHONPATH, so the script's
    ``import shims...`` gets the 2017 code each adapter replaced: the cell shows what the original
    tutorial does on this torch.
    """
    root = Path(root)
    script = Path(script) if script else root / "variants" / era / f"{example}.py"
    args = ["--log-every", "1", "--seed", str(seed), "--device", device]
    if steps:
        args += ["--steps", str(steps)]
    first = [AS_PUBLISHED] if mode == "as_published" else []
    run_env = child_env(os.environ if env is None else env, *first, root)
    run_env["PYTHONUNBUFFERED"] = "1"
    with tempfile.TemporaryDirectory(prefix="matrix-cell-") as tmp:
        report_path = os.path.join(tmp, "report.json")
        raw = run_process([python, "-m", "matrix.trace", report_path, str(script), *args],
                          timeout=timeout, cwd=root, env=run_env)
        report = None
        if os.path.exists(report_path):
            with open(report_path, encoding="utf-8") as handle:
                report = json.load(handle)
    curve = parse_losses(raw["lines"])
    cell = classify(raw, report)
    cell.update({
        "mode": mode,
        "steps": steps or (curve[-1][1] + 1 if curve else 0),
        "seed": seed,
        "losses": [[step, loss] for _, step, loss in curve],
        "first_loss": curve[0][2] if curve else None,
        "last_loss": curve[-1][2] if curve else None,
        "seconds_per_step": seconds_per_step(curve),
        "wall_seconds": round(raw["wall_seconds"], 3),
        "stderr_tail": (raw.get("stderr") or "")[-2000:] if cell["status"] in FAILING else None,
    })
    if cell["stderr_tail"] is None:
        del cell["stderr_tail"]
    return cell


# ------------------------------------------------------------------------------- expected failures
def load_expected(path: str | os.PathLike = EXPECTED_FILE) -> list:
    """The ``[[fail]]`` entries of matrix/expected.toml (an empty list when there is no file)."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        import tomllib  # Python 3.11+
    except ImportError:  # pragma: no cover - nox depends on tomli on older Pythons
        import tomli as tomllib  # type: ignore[no-redef]
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    entries = data.get("fail", [])
    for entry in entries:
        if "reason" not in entry or not str(entry["reason"]).strip():
            raise ValueError(f"{path}: every [[fail]] entry needs a reason: {entry}")
    return entries


def expectation(entries: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> tuple:
    """("fail", reason) if an entry matches the cell's ``facts``, else ("pass", None).

    An entry matches when each key it gives matches: ``era``, ``example``, ``device`` (a string or a
    list of strings), ``torch_pin`` (exact, e.g. "installed"), and ``torch``, ``python``, ``numpy``,
    ``tensorflow`` (PEP 440 specifier sets on the installed versions, local suffixes aside).
    """
    return _expectation_of(matching_entry(entries, facts))


def _expectation_of(entry: Mapping[str, Any] | None) -> tuple:
    return ("fail", str(entry["reason"]).strip()) if entry else ("pass", None)


def matching_entry(entries: Sequence[Mapping[str, Any]], facts: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first ``[[fail]]`` entry matching ``facts`` (see :func:`expectation`), or None."""
    for entry in entries:
        ok = True
        for key, want in entry.items():
            if key in ("reason", "error", "change"):  # what the entry says, not what it matches
                continue
            have = facts.get(key)
            if key in ("torch", "python", "numpy", "tensorflow"):
                ok = have is not None and environment.in_spec(str(have), str(want))
            elif isinstance(want, list):
                ok = have in want
            else:
                ok = have == want
            if not ok:
                break
        if ok:
            return entry
    return None


def apply_expectation(cell: dict, expected: str, why: str | None, error: str | None = None) -> dict:
    """Mark ``cell`` with its expectation; ``error``: the start of the reason an expected failure must
    have (``"IndexError: invalid index of a 0-dim tensor"``). Failing otherwise is a new failure."""
    cell["expected"] = expected
    if expected == "fail":
        if cell["status"] in PASSING:
            cell["reason"] = f"XPASS: listed in matrix/expected.toml as failing ({why}) but it passed" + (
                f"; {cell['reason']}" if cell.get("reason") else "")
        elif cell["status"] in FAILING and error and not str(cell.get("reason")).startswith(error):
            cell["unexpected_error"] = error
            cell["reason"] = f"failed, but not with the {error!r} that matrix/expected.toml expects: {cell.get('reason')}"
        elif cell["status"] in FAILING:
            cell["reason"] = f"expected failure ({why}): {cell.get('reason')}"
    return cell


def verdict(cells: Sequence[Mapping[str, Any]]) -> tuple:
    """(unexpected failures, XPASSes): the cells that fail a session, and those that only get reported."""
    unexpected = [c for c in cells if c.get("status") in FAILING
                  and (c.get("expected", "pass") == "pass" or c.get("unexpected_error"))]
    xpass = [c for c in cells if c.get("expected") == "fail" and c.get("status") in PASSING]
    return unexpected, xpass


# ------------------------------------------------------------------------------------- a session
#: The name of this nox invocation (its start time), written into every record it makes (noxfile.py
#: sets it once); records without one are told apart by date and machine.
RUN_ID: str | None = None


def parse_options(posargs: Sequence[str], env: Mapping[str, str] | None = None) -> argparse.Namespace:
    """Session options after ``--`` (see :func:`matrix.options.parse`)."""
    return options.parse(posargs, env)


def _log(session: Any, message: str) -> None:
    if session is not None:
        session.log(message)
    else:
        print(message)


def run_session(session: Any, *, era: str, torch_pin: str, python_version: str | None, numpy: str,
                tensorflow: str | None, device: str, installed: bool = False, skip_reason: str | None = None) -> dict:
    """The body of every era session: check/install the pin, run the cells, write and print results.

    ``session`` is the nox session (``log``, ``skip``, ``error``, ``bin``, ``posargs``, ``name``,
    ``run_install``). Records "not run" and skips where the cell can't run here; records "failed" and
    errors where the pin could not be installed or is not what is installed; errors (failing the
    session) where a cell expected to pass did not. Bad options: one line, exit status 2, nothing written.
    """
    try:
        opts = parse_options(getattr(session, "posargs", []))
    except options.BadInput as exc:
        print(f"nox: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    out_path = Path(opts.results) / f"{results.slug(era, torch_pin, device)}.json"
    name = getattr(session, "name", None) or results.session_name(era, torch_pin, device)
    git = environment.commit(str(ROOT))
    examples = opts.example or list(EXAMPLES)
    base: dict = {"era": era, "torch_pin": torch_pin, "torch": None, "tensorflow": None,
                  "python": python_version, "device": device, "device_name": None, "seed": opts.seed,
                  "date": results.now(), "commit": git}

    def record_unrun(status: str, reason: str, why: str, info: Mapping[str, Any] | None) -> dict:
        """Write the session's record with every cell not run, ``why`` being each cell's reason."""
        info = dict(info or {"python": python_version})
        cell_base = dict(base, torch=info.get("torch"), tensorflow=info.get("tensorflow"),
                         python=info.get("python"), device_name=info.get("device_name"))
        cells = [results.not_run_cell(cell_base, example, why) for example in examples]
        cells += [results.not_run_cell(cell_base, example, why, mode="as_published") for example in examples
                  if uses_adapting_shims(era, example)]
        record = results.session_record(era=era, torch_pin=torch_pin, device=device, info=info, cells=cells,
                                        status=status, reason=reason, probes=[], session=name, commit=git,
                                        run=RUN_ID)
        results.write_json_atomically(out_path, record)
        WRITTEN.append(out_path)
        return record

    def not_run(reason: str, info: Mapping[str, Any] | None = None) -> dict:
        record = record_unrun("not_run", reason, reason, info)
        _log(session, f"not run: {reason}\nwrote {out_path}")
        print(results.table([record]))
        session.skip(reason)
        return record  # unreachable with nox (skip raises); kept for callers that don't raise

    def failed(reason: str, info: Mapping[str, Any] | None = None) -> None:
        """Record the session as failed (its cells not run, with why), then fail it."""
        record_unrun("failed", reason, f"not run: the session failed before running it ({reason})", info)
        session.error(reason)

    if skip_reason:
        return not_run(skip_reason)
    if device == "cuda":
        reason = environment.no_gpu_reason()
        if reason:
            return not_run(reason)

    tf_reason = None
    python = (os.environ.get("MATRIX_PYTHON") or sys.executable) if installed else os.path.join(session.bin, "python")
    info = environment.describe(python)
    if installed:
        if not info.get("torch"):
            failed(f"MATRIX_USE_INSTALLED=1 but {python} has no torch installed", info)
    elif not environment.satisfied(info, torch_pin, numpy, tensorflow):
        reqs = environment.requirements(torch_pin, numpy, tensorflow)
        # run_install returns None under --no-install (nox -R): then install nothing, check below.
        if session.run_install("python", "-c", "print('install')", silent=True) is not None:
            started = time.monotonic()
            rc, output = environment.install(python, reqs, environment.index_args())
            _log(session, output.strip()[-3000:])
            missing_tf = environment.no_distribution(output, "tensorflow-cpu") if rc != 0 and tensorflow else None
            if missing_tf and not environment.no_distribution(output, "torch"):
                # torch can still run its eight examples; only tf_static_graph is not run, with this reason.
                tf_reason = (f"tensorflow-cpu=={tensorflow} can't be installed for Python {info.get('python')} on "
                             f"{info.get('platform')}: {missing_tf}")
                reqs = environment.requirements(torch_pin, numpy, None)
                rc, output = environment.install(python, reqs, environment.index_args())
                _log(session, output.strip()[-3000:])
            if rc != 0:
                missing = environment.no_distribution(output, "torch")
                if missing:
                    return not_run(f"torch {torch_pin} can't be installed for Python {info.get('python')} on "
                                   f"{info.get('platform')}: {missing}", info)
                failed(f"installing {' '.join(reqs)} failed (exit status {rc}); see the output above", info)
            _log(session, f"installed {' '.join(reqs)} in {time.monotonic() - started:.1f} s")
            info = environment.describe(python)
    else:
        _log(session, f"reusing the environment: torch {info.get('torch')}, numpy {info.get('numpy')}, "
                      f"tensorflow {info.get('tensorflow')} already match the pin")
    if not installed and not environment.version_matches_pin(info.get("torch"), torch_pin):
        failed(f"the installed torch is {info.get('torch')}, not the pinned {torch_pin}: refusing to run "
               f"(a stale reused environment? run without -R, or delete {Path(python).parent.parent})", info)
    if device == "cuda":
        info = environment.describe(python, cuda=True)
        info["device_name"] = info.get("cuda_device_name")
    else:
        info["device_name"] = environment.cpu_name()
    _log(session, f"{name}: Python {info['python']}, torch {info['torch']}, numpy {info['numpy']}, "
                  f"tensorflow {info.get('tensorflow')}, {info['device_name']}")

    entries = load_expected()
    cell_base = dict(base, torch=info.get("torch"), torch_build=info.get("torch_build"), numpy=info.get("numpy"),
                     tensorflow=info.get("tensorflow"), python=info.get("python"), device_name=info.get("device_name"))
    cells = []
    runs = [(example, "variant") for example in examples]
    runs += [(example, "as_published") for example in examples if uses_adapting_shims(era, example)]
    for example, mode in runs:
        facts = dict(cell_base, example=example, mode=mode, numpy=info.get("numpy"))
        entry = matching_entry(entries, facts)
        expected, why = _expectation_of(entry)
        if example == "tf_static_graph" and not info.get("tensorflow"):
            reason = tf_reason or (f"no TensorFlow in this interpreter ({python})" if installed or tensorflow else
                      f"no tensorflow-cpu release is paired with torch {torch_pin} on Python {info.get('python')} "
                      f"(see PINS in noxfile.py)")
            cell = results.not_run_cell(cell_base, example, reason, expected, mode=mode)
        else:
            cell = dict(cell_base, example=example, date=results.now())
            cell.update(run_cell(python, era, example, device=device, seed=opts.seed, steps=opts.steps,
                                 timeout=opts.timeout, mode=mode))
            cell = apply_expectation(cell, expected, why, (entry or {}).get("error"))
        if entry and entry.get("change"):
            cell["change"] = entry["change"]  # the catalog entry that explains this expected failure
        cells.append(cell)
        sps = cell.get("seconds_per_step")
        label = example if mode == "variant" else f"{example} ({mode.replace('_', ' ')})"
        _log(session, f"  {label:30} {cell['status']:22} {cell['wall_seconds']:7.1f} s"
                      + (f"  {sps * 1e3:.3g} ms/step" if sps else "")
                      + (f"  [{cell['reason'][:160]}]" if cell.get("reason") else ""))

    probes, probes_error = run_probes(python, timeout=opts.timeout)
    if probes_error:
        session.warn(f"probes: {probes_error}")
    if opts.example:
        cells = _merge_with_previous(out_path, cells, info, git)
    record = results.session_record(era=era, torch_pin=torch_pin, device=device, info=info, cells=cells,
                                    status="ran", reason=None, probes=probes, session=name, commit=git,
                                    probes_error=probes_error, run=RUN_ID)
    results.write_json_atomically(out_path, record)
    WRITTEN.append(out_path)
    print(results.table([record]))
    _log(session, f"wrote {out_path}")
    unexpected, xpass = verdict(cells)
    for cell in xpass:
        session.warn(f"XPASS {era}/{cell['example']}: {cell['reason']}")
    if unexpected or (opts.strict and xpass):
        bad = [f"{c['example']} ({c['status']}: {str(c.get('reason'))[:200]})" for c in unexpected]
        if opts.strict:
            bad += [f"{c['example']} (XPASS, --strict)" for c in xpass]
        session.error(f"{len(bad)} cell(s) expected to pass did not: " + "; ".join(bad))
    return record


def uses_adapting_shims(era: str, example: str, root: str | os.PathLike = ROOT) -> bool:
    """Whether the variant imports a shim that adapts old code (so it also runs "as published")."""
    script = Path(root) / "variants" / era / f"{example}.py"
    return script.exists() and bool(ADAPTING_SHIMS.search(script.read_text(encoding="utf-8")))


def _merge_with_previous(path: Path, cells: list, info: Mapping[str, Any], commit: str | None) -> list:
    """With ``--example``: keep the previous record's other cells when it was run on the same torch build,
    machine and commit (one file must not mix cells from different code or CPUs)."""
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return cells
    same = (previous.get("status") == "ran" and previous.get("torch") == info.get("torch")
            and previous.get("torch_build") == info.get("torch_build")
            and previous.get("device_name") == info.get("device_name") and previous.get("commit") == commit)
    if not same:
        return cells
    def key(c: Mapping[str, Any]) -> tuple:
        return c.get("example"), c.get("mode", "variant")

    fresh = {key(c): c for c in cells}
    merged = [fresh.pop(key(c), c) for c in previous.get("cells", [])]
    return merged + list(fresh.values())


def run_probes(python: str, timeout: float = 600, module: str = "matrix.probes") -> tuple:
    """Run ``python -m matrix.probes`` in the session's interpreter; returns (records, error or None).

    The probes share one process (importing torch once per probe would cost minutes per session).
    ``matrix.probes`` rewrites its output after each probe, so when that process dies (a segfault in
    one probe, the timeout) the finished probes are kept, the probe that was running is recorded as
    ``crashed`` with the process's last words, and the remaining ones run again in a fresh process.
    """
    env = child_env(os.environ, ROOT)
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    listed = subprocess.run([python, "-m", module, "--list"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if listed.returncode != 0:
        return [], f"python -m {module} --list failed (exit {listed.returncode}): {_last_line(listed.stderr)}"
    pending = [line.strip() for line in listed.stdout.splitlines() if line.strip()]
    records: list = []
    errors: list = []
    with tempfile.TemporaryDirectory(prefix="matrix-probes-") as tmp:
        out = os.path.join(tmp, "probes.json")
        while pending:
            if os.path.exists(out):
                os.unlink(out)
            cmd = [python, "-m", module, "--out", out] + [f"--only={pid}" for pid in pending]
            raw = run_process(cmd, timeout=timeout, cwd=ROOT, env=env)
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
                   f"killed by {signal_name(raw['returncode'])}" if raw["returncode"] < 0 else
                   f"exit status {raw['returncode']}")
            last = _last_line(raw.get("stderr") or "")
            message = how + (f": {last}" if last else "")
            records.append({"id": victim, "outcome": "crashed", "detail": f"the probe process died: {message}",
                            "warnings": [], "error": {"type": "crash", "message": message}, "value": None})
            errors.append(f"probe {victim}: {message}")
    return records, ("; ".join(errors) or None)
