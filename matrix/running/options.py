"""What a user can pass to the matrix, checked before anything runs.

    nox -s modern legacy -- --steps 50 --example nn      # a short run of one example, into runs/results
    MATRIX_STEPS=50 MATRIX_TIMEOUT=120 MATRIX_REPEATS=1 nox -t cpu
    nox -t cpu -- --record                                # the reference: every example, default settings

Bad input is refused with one line and exit status 2 (as argparse does), before a session installs,
runs or writes anything: the environment variables and the session names when the noxfile is
loaded, the options after ``--`` then too when every selected session is a matrix session (else at
the start of each matrix session, still before anything is installed or recorded). So is a records
folder that cannot be created or written (:func:`check_results`).

Where records go (``results.USER_RESULTS_DIR`` unless told): a user's run writes ``runs/results/``
(ignored by git), so that it never changes the reference in ``results/`` nor turns the tests red.
``--record`` (or ``MATRIX_RECORD=1``) writes into ``results/``: the maintainers' deliberate step.
Only a complete run may replace the reference: ``--record`` with ``--example``, ``--steps``,
``--repeats`` or ``--seed`` other than the defaults (or their MATRIX_* variables) is refused, unless
``--record-partial`` says it is meant; the record then names what it lacks (``partial``).
"""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from matrix import ERAS, EXAMPLES
from matrix import launch
from matrix.records import results

DEFAULT_TIMEOUT = 600.0
#: Runs of each cell, same seed, each in its own process: losses that differ make it "nondeterministic".
DEFAULT_REPEATS = 2
#: uv's --index-strategy values (``uv pip install --help``).
INDEX_STRATEGIES = ("first-index", "unsafe-first-match", "unsafe-best-match")
BOOLEAN = ("", "0", "1")


class BadInput(ValueError):
    """A user's option or variable that cannot be used; the message is the one line to print."""


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise BadInput(f"{name}={text!r}: not a whole number") from None
    if value < 1:
        raise BadInput(f"{name}={text!r}: must be at least 1")
    return value


def _positive_float(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"{name}={text!r}: not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise BadInput(f"{name}={text!r}: must be a positive number of seconds")
    return value


def _argument(check, name: str):
    """An argparse ``type=`` that words its refusal as :func:`check` does (``--steps='-5': must be ...``)."""
    def convert(text: str):
        try:
            return check(name, text)
        except BadInput as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None
    return convert


def check_environment(env: Optional[Mapping[str, str]] = None) -> None:
    """Raise :class:`BadInput` for a MATRIX_* or TORCH_INDEX_* variable that is set but unusable."""
    env = os.environ if env is None else env
    if env.get("MATRIX_STEPS"):
        _positive_int("MATRIX_STEPS", env["MATRIX_STEPS"])
    if env.get("MATRIX_TIMEOUT"):
        _positive_float("MATRIX_TIMEOUT", env["MATRIX_TIMEOUT"])
    if env.get("MATRIX_REPEATS"):
        _positive_int("MATRIX_REPEATS", env["MATRIX_REPEATS"])
    for name in ("MATRIX_STRICT", "MATRIX_USE_INSTALLED", "MATRIX_RECORD", "MATRIX_ASSUME_GPU"):
        if env.get(name, "") not in BOOLEAN:
            raise BadInput(f"{name}={env[name]!r}: use 1 (on) or 0 (off)")
    if env.get("MATRIX_LAUNCH") and env["MATRIX_LAUNCH"] not in launch.LAUNCHES:
        raise BadInput(f"MATRIX_LAUNCH={env['MATRIX_LAUNCH']!r}: one of {', '.join(launch.LAUNCHES)}")
    if env.get("MATRIX_JOBS"):
        _positive_int("MATRIX_JOBS", env["MATRIX_JOBS"])
    python = env.get("MATRIX_PYTHON")
    if python and not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise BadInput(f"MATRIX_PYTHON={python!r}: no executable file there")
    strategy = env.get("TORCH_INDEX_STRATEGY")
    if strategy and strategy not in INDEX_STRATEGIES:
        raise BadInput(f"TORCH_INDEX_STRATEGY={strategy!r}: one of {', '.join(INDEX_STRATEGIES)}")
    url = env.get("TORCH_INDEX_URL", "").strip()
    if url and not (url.startswith(("http://", "https://", "file://")) or os.path.isdir(url)):
        raise BadInput(f"TORCH_INDEX_URL={url!r}: not a URL (https://...) nor a folder")
    if env.get("MATRIX_RESULTS") and env.get("MATRIX_RECORD") == "1":
        raise BadInput("MATRIX_RESULTS and MATRIX_RECORD=1 both say where records go: set one")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInput(message)


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = _Parser(prog="nox -s SESSION --", add_help=False)
    parser.add_argument("--steps", type=_argument(_positive_int, "--steps"),
                        default=int(env["MATRIX_STEPS"]) if env.get("MATRIX_STEPS") else None,
                        help="steps per example (default: each script's tutorial count)")
    parser.add_argument("--timeout", type=_argument(_positive_float, "--timeout"),
                        default=float(env.get("MATRIX_TIMEOUT") or DEFAULT_TIMEOUT))
    parser.add_argument("--repeats", type=_argument(_positive_int, "--repeats"),
                        default=int(env["MATRIX_REPEATS"]) if env.get("MATRIX_REPEATS") else DEFAULT_REPEATS,
                        help=f"runs of each cell, same seed, each in its own process (default {DEFAULT_REPEATS}): "
                             "losses that differ between them make the cell nondeterministic; 1 runs it once, "
                             "without that check")
    parser.add_argument("--launch", choices=launch.LAUNCHES, default=env.get("MATRIX_LAUNCH") or launch.default_launch(),
                        help="how each cell's process starts: forked from a warm parent that imported torch "
                             "(and TensorFlow) once, or spawned as a fresh interpreter (matrix/launch.py)")
    parser.add_argument("--jobs", type=_argument(_positive_int, "--jobs"),
                        default=int(env["MATRIX_JOBS"]) if env.get("MATRIX_JOBS") else launch.default_jobs(),
                        help="cells run at once, each still in its own process with one compute thread "
                             f"(default: the CPUs this process may use, at most {launch.MAX_DEFAULT_JOBS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--example", action="append", choices=EXAMPLES, help="run only these (repeatable)")
    parser.add_argument("--strict", action="store_true", default=env.get("MATRIX_STRICT") == "1",
                        help="an XPASS fails the session")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--results", type=Path, default=None,
                       help=f"folder for the records (default {results.USER_RESULTS_DIR.relative_to(results.ROOT)})")
    where.add_argument("--record", action="store_true", default=env.get("MATRIX_RECORD") == "1",
                       help="write into results/, the reference (maintainers): a complete run only")
    where.add_argument("--record-partial", action="store_true",
                       help="--record, though --example, --steps, --repeats or --seed make the run partial: "
                            "the record says so")
    return parser


def partial_of(opts: argparse.Namespace) -> Dict[str, Any]:
    """How the options depart from a complete run (the reference's): ``examples`` run (when not all),
    ``steps`` (when not each script's own), ``repeats`` and ``seed`` (when not the defaults); empty
    for a complete run. A record made with such options says so (its ``partial``)."""
    partial: Dict[str, Any] = {}
    if opts.example and sorted(set(opts.example)) != sorted(EXAMPLES):
        partial["examples"] = list(dict.fromkeys(opts.example))
    if opts.steps is not None:
        partial["steps"] = opts.steps
    if opts.repeats != DEFAULT_REPEATS:
        partial["repeats"] = opts.repeats
    if opts.seed != 0:
        partial["seed"] = opts.seed
    return partial


def _partial_words(partial: Mapping[str, Any]) -> str:
    words = {"examples": lambda v: "--example " + " --example ".join(v), "steps": lambda v: f"--steps {v}",
             "repeats": lambda v: f"--repeats {v}", "seed": lambda v: f"--seed {v}"}
    return ", ".join(words[k](v) for k, v in partial.items())


def parse(posargs: Sequence[str], env: Optional[Mapping[str, str]] = None) -> argparse.Namespace:
    """The session options after ``--`` (the environment gives the defaults); :class:`BadInput` if bad.

    ``results`` in the answer is always the folder to write: ``--results``, else ``MATRIX_RESULTS``,
    else ``results/`` with ``--record``, else ``runs/results/``. ``partial``: :func:`partial_of`;
    ``--record`` with a partial run is refused unless ``--record-partial`` (which implies ``--record``).
    """
    env = os.environ if env is None else env
    check_environment(env)
    opts = _parser(env).parse_args(list(posargs))
    if opts.example:  # `--example nn --example nn` is one cell, run and recorded once
        opts.example = list(dict.fromkeys(opts.example))
    if opts.results is not None and env.get("MATRIX_RECORD") == "1":
        raise BadInput("--results and MATRIX_RECORD=1 both say where records go: use one")
    opts.partial = partial_of(opts)
    if opts.record and opts.partial and not opts.record_partial:
        set_by = [name for name in ("MATRIX_STEPS", "MATRIX_REPEATS") if env.get(name)]
        raise BadInput(f"--record writes the reference, which only a complete run may replace; this run is partial "
                       f"({_partial_words(opts.partial)}): drop that" + (f" (and unset {' and '.join(set_by)})"
                                                                         if set_by else "")
                       + ", or use --record-partial to record it anyway, marked partial")
    opts.record = opts.record or opts.record_partial
    # what named the folder, for a refusal: "--results DIR", "MATRIX_RESULTS=DIR", ...
    opts.results_from = "--results"
    if opts.results is None:
        if opts.record:
            opts.results, opts.results_from = results.RESULTS_DIR, "--record: the reference"
        elif env.get("MATRIX_RESULTS"):
            opts.results, opts.results_from = Path(env["MATRIX_RESULTS"]), "MATRIX_RESULTS="
        else:
            opts.results, opts.results_from = results.USER_RESULTS_DIR, "the records folder"
    if opts.results.exists() and not opts.results.is_dir():
        raise BadInput(f"{_named(opts)}: not a folder")
    return opts


def _named(opts: argparse.Namespace) -> str:
    where = opts.results_from
    return f"{where}{opts.results}" if where.endswith("=") else f"{where} {opts.results}"


def check_results(opts: argparse.Namespace) -> None:
    """Refuse (:class:`BadInput`) a records folder that cannot be created or written, before a session
    installs or runs anything (found after the cells ran, it cost every result). Creates the folder,
    and with ``--record`` the one the cells are kept in until the record is complete."""
    problem = results.unwritable(opts.results)
    if problem:
        raise BadInput(f"{_named(opts)}: cannot write records there: {problem}; create it, make it writable, "
                       f"or choose another folder")
    recording = results.progress_folder(opts.results)  # --record: the cells go there as they finish
    problem = recording != opts.results and results.unwritable(recording)
    if problem:
        raise BadInput(f"{_named(opts)}: cannot write {recording}, where the cells are kept until the record is "
                       f"complete: {problem}; create it or make it writable")


def matrix_session_names(pins: Iterable[str], devices: Iterable[str],
                         eras_of: Optional[Mapping[str, Sequence[str]]] = None) -> List[str]:
    """Every matrix session's name; ``eras_of`` maps a pin to the eras it is run for (default: all)."""
    pins = list(pins)
    return [results.session_name(era, pin, device) for era in ERAS for pin in pins
            if era in (eras_of or {}).get(pin, ERAS) for device in devices]


def selection(argv: Sequence[str]) -> Tuple[List[str], List[str], bool]:
    """(session names, tags, whether -k/-l/--json/--usage is there) on nox's command line ``argv``."""
    argv = list(argv)
    posargs_at = argv.index("--") if "--" in argv else len(argv)
    names: List[str] = []
    tags: List[str] = []
    other = False
    i = 0
    while i < posargs_at:
        arg = argv[i]
        if arg in ("-s", "--session", "--sessions", "-e"):
            i += 1
            while i < posargs_at and not argv[i].startswith("-"):
                names.append(argv[i])
                i += 1
            continue
        if arg.startswith(("--session=", "--sessions=")):
            names += arg.split("=", 1)[1].split(",")
        elif arg in ("-t", "--tags"):
            i += 1
            while i < posargs_at and not argv[i].startswith("-"):
                tags.append(argv[i])
                i += 1
            continue
        elif arg.startswith("--tags="):
            tags += arg.split("=", 1)[1].split(",")
        elif arg in ("-k", "--keywords", "-l", "--list", "--json", "--usage") or arg.startswith("--keywords="):
            other = True
        i += 1
    return names, tags, other


#: ``nox -s report`` compares runs/results with results/ into runs/docs: nothing to choose after ``--``.
REPORT_TAKES_NOTHING = ("nox -s report takes no options after `--` (got {got}); for other folders: "
                        "python -m matrix.records.compare MINE REFERENCE --out FILE")


def check_report(argv: Sequence[str]) -> None:
    """Refuse (:class:`BadInput`) options after ``--`` when ``report`` is named on nox's command line,
    before any session builds anything (the session refuses them first thing too)."""
    names, _tags, _other = selection(argv)
    posargs = posargs_of(argv)
    if posargs and "report" in names:
        raise BadInput(REPORT_TAKES_NOTHING.format(got=" ".join(posargs)))


def check_selection(argv: Sequence[str], known: Iterable[str], pins: Iterable[str], devices: Iterable[str],
                    default: Sequence[str]) -> bool:
    """Refuse (:class:`BadInput`) a matrix session name that does not exist, naming the pins and devices.

    ``argv``: nox's command line; ``known``: every session name. Returns whether every selected
    session is a matrix session (then the options after ``--`` can be checked now, before any runs).
    Only what can be told from the command line is checked; nox itself refuses other unknown names.
    """
    names, tags, other = selection(argv)
    known = set(known)
    pins, devices = list(pins), list(devices)
    for name in names:
        base = name.split("(", 1)[0].split("-", 1)[0]
        if base in ERAS and "(" in name and name not in known:
            pin = next((p for p in pins if f"torch='{p}'" in name), None)
            eras = sorted({n.split("(", 1)[0] for n in known if pin and f"torch='{pin}'" in n}, key=ERAS.index)
            if pin and eras and base not in eras:
                raise BadInput(f"no session {name!r}: torch {pin} is a pin of the {' and '.join(eras)} "
                               f"era(s) only (nox -l lists every session)")
            raise BadInput(f"no session {name!r}: the matrix has torch pins {', '.join(pins)} and devices "
                           f"{', '.join(devices)} (nox -l lists every session)")
    if other:
        return False
    selected = names or ([] if tags else list(default))
    matrix_tags = {"matrix", "cpu", "cuda", *ERAS, *(f"torch{p}" for p in pins)}
    return bool(selected or tags) and all(n.split("(", 1)[0] in ERAS for n in selected) and \
        all(t in matrix_tags for t in tags)


def posargs_of(argv: Sequence[str]) -> List[str]:
    """What follows ``--`` on nox's command line."""
    argv = list(argv)
    return argv[argv.index("--") + 1:] if "--" in argv else []
