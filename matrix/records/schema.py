"""The shape of what the matrix records, each key named and explained once.

A results file (``results/<era>-torch<pin>-<device>.json``, or ``runs/results/`` for a user's run) is
one :class:`SessionRecord`; its ``cells`` are :class:`CellRecord` and its ``probes`` are
:class:`ProbeRecord`. Records stay plain dicts (JSON in, JSON out): these ``TypedDict`` only name and
document their keys, for readers and type checkers. A key in a ``total=False`` class may be absent
from a record; every other key is always written (its value may be ``null``).

``typing.TypedDict`` needs Python 3.8+: only the nox side imports this module. Code that runs inside a
matrix cell (:mod:`matrix.running.trace`, :mod:`matrix.probes`) names these types under ``TYPE_CHECKING`` only.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict


class Problem(TypedDict):
    """An exception: a cell's script raised it (from the trace report), or a probe's old form did."""

    type: str  #: the exception's class name ("IndexError"; "crash" for a probe whose process died)
    message: str  #: ``str(exception)``, exactly as users see it


class ProbeWarning(TypedDict):
    """A warning, once per distinct (category, message)."""

    category: str  #: the warning's class name ("UserWarning", "FutureWarning", ...)
    message: str  #: its text, exactly as users see it


class CellWarning(ProbeWarning):
    """A warning a cell's script showed (through :mod:`matrix.running.trace`'s hook: once per location)."""

    filename: str  #: the file the warning points at
    lineno: int  #: and the line


class CellImportWarning(CellWarning):
    """A warning shown while a module was being imported (:mod:`matrix.running.trace`): the libraries' own."""

    #: the outermost module whose import was in progress ("tensorflow" for one raised inside
    #: ``import tensorflow``), or null when only a C extension's import was on the stack
    module: Optional[str]


class Outcome(TypedDict):
    """How one cell's process ended (:func:`matrix.running.cell.classify`); the statuses are in ``matrix.STATUSES``."""

    #: "passed", "passed_with_warnings", "failed", "crashed", "diverged" (a nan or inf loss),
    #: "nondeterministic" (another run with the same seed printed other losses, or ended otherwise) or
    #: "not_run"; only the first two count as passed
    status: str
    #: why, unless it passed: the exception, the exit status, the signal, the first warning, the first
    #: non-finite loss, the first loss that differs between runs, why it did not run; prefixed
    #: "expected failure (...)" or "XPASS: ..." by matrix/expected.toml; null if passed
    reason: Optional[str]
    #: every warning the script's own code caused (those shown at an import are ``import_warnings``)
    warnings: List[CellWarning]
    error: Optional[Problem]  #: the exception that ended the script, or null
    returncode: Optional[int]  #: the process's exit status (negative: killed by that signal); null if not run
    signal: Optional[str]  #: the signal that killed it ("SIGSEGV"; "SIGKILL" at the timeout), or null


class _CellRunOptional(TypedDict, total=False):
    #: the last 2000 characters of stderr, for a cell whose (first) run failed or crashed only
    stderr_tail: str
    #: the wall times of the runs after the first (``--repeats``: each in its own process, same seed;
    #: ``wall_seconds`` and ``seconds_per_step`` are the first run's): empty when it ran once (``--repeats
    #: 1``, or not run again: not run, or killed at the timeout). Absent from records made before runs
    #: were repeated, and from cells not run
    repeat_wall_seconds: List[float]
    #: the warnings shown while a module was being imported (the libraries' own, e.g. at ``import
    #: tensorflow``): kept, but they never make a cell "passed_with_warnings". Absent from records made
    #: before they were told apart (then any such warning is in ``warnings``) and from cells not run
    import_warnings: List[CellImportWarning]
    #: how the first run's process started (:mod:`matrix.launch`): "fork" (forked from a warm parent
    #: that had imported the script's libraries) or "spawn" (a fresh interpreter). Absent from records
    #: made before cells could be forked: they were spawned
    launch: str
    #: the first run's seconds from its launch to its first loss line (interpreter start, imports,
    #: setup, the steps before it); null without a loss line. Absent as ``launch``
    startup_seconds: Optional[float]
    #: the first run's seconds from its first to its last loss line (its training steps); null
    #: without a loss line. Absent as ``launch``
    training_seconds: Optional[float]
    repeat_startup_seconds: List[Optional[float]]  #: the same for each later run (``--repeats``)
    repeat_training_seconds: List[Optional[float]]  #: the same for each later run


class CellRun(Outcome, _CellRunOptional):
    """What running one example measured (:func:`matrix.running.cell.run_cell`): its outcome and loss curve,
    from its first run (the later ones only checked against it: "nondeterministic" if they differ)."""

    #: "variant" (the script in variants/), or "as_published" (a legacy script with matrix/as_published
    #: in place of shims/: the 2017 code itself)
    mode: str
    steps: int  #: the --steps asked for, else the steps it printed (last step + 1); 0 if not run
    seed: int  #: the --seed the script ran with
    #: ``[step, loss]`` for every ``step loss`` line its first run printed, in order (nan and inf as
    #: JSON's NaN and Infinity); the other runs' are not kept: the same, or the reason says where they part
    losses: List[List[float]]
    first_loss: Optional[float]  #: the first loss printed, or null
    last_loss: Optional[float]  #: the last loss printed, or null
    #: seconds between the first and the last loss line per step between them (import and setup
    #: excluded); null with fewer than two loss lines
    seconds_per_step: Optional[float]
    wall_seconds: float  #: the whole process, start to exit (0.0 if not run)


class _CellOptional(TypedDict, total=False):
    #: as in the session record; absent from the cells of a session that stopped before the pin was
    #: described (not run, failed)
    torch_build: Optional[str]
    numpy: Optional[str]  #: as in the session record; absent where ``torch_build`` is
    #: the id of the matrix/catalog.toml entry that explains this cell's expected failure
    change: str
    #: an expected failure that failed otherwise: how matrix/expected.toml says it must fail (its
    #: ``error``, else "status failed or crashed" for a cell that diverged or was nondeterministic
    #: instead); the cell then fails its session
    unexpected_error: str
    #: the run (as the session record's) that made a cell kept from an earlier record of the session
    #: when ``--example`` reran others; absent from cells the record's own run made
    run: Optional[str]


class CellRecord(CellRun, _CellOptional):
    """One example run once in one session: the facts it ran under, then what happened."""

    era: str  #: "legacy", "tensor_autograd" or "modern" (``matrix.ERAS``): the folder of variants/
    example: str  #: the script's name in variants/<era>/ (``matrix.EXAMPLES``)
    torch_pin: str  #: the release pinned in matrix/facts/pins.py ("2.4.1"), or "installed" (MATRIX_USE_INSTALLED)
    #: the installed torch's version (the distribution's: no build suffix); null if none was found
    torch: Optional[str]
    tensorflow: Optional[str]  #: the installed TensorFlow's version, or null (none installed)
    #: the interpreter's Python version ("3.11.7"); the pin's ("3.9") when its interpreter was not found
    python: Optional[str]
    device: str  #: "cpu" or "cuda"
    #: the CPU's model name followed by " (CPU)", or the GPU's name; null when not looked at
    device_name: Optional[str]
    #: when the cell started (UTC, ``2026-11-29T10:00:00Z``); a cell that did not run: when the session did
    date: str
    commit: Optional[str]  #: the project's git commit (short hash) the session ran, or null outside git
    #: "pass", or "fail" when matrix/expected.toml lists the cell (then failing does not fail the session)
    expected: str


class ProbeRecord(TypedDict):
    """What the old form of one catalog change does on this torch (:mod:`matrix.probes`)."""

    id: str  #: the probe's function name, kept for the reference: matrix.probes.probe_name(<id>) ("_import": none ran)
    #: "works", "warns", "errors", "differs" (another answer than the old form gave), "not_run" (can't be
    #: tried here), or "crashed" (the probes process died running it: matrix/running/session.py)
    outcome: str
    detail: str  #: one line for people: what it did, or why it was not run
    warnings: List[ProbeWarning]  #: the warnings it caused, once each
    error: Optional[Problem]  #: what it raised, or null
    value: Any  #: plain data the docs compare across pins (digests of float bits, gradients...), or null


class Interpreter(TypedDict, total=False):
    """A session's interpreter (:data:`matrix.running.environment.DESCRIBE`); python, platform, torch,
    torch_build, torch_cuda, numpy, tensorflow and device_name mean what they do in a session record."""

    python: str
    executable: str  #: sys.executable
    platform: str
    torch: Optional[str]
    torch_build: Optional[str]
    torch_cuda: Optional[str]
    numpy: Optional[str]
    tensorflow: Optional[str]
    cuda_device_name: Optional[str]  #: ``torch.cuda.get_device_name(0)`` (``describe(cuda=True)`` only)
    cuda_error: str  #: why torch could not name the GPU (only then)
    device_name: Optional[str]  #: set by the session: the CPU's or the GPU's name


class _SessionOptional(TypedDict, total=False):
    #: the nox invocation that wrote it (its start time, as ``date``), so that the records of several
    #: runs in one folder are told apart; null outside nox; absent from records made before runs were named
    run: Optional[str]
    #: how the session ran its cells and what it cost (absent from records made before): ``launch``
    #: and ``jobs`` (the options), ``launch_fallbacks`` (why cells were spawned though "fork" was
    #: asked: a warm parent that could not start), ``warm_parents`` (each one started: the libraries it
    #: imported and its seconds until ready), ``probes_from`` (the session of this nox run whose probes
    #: these are: same torch build, NumPy, TensorFlow, Python; absent when this one ran them), ``cells_seconds``, ``probes_seconds`` and ``seconds``
    #: (the cells and probes together: they overlap with ``jobs`` above 1)
    timings: Dict[str, Any]
    #: how the run that wrote it departed from a complete run (the reference's): ``examples`` (the only
    #: ones it ran; ``--example``), ``steps``, ``repeats``, ``seed`` (when not the defaults). Absent from
    #: a complete run; in results/ only by ``--record-partial``
    partial: Dict[str, Any]


class SessionRecord(_SessionOptional):
    """One nox matrix session (era x torch pin x device): one results file."""

    schema: int  #: the record format (``matrix.records.results.SCHEMA``); another is no record here: readers say so
    session: str  #: the nox session's name: ``modern(torch='2.4.1', device='cpu')``
    era: str  #: as in a cell
    torch_pin: str  #: as in a cell
    device: str  #: as in a cell
    python: Optional[str]  #: as in a cell
    torch: Optional[str]  #: as in a cell
    #: the installed torch's version with its build suffix (torch/version.py: "2.4.1+cu121"), or null
    torch_build: Optional[str]
    torch_cuda: Optional[str]  #: the CUDA version torch was built for, or null (a CPU-only build)
    numpy: Optional[str]  #: the installed NumPy's version, or null
    tensorflow: Optional[str]  #: as in a cell
    device_name: Optional[str]  #: as in a cell
    platform: Optional[str]  #: ``platform.platform()`` in the session's interpreter, or null
    date: str  #: when the record was written (UTC, ``2026-11-29T10:00:00Z``)
    commit: Optional[str]  #: as in a cell
    #: "ran"; "not_run" (no interpreter for the pin, no GPU, no wheel: every cell not run, with why);
    #: "failed" (the pin could not be installed or is not what is installed: every cell not run)
    #: "interrupted" (stopped, or still running, before every cell had a result: the cells that did)
    status: str
    reason: Optional[str]  #: why not run, failed or interrupted; null when it ran
    cells: List[CellRecord]  #: every cell, variants first, then the "as published" runs
    probes: List[ProbeRecord]  #: the probes, in their order (empty when the session did not run)
    probes_error: Optional[str]  #: what went wrong running the probes (a probe process that died), or null
