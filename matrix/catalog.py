"""Load ``matrix/catalog.toml``: the changes, as plain dicts, in file order.

    from matrix.catalog import load_catalog, by_probe
    changes = load_catalog()

Needs ``tomllib`` (Python 3.11+) or ``tomli`` (older Pythons); the probes, which run in every
matrix cell, do not import this module.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

CATALOG_PATH = Path(__file__).with_name("catalog.toml")

REQUIRED = ("id", "title", "kind", "old", "new", "symptom", "why", "fix", "sources", "variants",
            "probe", "cited_versions")
KINDS = ("error", "warning", "silent", "removal", "environment")


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10 only
        import tomli as tomllib
    return tomllib


def load_catalog(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The entries of the catalog, code fields stripped of their surrounding blank lines."""
    with open(path or CATALOG_PATH, "rb") as fh:
        data = _toml().load(fh)
    changes = data.get("change", [])
    for change in changes:
        for key in ("old", "new", "why", "fix", "symptom", "title"):
            if isinstance(change.get(key), str):
                change[key] = change[key].strip("\n")
        change["why"] = change.get("why", "").strip()
    return changes


def by_probe(changes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Dict[str, Any]]:
    """probe function name -> its catalog entry."""
    return {c["probe"]: c for c in (changes if changes is not None else load_catalog())}


def by_id(changes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Dict[str, Any]]:
    return {c["id"]: c for c in (changes if changes is not None else load_catalog())}
