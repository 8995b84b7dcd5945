"""Load ``matrix/catalog.toml``: the changes, as plain dicts, in file order.

    from matrix.catalog import load_catalog, load_unrelated_warnings, by_probe
    changes = load_catalog()

Needs ``tomllib`` (Python 3.11+) or ``tomli`` (older Pythons: :mod:`matrix.tomlio`); the probes,
which run in every matrix cell, do not import this module. The fields are described at the top of
the TOML file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional

from matrix import tomlio

CATALOG_PATH = Path(__file__).with_name("catalog.toml")

REQUIRED = ("id", "title", "kind", "old", "new", "symptom", "why", "fix", "sources", "variants",
            "probe", "cited_versions")
KINDS = ("error", "warning", "silent", "removal", "environment")
#: cited_versions keys that name a release
CITED_KEYS = ("warns", "fails", "changed")
#: libraries whose version, not torch's, decides a probe's outcome (``depends_on``)
DEPENDS_ON = ("tensorflow", "numpy")
BREAKDOWNS = ("functions",)
NO_SOURCE = "no upstream note found"


def _load(path: Optional[Path]) -> Dict[str, Any]:
    return tomlio.load(path or CATALOG_PATH)


def load_catalog(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The entries of the catalog, code fields stripped of their surrounding blank lines."""
    changes = _load(path).get("change", [])
    for change in changes:
        for key in ("old", "new", "why", "fix", "symptom", "title"):
            if isinstance(change.get(key), str):
                change[key] = change[key].strip("\n")
        change["why"] = change.get("why", "").strip()
    return changes


def load_unrelated_warnings(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The ``[[unrelated_warning]]`` entries, each with its ``pattern`` compiled as ``regex``."""
    out = []
    for entry in _load(path).get("unrelated_warning", []):
        out.append(dict(entry, regex=re.compile(entry["pattern"])))
    return out


def stated_keys(cited: Dict[str, Any]) -> List[str]:
    """The cited_versions keys (warns / fails / changed) whose release the source states.

    ``verified`` is true (all of them), false (none: inferred) or a list of the stated keys.
    """
    present = [k for k in CITED_KEYS if cited.get(k)]
    verified = cited.get("verified", False)
    if verified is True:
        return present
    if isinstance(verified, list):
        return [k for k in present if k in verified]
    return []


def by_probe(changes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Dict[str, Any]]:
    """probe function name -> its catalog entry."""
    return {c["probe"]: c for c in (changes if changes is not None else load_catalog())}


def by_id(changes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Dict[str, Any]]:
    """entry id -> its catalog entry."""
    return {c["id"]: c for c in (changes if changes is not None else load_catalog())}
