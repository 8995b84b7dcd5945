"""Run probes and record what each did: ``python -m matrix.probes`` (see :mod:`matrix.probes`).

A probe is a function of no argument that tries an old form and returns a dict with any of
``outcome``, ``detail``, ``value``, ``warnings``, ``error``; what it leaves out is filled in here
(:func:`run_probe`): the warnings it caused, ``works`` or ``warns`` by them, an exception it raised
as ``errors``, :class:`NotRun` as ``not_run``. torch is imported once, before any probe
(:func:`import_torch_once`), and the probes get it from :func:`load_torch`.

Runs inside every matrix cell: Python 3.7+, the standard library and torch (numpy, tensorflow) only.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import traceback
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Optional

from matrix.records import jsonio

if TYPE_CHECKING:  # matrix.records.schema needs Python 3.8+ (typing.TypedDict); annotations only
    from matrix.records.schema import ProbeRecord, ProbeWarning

Probe = Callable[[], Dict[str, Any]]
#: catalog id -> the probe that serves that entry, filled by :func:`probe` as :mod:`matrix.probes`
#: imports the families (definition order; :func:`ordered` gives the order they run and are listed).
#: A probe's ``__name__`` is the record's probe name (the record's ``id``, ``--list``, ``--only``),
#: kept for the recorded reference in results/; the catalog id is the change's one name.
PROBES: Dict[str, Probe] = {}
#: The catalog, read as text for its ids' order only (the probes run on Pythons without ``tomllib``).
CATALOG_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "catalog.toml")
#: ``--help``'s description: the first line of :mod:`matrix.probes`' docstring, which sets it (as it
#: fills :data:`PROBES`; this module imports nothing of the package's).
DESCRIPTION = "Run the probes."
#: What ``import torch`` did in this process (:func:`import_torch_once`): the exception it raised
#: (``{"type", "message"}``) or None, and what it printed on stderr.
TORCH_IMPORT: Dict[str, Any] = {"error": None, "stderr": ""}
#: The warnings ``import torch`` issued (``numpy_abi`` reports them).
TORCH_IMPORT_WARNINGS: List[ProbeWarning] = []


def probe(change_id: str) -> Callable[[Probe], Probe]:
    """``@probe("size-average")``: register the function as the probe of catalog entry ``change_id``
    (one probe per id: a second one raises ``ValueError``)."""
    def register(fn: Probe) -> Probe:
        if change_id in PROBES:
            raise ValueError(f"two probes for {change_id!r}: {PROBES[change_id].__name__} and {fn.__name__}")
        PROBES[change_id] = fn
        return fn

    return register


def probe_name(change_id: str) -> str:
    """The record's probe name of catalog entry ``change_id`` (its probe function's ``__name__``: what
    results/ records as a probe record's ``id``); ``KeyError`` for an id without a probe. Needs the
    probes registered: import :mod:`matrix.probes` (which does not import torch)."""
    return PROBES[change_id].__name__


def catalog_ids(path: str = CATALOG_PATH) -> List[str]:
    """The ``[[change]]`` ids of the catalog, in file order (each entry's first line is its ``id``;
    tests/test_catalog.py checks that against :func:`matrix.facts.catalog.load_catalog`)."""
    with open(path, encoding="utf-8") as f:
        return re.findall(r'(?m)^\[\[change\]\]\s*\nid = "([^"]+)"', f.read())


def ordered() -> List[Probe]:
    """The probes in catalog order (then any registered under an id the catalog lacks, in the order
    they were registered): the order they run, are listed (``--list``) and their records are written."""
    order = {change_id: i for i, change_id in enumerate(catalog_ids())}
    ids = sorted(PROBES, key=lambda change_id: order.get(change_id, len(order)))
    return [PROBES[change_id] for change_id in ids]


def select(names: Iterable[str]) -> List[str]:
    """The probe names of ``names``, each a probe name or a catalog id; ``KeyError`` for one that is neither."""
    by_name = {fn.__name__: fn.__name__ for fn in PROBES.values()}
    by_name.update((change_id, fn.__name__) for change_id, fn in PROBES.items())
    return [by_name[n] for n in names]


class NotRun(Exception):
    """Raised by a probe that cannot be tried in this environment; the message is the reason."""


def load_torch() -> Any:
    """The torch module, imported by :func:`import_torch_once`; :class:`NotRun` if that import failed."""
    if TORCH_IMPORT["error"]:
        raise NotRun("import torch failed: {type}: {message}".format(**TORCH_IMPORT["error"]))
    import torch

    return torch


def warning_records(caught) -> List[ProbeWarning]:
    """Caught warnings as ``{"category", "message"}``, each distinct one once, in order."""
    out = []
    seen = set()
    for w in caught:
        key = (w.category.__name__, str(w.message))
        if key in seen:
            continue
        seen.add(key)
        out.append({"category": key[0], "message": key[1]})
    return out


def _classify(result: Dict[str, Any], caught) -> Dict[str, Any]:
    result.setdefault("warnings", warning_records(caught))
    result.setdefault("error", None)
    result.setdefault("value", None)
    if "outcome" not in result:
        result["outcome"] = "warns" if result["warnings"] else "works"
    return result


def run_probe(fn: Probe) -> ProbeRecord:
    """Run one probe isolated: its warnings recorded, any exception turned into an ``errors`` record."""
    record: Dict[str, Any] = {"id": fn.__name__}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn() or {}
        except NotRun as exc:
            result = {"outcome": "not_run", "detail": str(exc)}
        except Exception as exc:  # the old form raised: that is the finding
            result = {
                "outcome": "errors",
                "detail": f"{type(exc).__name__} raised by the old form",
                "error": {"type": type(exc).__name__, "message": str(exc)},
            }
    result = _classify(result, caught)
    record.update(
        outcome=result["outcome"],
        detail=result.get("detail", ""),
        warnings=result["warnings"],
        error=result["error"],
        value=result["value"],
    )
    return record  # type: ignore[return-value]


def import_torch_once() -> None:
    """Import torch outside every probe, keeping what the import itself said.

    NumPy's ABI complaint ("A module that was compiled using NumPy 1.x ...") goes to stderr and
    torch's "Failed to initialize NumPy" is a warning, both during ``import torch``; torch 1.8.1
    under NumPy 2 does not import at all. The ``numpy_abi`` probe reports all of it; the other
    probes are ``not_run`` where torch did not import.
    """
    if "torch" in sys.modules or TORCH_IMPORT["error"] or TORCH_IMPORT["stderr"]:
        return
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with contextlib.redirect_stderr(buf):
                import torch  # noqa: F401
        except Exception as exc:
            TORCH_IMPORT["error"] = {"type": type(exc).__name__, "message": str(exc)}
    TORCH_IMPORT["stderr"] = buf.getvalue()
    sys.stderr.write(TORCH_IMPORT["stderr"])
    TORCH_IMPORT_WARNINGS[:] = warning_records(caught)


def run_all(only: Optional[List[str]] = None,
            on_record: Optional[Callable[[List[ProbeRecord]], None]] = None) -> List[ProbeRecord]:
    """Run the chosen probes (all by default; ``only``: probe names or catalog ids) in catalog order
    (:func:`ordered`); ``on_record(records so far)`` after each."""
    import_torch_once()
    names = set(select(only)) if only else None
    chosen = [p for p in ordered() if names is None or p.__name__ in names]
    records: List[ProbeRecord] = []
    for fn in chosen:
        records.append(run_probe(fn))
        if on_record is not None:
            on_record(records)
    return records


def dumps(records: List[ProbeRecord]) -> str:
    """The records as one JSON list (the contract's format), without a final newline."""
    return json.dumps(records, indent=1, sort_keys=True, default=repr)


def write_atomically(path: str, records: List[ProbeRecord]) -> None:
    """Write the records as one JSON list, atomically (:func:`matrix.records.jsonio.write_atomically`)."""
    jsonio.write_atomically(path, dumps(records) + "\n")


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m matrix.probes``: ``--list``, or run the probes (``--only``) into ``--out`` or stdout."""
    parser = argparse.ArgumentParser(prog="python -m matrix.probes", description=DESCRIPTION)
    parser.add_argument("--out", help="write the JSON list here (atomically); default: stdout")
    parser.add_argument("--only", action="append",
                        help="run only this probe: its name (as --list prints it) or its catalog id (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the probe names, in the order they run, and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(p.__name__ for p in ordered()))
        return 0
    unknown = set(args.only or ()) - {p.__name__ for p in PROBES.values()} - set(PROBES)
    if unknown:
        parser.error(f"unknown probe(s): {', '.join(sorted(unknown))}")
    save = (lambda records: write_atomically(args.out, records)) if args.out else None
    try:
        records = run_all(args.only, on_record=save)
    except Exception:  # a failure outside any probe (importing torch): say so, still write JSON
        records = [{"id": "_import", "outcome": "errors", "detail": traceback.format_exc(limit=3),
                    "warnings": [], "error": {"type": sys.exc_info()[0].__name__,
                                              "message": str(sys.exc_info()[1])}, "value": None}]
    if args.out:
        write_atomically(args.out, records)  # also when no probe was chosen or the import failed
    else:
        print(dumps(records))
    return 0
