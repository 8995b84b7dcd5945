"""``upgrade --target-torch X [--keep-working-on Y]``: which rules a given torch needs, from the catalog.

For each catalog entry with a rule:

- its new form exists from ``new_since`` (matrix/catalog.toml); the rule rewrites only where that is
  <= min(X, Y) (the result must run on both), else each place is reported "not rewritten for torch V:
  ... needs torch >= new_since";
- its old form is *kept* (not rewritten, reported as still working) where it runs on X and on Y
  without a warning, as far as the evidence shows: the probes' records in results/, the pins' and the
  probe sweep's on every minor release (results/upstream/probes/; the version lies
  between the oldest pin and the last pin where the old form ran silently, before the first pin where
  it warned, failed or differed), or, between two pins, the catalog's ``cited_versions`` (a cited
  ``warns`` after the version); nothing may say otherwise (no cited ``warns`` / ``fails`` at or before
  it). Where the evidence does not say so, the rule rewrites (never a guess that code still works).
  Entries of kind ``silent`` (a hazard, not a message) and those that depend on TensorFlow or NumPy
  (``depends_on``) are never kept; a ``new_since`` in TensorFlow or NumPy terms does not limit the
  rule (the torch target says nothing about those libraries).

No LibCST here: it can be read without the upgrade's dependencies.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from packaging.version import Version

from matrix.running.environment import public_version


class BadVersion(ValueError):
    """A target_torch / keep_working_on value (``option``) that is not a version (``text``)."""

    def __init__(self, option: str, text: object) -> None:
        super().__init__(f"{option}: {text!r} is not a version (e.g. 1.8.1)")
        self.option, self.text = option, text


def parse_version(text: object, option: str = "target_torch") -> Version:
    """``Version`` of ``text`` ("1.8.1", "2.4.1+cu121": the local part dropped); :class:`BadVersion` else."""
    if isinstance(text, Version):
        return Version(text.public)
    version = public_version(str(text).strip()) if text is not None else None
    if version is None:
        raise BadVersion(option, text)
    return version


def _torch_release(text: object) -> Optional[Version]:
    """A torch version from a catalog value; None for another library's ("TensorFlow 2.0.0") or none."""
    if not isinstance(text, str) or not text.strip() or len(text.split()) != 1:
        return None
    return public_version(text.strip())


@functools.lru_cache(maxsize=1)
def _catalog() -> Dict[str, dict]:
    from matrix.facts.catalog import load_catalog

    return {c["id"]: c for c in load_catalog()}


@functools.lru_cache(maxsize=1)
def measured() -> Dict[str, List[Tuple[Version, bool]]]:
    """change id -> [(torch pin, the old form ran without a warning on every record of that pin)], by
    pin, from results/ (the probes' records; catalog's unrelated warnings set aside). Empty where
    there are no records."""
    from matrix.facts.catalog import load_unrelated_warnings
    from matrix.records.observations import RAN, load_results, probe_observations
    from matrix.records.results import RESULTS_DIR

    if not RESULTS_DIR.is_dir():
        return {}
    catalog = list(_catalog().values())
    from matrix.records import sweep

    # the pins' records and the probe sweep's (every minor release): the brackets are the sweep's where it ran
    table = probe_observations(load_results(RESULTS_DIR) + sweep.sessions(), catalog, load_unrelated_warnings())
    out: Dict[str, List[Tuple[Version, bool]]] = {}
    for change in catalog:
        pins: Dict[Version, bool] = {}
        for o in table.get(change["id"], []):
            pin = public_version(o.get("_pin"))
            if pin is None or o["outcome"] not in RAN:
                continue
            silent = o["outcome"] == "works" and not o.get("warnings")
            pins[pin] = pins.get(pin, True) and silent
        out[change["id"]] = sorted(pins.items())
    return out


def _cited_silent(change: dict, v: Version) -> Optional[bool]:
    """What cited_versions say of the old form on ``v``: False (warns or fails by then), True (a cited
    first warning after ``v`` and no failure by then), None (not said)."""
    cited = change.get("cited_versions") or {}
    warns, fails = _torch_release(cited.get("warns")), _torch_release(cited.get("fails"))
    if any(t is not None and v >= t for t in (warns, fails)):
        return False
    return True if warns is not None else None


def _measured_silent(pins: List[Tuple[Version, bool]], v: Version) -> Optional[bool]:
    """What the records say of the old form on ``v``: False at or after the first pin where it warned,
    failed or differed; True between the oldest pin and the last silent pin before that; None
    elsewhere (below the oldest pin, or between the last silent pin and the first loud one)."""
    if not pins:
        return None
    first_loud = next((p for p, silent in pins if not silent), None)
    if first_loud is not None and v >= first_loud:
        return False
    silent_before = [p for p, silent in pins if silent and (first_loud is None or p < first_loud)]
    if silent_before and silent_before[0] <= v <= silent_before[-1]:
        return True
    return None


@dataclass(frozen=True)
class Target:
    """The torch the result must run on: ``torch`` (None: the newest) and ``keep`` (also this one)."""
    torch: Optional[Version] = None
    keep: Optional[Version] = None

    @classmethod
    def of(cls, target_torch: object = None, keep_working_on: object = None) -> Optional["Target"]:
        """None where neither is given (every rule, as without a target); :class:`BadVersion` on a bad one."""
        if target_torch is None and keep_working_on is None:
            return None
        return cls(None if target_torch is None else parse_version(target_torch, "target_torch"),
                   None if keep_working_on is None else parse_version(keep_working_on, "keep_working_on"))

    @property
    def limit(self) -> Optional[Version]:
        """The oldest torch the result must run on (what a new form must exist on)."""
        given = [v for v in (self.torch, self.keep) if v is not None]
        return min(given) if given else None

    def new_form_missing(self, change_id: str) -> Optional[str]:
        """The entry's new_since where the new form does not exist on :attr:`limit`; None where it does
        (or where the entry names another library's release)."""
        change = _catalog().get(change_id) or {}
        since = change.get("new_since")
        release = _torch_release(since)
        if self.limit is None or since is None:
            return None
        if release is None:  # "TensorFlow 2.0.0", "NumPy ...": not torch's to limit
            return None
        return since if release > self.limit else None

    def kept(self, change_id: str) -> bool:
        """Whether the old form runs without a warning on the target and on keep_working_on, as far as
        the cited versions and the records show (False where they do not say: the rule rewrites)."""
        change = _catalog().get(change_id)
        if change is None or self.torch is None or change.get("kind") == "silent" or change.get("depends_on"):
            return False
        pins = measured().get(change_id, [])
        for v in (self.torch, self.keep):
            if v is None:
                continue
            cited, seen = _cited_silent(change, v), _measured_silent(pins, v)
            if cited is False or seen is False:
                return False
            # a cited first warning decides between two pins; below the oldest pin nothing says the old
            # form even existed (reduction='elementwise_mean' on 0.4.0), so it is not called working
            if not (seen or cited and pins and pins[0][0] <= v):
                return False
        return True

    def label(self) -> str:
        """'1.8.1', or '1.8.1 and 1.0.1' with keep_working_on (the newest meaning what is installed)."""
        parts = [str(v) for v in (self.torch, self.keep) if v is not None]
        if self.torch is None:
            parts.insert(0, "the newest")
        return " and ".join(dict.fromkeys(parts))
