"""Load ``matrix/catalog.toml``: the changes, as plain dicts, in file order.

    from matrix.facts.catalog import load_all, load_catalog, load_unrelated_warnings, load_unavailable_releases, by_id
    changes = load_catalog()
    changes, unrelated_warnings, unavailable_releases = load_all()  # the three from one read of the file

Needs ``tomllib`` (Python 3.11+) or ``tomli`` (older Pythons: :mod:`matrix.facts.tomlio`); the probes,
which run in every matrix cell, do not import this module. The fields are described at the top of
the TOML file.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from matrix.facts import tomlio

CATALOG_PATH = Path(__file__).resolve().parent.parent / "catalog.toml"  # data stays at matrix/ top

#: (an entry's probe is not a field: matrix/probes/ registers it under the entry's id, ``@probe("<id>")``)
REQUIRED = ("id", "title", "kind", "old", "new", "symptom", "why", "fix", "sources", "variants", "cited_versions")
KINDS = ("error", "warning", "silent", "removal", "environment")
#: cited_versions keys that name a release
CITED_KEYS = ("warns", "fails", "changed")
#: libraries whose version, not torch's, decides a probe's outcome (``depends_on``)
DEPENDS_ON = ("tensorflow", "numpy")
BREAKDOWNS = ("functions",)
#: what a snippet may need that the test machine may lack (``needs = { cuda = "why" }``)
NEEDS = ("cuda",)
#: the fields an entry may have besides REQUIRED (described at the top of catalog.toml)
OPTIONAL = ("compare", "may_change", "hypothesis", "context", "depends_on", "breakdown", "setup", "illustration",
            "needs", "also_seen", "upgrade", "new_since", "new_since_source", "restore", "restore_impossible", "touches",
            "control")
NO_SOURCE = "no upstream note found"
#: "Category: message": how a symptom or an also_seen text names what users see
MESSAGE = re.compile(r"^(?:_pickle\.)?[A-Z][A-Za-z0-9_]*(?:Error|Warning|Exception): \S")


def _load(path: Optional[Path]) -> Dict[str, Any]:
    return tomlio.load(path or CATALOG_PATH)


Entries = List[Dict[str, Any]]


def load_all(path: Optional[Path] = None) -> Tuple[Entries, Entries, Entries]:
    """:func:`load_catalog`, :func:`load_unrelated_warnings` and :func:`load_unavailable_releases` from one
    read of the file: ``changes, unrelated_warnings, unavailable_releases``."""
    document = _load(path)
    return _changes(document), _unrelated_warnings(document), _unavailable_releases(document)


def load_catalog(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The entries of the catalog, code fields stripped of their surrounding blank lines."""
    return _changes(_load(path))


def _changes(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    changes = document.get("change", [])
    for change in changes:
        for key in ("old", "new", "why", "fix", "symptom", "title", "setup"):
            if isinstance(change.get(key), str):
                change[key] = change[key].strip("\n")
        change["why"] = change.get("why", "").strip()
    return changes


def problems(changes: List[Dict[str, Any]]) -> List[str]:
    """What is wrong with the entries' shape: unknown or missing fields, fields of the wrong type.

    The facts themselves (URLs, probes that exist, versions) are checked by tests/test_catalog.py.
    """
    out = []
    for change in changes:
        name = change.get("id", "?")
        unknown = sorted(set(change) - set(REQUIRED) - set(OPTIONAL))
        missing = [k for k in REQUIRED if k not in change]
        if unknown:
            out.append(f"{name}: unknown fields {unknown}")
        if missing:
            out.append(f"{name}: missing fields {missing}")
        for key in ("setup", "illustration"):
            if key in change and not (isinstance(change[key], str) and change[key].strip()):
                out.append(f"{name}: {key} must be non-empty text")
        needs = change.get("needs", {})
        if not isinstance(needs, dict) or set(needs) - set(NEEDS) or not all(
                isinstance(v, str) and v.strip() for v in needs.values()):
            out.append(f"{name}: needs must be a table of {NEEDS} -> why")
        if change.get("kind") == "silent" and ("restore" in change) == ("restore_impossible" in change):
            out.append(f"{name}: a silent entry needs restore or restore_impossible (one of them)")
        if "restore" in change and not change.get("touches"):
            out.append(f"{name}: restore needs touches (when verify tries it)")
        for pattern in change.get("touches", []):
            try:
                re.compile(pattern)
            except re.error as exc:
                out.append(f"{name}: touches {pattern!r} is not a regular expression: {exc}")
        if ("new_since" in change) != ("new_since_source" in change) or "new_since" in change and not (
                isinstance(change["new_since"], str) and cited_release(change["new_since"]) is not None
                and isinstance(change["new_since_source"], str) and change["new_since_source"].strip()):
            out.append(f"{name}: new_since must be a version, with new_since_source saying where it comes from")
        seen = change.get("also_seen", [])
        if not isinstance(seen, list) or not all(isinstance(t, str) and t.strip() for t in seen):
            out.append(f"{name}: also_seen must be a list of texts")
    return out


def load_unrelated_warnings(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The ``[[unrelated_warning]]`` entries, each with its ``pattern`` compiled as ``regex``."""
    return _unrelated_warnings(_load(path))


def _unrelated_warnings(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    out = []
    for entry in document.get("unrelated_warning", []):
        out.append(dict(entry, regex=re.compile(entry["pattern"])))
    return out


UNAVAILABLE_FIELDS = ("releases", "eras", "why", "source", "checked")


def load_unavailable_releases(path: Optional[Path] = None) -> List[Dict[str, Any]]:
    """The ``[[unavailable_release]]`` entries: releases no registry the matrix uses offers."""
    return _unavailable_releases(_load(path))


def _unavailable_releases(document: Dict[str, Any]) -> List[Dict[str, Any]]:
    return list(document.get("unavailable_release", []))


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


def split_message(text: str) -> Tuple[Optional[str], str]:
    """("IndexError", "invalid index ...") from "IndexError: invalid index ..."; (None, text) for prose."""
    head, sep, body = text.partition(": ")
    if sep and re.fullmatch(r"(?:_pickle\.)?[A-Za-z_][A-Za-z0-9_]*", head):
        return head, body
    return None, text


def known_texts(change: Dict[str, Any]) -> List[str]:
    """The symptom and the also_seen texts: what a quoted message of this change may start."""
    return [change["symptom"]] + list(change.get("also_seen") or [])


def message(change_id: str, start: str = "", changes: Optional[List[Dict[str, Any]]] = None) -> str:
    """The text, without its "Category: ", of the symptom or also_seen text of entry ``change_id``
    that starts with ``start`` (the symptom first); for tests that compare a message torch gives."""
    change = by_id(changes)[change_id]
    for text in known_texts(change):
        if text.startswith(start):
            return split_message(text)[1]
    raise KeyError(f"{change_id}: no symptom or also_seen text starts with {start!r}")


def by_id(changes: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Dict[str, Any]]:
    """entry id -> its catalog entry."""
    return {c["id"]: c for c in (changes if changes is not None else load_catalog())}


def cited_release(text: object):
    """``Version("2.0.0")`` from a cited or recorded version: "1.0.0", "TensorFlow 2.0.0", "2.4.1+cu121"
    (the last word that is a version, local suffix aside); None where there is none."""
    from packaging.version import InvalidVersion, Version

    for word in reversed(str(text).split()):
        try:
            return Version(word.split("+")[0])
        except InvalidVersion:
            continue
    return None

