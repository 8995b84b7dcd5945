"""The probe sweep's records, read as sessions: the catalog's probes on every minor torch release.

``python -m matrix.upstream sweep`` runs ``python -m matrix.probes`` on the latest patch of every minor
release from PyPI (one throwaway virtualenv each) and writes one file per release under
results/upstream/probes/ (``torch``, ``torch_build``, ``python``, ``cpu``, ``machine``, ``date``,
``probes``). The pins of the matrix (results/*.json) are seven of those releases with the examples
around them; the sweep is the probes alone, on all of them, so that a version claim is measured to
the release where it happens ("first warns on 1.2.0; 1.1.0 runs"), not to the nearest pin.

:func:`sessions` gives each record the shape of a matrix session (``torch_pin``, ``device``,
``device_name``, ``status``, ``_slug``), so that :func:`matrix.records.observations.probe_observations`
reads both alike: the migration page states the boundaries from them, and ``upgrade --target-torch``
decides from them where an old form still runs silently.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional

from matrix.records.results import RESULTS_DIR
from matrix.running.environment import version_key

#: where the sweep writes (matrix.upstream.mine.probe_path names the files in it)
SWEEP_DIR = RESULTS_DIR / "upstream" / "probes"


def load(folder: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The sweep's records as written, oldest release first ([] where none is recorded)."""
    folder = Path(folder) if folder is not None else SWEEP_DIR
    records = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("torch-*.json")]
    return sorted(records, key=lambda r: version_key(r["torch"]))


def as_session(record: Dict[str, Any]) -> Dict[str, Any]:
    """One release's record in the shape of a CPU matrix session that ran (its probes only)."""
    return {"torch_pin": record["torch"], "torch": record.get("torch_build") or record["torch"],
            "torch_build": record.get("torch_build"), "device": "cpu", "device_name": record.get("cpu"),
            "date": record.get("date"), "python": record.get("python"), "status": "ran",
            "probes": record.get("probes") or [], "_slug": f"upstream/probes/torch-{record['torch']}",
            "_sweep": True}


def sessions(folder: Optional[Path] = None) -> List[Dict[str, Any]]:
    """Every release's record as a session (:func:`as_session`), oldest first."""
    return [as_session(r) for r in load(folder)]


__all__ = ["SWEEP_DIR", "as_session", "load", "sessions"]
