"""The version matrix: every era of the tutorial against pinned torch releases, on each device.

    nox                                      # the whole matrix: 3 eras x every pin x cpu/cuda
    nox -s modern legacy                     # two eras
    nox -t cpu                               # the CPU half (all eras, all pins)
    nox -s "modern(torch='2.4.1', device='cpu')" -- --steps 50
    nox -s tests                             # the test suite
    nox -s summary                           # what needs attention, counts and table of your runs
    nox -s report                            # your runs as docs (runs/docs), and where they differ from results/
    nox -s bench                             # what a step costs: shims, pins, sizes (runs/bench/performance.json)

Each matrix session installs one pin into its own uv virtualenv (reused on the next run when it
already holds the pin), checks the installed torch against the pin, runs the nine examples of its
era each in its own process (and once more "as published", without the shims, where a script uses
one: matrix/as_published), runs the catalog's probes, and writes runs/results/<era>-torch<pin>-<device>.json
(ignored by git). ``-- --record`` writes results/ instead: the reference, recorded on purpose, that
docs/ is generated from (``nox -s docs``); a complete run only (``--record-partial``: a partial one,
marked so). The work is in matrix/; this file only declares the matrix.

A pin's Python is looked for where machines keep one (PATH, pyenv's versions, uv's, the system's:
matrix/running/interpreters.py) and used only if it runs; without one the pin's cells are recorded as not
run, with how to get it. Options (environment variables, checked before anything runs):

    TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu   torch from another index (CPU-only wheels)
    MATRIX_USE_INSTALLED=1    run against the torch already installed in nox's own interpreter
                              (or MATRIX_PYTHON=/path/to/python): sessions become
                              <era>(torch='installed', device=...), with no virtualenv
    MATRIX_STEPS, MATRIX_TIMEOUT, MATRIX_REPEATS, MATRIX_LAUNCH, MATRIX_JOBS, MATRIX_STRICT=1, MATRIX_RECORD=1,
    MATRIX_RESULTS=DIR
                              defaults of the session options after `--` (matrix/running/options.py)
"""
from __future__ import annotations

import os
import sys

import nox

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from matrix import ERAS  # noqa: E402
from matrix.running import environment, interpreters, options  # noqa: E402
from matrix.records import results  # noqa: E402
from matrix.facts.pins import DEVICES, PINS, newest, pin_of  # noqa: E402  (the pins and why each: matrix/facts/pins.py)
from matrix.running.run import Run  # noqa: E402
from matrix.running import session as matrix_session  # noqa: E402  (the sessions below take the name `session`)


def _refuse(message: str) -> None:
    """Bad input: one line, exit status 2, before any session has run (argparse's convention)."""
    print(f"nox: error: {message}", file=sys.stderr)
    raise SystemExit(2)


try:
    options.check_environment()
except options.BadInput as exc:
    _refuse(str(exc))

if not hasattr(getattr(nox, "project", None), "dependency_groups"):  # read below; pyproject.toml's group ci
    _refuse("this noxfile needs a newer nox (nox.project.dependency_groups): pip install --upgrade nox")
nox.options.default_venv_backend = "uv"
nox.options.reuse_venv = "yes"  # a venv that already holds its pin installs nothing (matrix/running/session.py checks)
# A matrix session whose Python is missing never asks nox for it: it gets python=False and records its
# cells as "not run" with the reason (see _python_or_false). So a missing interpreter can only be the
# tests' or docs' Python, and that must fail, not skip with exit 0 (nox's default off CI).
nox.options.error_on_missing_interpreters = True
# Plain `nox`: the whole matrix (every era, pin and device). The tests, docs and reports are asked for by name.
nox.options.sessions = list(ERAS)


# What the docs, report and tests sessions install besides torch: pyproject.toml's dependency groups
# (the one list of them; the docs group pins the matplotlib that draws docs/img, whose PNG bytes the
# tests compare only under that version).
PYPROJECT = nox.project.load_toml(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyproject.toml"))
DOCS_REQUIREMENTS = nox.project.dependency_groups(PYPROJECT, "docs")
TEST_REQUIREMENTS = nox.project.dependency_groups(PYPROJECT, "test")
CI_REQUIREMENTS = nox.project.dependency_groups(PYPROJECT, "ci")
UPGRADE_REQUIREMENTS = nox.project.dependency_groups(PYPROJECT, "upgrade")
MATPLOTLIB = next(r for r in DOCS_REQUIREMENTS if r.startswith("matplotlib"))

INSTALLED = os.environ.get("MATRIX_USE_INSTALLED", "") not in ("", "0")
#: Each Python the pins need, found only if it runs (a pyenv shim that exits 127 is no interpreter).
_PYTHONS = {version: interpreters.find_python(version) for version in sorted({pin.python for pin in PINS})}
#: This nox invocation: its id (its start time) goes into every record it writes; the records written,
#: the sessions that failed and the probes run are kept on it, and it prints the summary when nox exits.
RUN = Run(results.now())


def _python_or_false(version: str):
    """The session's interpreter (an absolute path that was seen to run), or False (no virtualenv) so
    that the session runs and records its cells as not run, with the remedy."""
    return _PYTHONS[version].found or False


def _python_for(version: str) -> str:
    """The tests' and docs' interpreter: the one found, else the bare version, which nox then fails on."""
    return _PYTHONS[version].found if version in _PYTHONS and _PYTHONS[version].found else version


def _check_command_line() -> None:
    """Under nox: refuse an unknown matrix session, and bad options after `--` when only matrix sessions
    run (else each matrix session checks them first). Imported by anything else (tests): nothing."""
    if "nox" not in sys.modules or os.path.basename(sys.argv[0]) not in ("nox", "__main__.py"):
        return
    pins = ["installed"] if INSTALLED else [pin.torch for pin in PINS]
    known = options.matrix_session_names(pins, DEVICES, {pin.torch: pin.eras for pin in PINS})
    try:
        options.check_report(sys.argv[1:])
        only_matrix = options.check_selection(sys.argv[1:], known, pins, DEVICES, nox.options.sessions or [])
        if only_matrix:  # and the records folder writable, before nox makes any virtualenv
            options.check_results(options.parse(options.posargs_of(sys.argv[1:])))
    except options.BadInput as exc:
        _refuse(str(exc))


def _params(era: str) -> list:
    if INSTALLED:
        return [nox.param(False, "installed", device, id=f"torch='installed', device='{device}'", tags=[device])
                for device in DEVICES]
    return [nox.param(_python_or_false(pin.python), pin.torch, device, id=f"torch='{pin.torch}', device='{device}'",
                      tags=[device, f"torch{pin.torch}"])
            for pin in PINS if era in pin.eras for device in DEVICES]


def _run(session: nox.Session, era: str, torch: str, device: str) -> None:
    RUN.summarize_at_exit()  # nox has no hook after its last session
    try:
        if torch == "installed":
            matrix_session.run_session(session, era=era, torch_pin=torch, python_version=None, numpy="numpy",
                                       tensorflow=None, device=device, installed=True, run=RUN)
            return
        pin = pin_of(torch)
        search = _PYTHONS[pin.python]
        missing = None if search.found else search.remedy(f"torch {pin.torch} is run on Python {pin.python} here")
        matrix_session.run_session(session, era=era, torch_pin=pin.torch, python_version=pin.python,
                                   numpy=pin.numpy, tensorflow=pin.tensorflow, device=device, skip_reason=missing,
                                   run=RUN)
    except SystemExit:  # bad options: refused before anything was recorded; no summary to print
        RUN.forget_summary()
        raise
    except BaseException as exc:
        RUN.failed(session.name, exc)  # unless it skipped: a skip is a not-run record, not a failure
        raise


@nox.session(tags=["legacy", "matrix"])
@nox.parametrize("python,torch,device", _params("legacy"))
def legacy(session: nox.Session, torch: str, device: str) -> None:
    """The 2017 tutorial (torch 0.1-0.3 idioms: Variable, .data[0], TF1 Session) through shims/, and as published."""
    _run(session, "legacy", torch, device)


@nox.session(tags=["tensor_autograd", "matrix"])
@nox.parametrize("python,torch,device", _params("tensor_autograd"))
def tensor_autograd(session: nox.Session, torch: str, device: str) -> None:
    """The 2019 tutorial (torch 0.4-1.x: requires_grad, .item(), no_grad, static Function)."""
    _run(session, "tensor_autograd", torch, device)


@nox.session(tags=["modern", "matrix"])
@nox.parametrize("python,torch,device", _params("modern"))
def modern(session: nox.Session, torch: str, device: str) -> None:
    """The current tutorial (torch 1.7+/2.x: sin(x) polynomial, Legendre Function, RMSprop)."""
    _run(session, "modern", torch, device)


@nox.session(python=False, tags=["report"])
def summary(session: nox.Session) -> None:
    """What needs attention, the counts and the table of your runs (runs/results; `-- results` for the reference)."""
    session.run(sys.executable, "-m", "matrix.records.results", *session.posargs, external=True)


@nox.session(python=_python_for(newest().python), tags=["report"])
def docs(session: nox.Session) -> None:
    """Regenerate the reference docs/ from results/ and the catalog (python docs/generate.py; maintainers)."""
    session.env["UV_COMPILE_BYTECODE"] = "1"
    session.install(*DOCS_REQUIREMENTS)
    session.run("python", "docs/generate.py", *session.posargs, env={"PYTHONPATH": os.getcwd()})


@nox.session(python=_python_for(newest().python), tags=["report"])
def report(session: nox.Session) -> None:
    """Your runs as docs: runs/results -> runs/docs, with runs/docs/differences.md against the reference."""
    if session.posargs:  # refused before anything is installed or rebuilt
        _refuse(options.REPORT_TAKES_NOTHING.format(got=" ".join(session.posargs)))
    mine = results.USER_RESULTS_DIR
    for folder in (mine, results.RESULTS_DIR):  # a file that is no record: named, never a report without it
        records, unreadable = results.load_all(folder)
        if unreadable:
            session.error("unreadable record(s): " + " | ".join(unreadable))
        if folder == mine and not records:
            session.error(f"no records in {mine}: run the matrix first (nox -s modern legacy)")
    session.env["UV_COMPILE_BYTECODE"] = "1"
    session.install(*DOCS_REQUIREMENTS)
    out = results.RUNS_DIR / "docs"
    env = {"PYTHONPATH": os.getcwd()}
    session.run("python", "docs/generate.py", "--results", str(mine), "--out", str(out), "--repo-link", "../../",
                "--bench", str(results.RUNS_DIR / "bench" / "performance.json"), env=env)
    session.run("python", "-m", "matrix.records.compare", str(mine), str(results.RESULTS_DIR), "--out",
                str(out / "differences.md"), *session.posargs, env=env)


@nox.session(python=_python_for(newest().python), tags=["bench"])
def bench(session: nox.Session) -> None:
    """What things cost: the shims, each pin, the size sweep, env builds, the matrix itself -> runs/docs/performance.md."""
    session.env["UV_COMPILE_BYTECODE"] = "1"
    # docs: what renders the page; ci: nox (the matrix_cost section runs it) and uv (it builds the pins' envs).
    session.install(*DOCS_REQUIREMENTS, *CI_REQUIREMENTS, *UPGRADE_REQUIREMENTS)
    # It writes runs/bench/performance.json and renders runs/docs/performance.md from it (with --record:
    # results/bench/ and docs/, the reference).
    session.run("python", "-m", "matrix.bench", *session.posargs, env={"PYTHONPATH": os.getcwd()})


@nox.session(python=_python_for(newest().python), tags=["tests"])
def tests(session: nox.Session) -> None:
    """The test suite (pytest) with the newest pinned torch, tensorflow-cpu and numpy, and pyproject.toml's test group."""
    pin = newest()
    # Compiled bytecode: otherwise each of the ~100 script runs recompiles torch's sources (minutes).
    session.env["UV_COMPILE_BYTECODE"] = "1"
    session.install(*environment.index_args(), "-e", ".",
                    *environment.requirements(pin.torch, pin.numpy, pin.tensorflow), *TEST_REQUIREMENTS)
    session.run("pytest", *session.posargs, env={"PYTHONPATH": os.getcwd()})


_check_command_line()
