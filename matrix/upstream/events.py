"""Consecutive release records, diffed into events: a message appears, changes wording or goes; a name goes.

    from matrix.upstream.events import build_events, load_records, write_events
    events = build_events(load_records())     # [{"release": "1.1.0", "since": "1.0.1", "kind": ...}, ...]

The records are results/upstream/releases/torch-<release>.json (:mod:`matrix.upstream.mine`); the
events are results/upstream/events.json, a pure function of them: tests/test_upstream.py rebuilds
the file from the records and compares bytes. Kinds:

- ``message-appears`` / ``message-goes``: a deprecation or removal text is in this release's sources
  (``python``) or compiled libraries (``library``) and not in the previous one's, or the reverse;
- ``message-reworded``: a text that went and one that appeared in the same release and source, alike
  enough (:data:`REWORDED`, difflib's ratio) to be one message in new words (``old`` holds the old);
- ``name-goes``: a public name of one of the read modules (``api``) is no longer there.

Names that appear are not events (an addition breaks no old script). A module that failed to import
in either release gives no name events for that pair (its names are unknown, not gone).
"""
from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

from matrix import ROOT
from matrix.upstream.releases import key

RELEASE_DIR = ROOT / "results" / "upstream" / "releases"
EVENTS_PATH = ROOT / "results" / "upstream" / "events.json"
#: difflib ratio at or above which a gone and an appeared text are one message reworded
REWORDED = 0.75
Event = Dict[str, object]


def load_records(folder: Path = RELEASE_DIR) -> List[dict]:
    """The release records of ``folder``, oldest release first."""
    records = [json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("torch-*.json")]
    return sorted(records, key=lambda r: key(r["torch"]))


def _messages(record: dict, source: str) -> Dict[str, List[str]]:
    """text -> where it is (modules for python, libraries for library)."""
    if source == "python":
        return {row["text"]: row["modules"] for row in record["python_messages"]}
    return {row["text"]: row["libraries"] for row in record["library_messages"]}


#: a name in a message: dotted, with an underscore, or called ("torch.gels", "max_val", "upsample(")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Za-z0-9]*_[A-Za-z0-9_]+|[A-Za-z_]\w*(?=\()")


def _names(text: str) -> Set[str]:
    return set(NAME.findall(text.replace("`", "")))


def _pairs(gone: List[str], new: List[str]) -> List[Tuple[str, str]]:
    """(old, new) texts paired as rewordings: best ratio first, each text in one pair at most. Texts
    that name things must share a name: "torch.gels is deprecated ..." is not "torch.gesv is ..." reworded."""
    scored = []
    for old in gone:
        matcher = difflib.SequenceMatcher(None, old, autojunk=False)
        old_names = _names(old)
        for text in new:
            new_names = _names(text)
            if (old_names or new_names) and not old_names & new_names:
                continue
            matcher.set_seq2(text)
            if matcher.real_quick_ratio() >= REWORDED and matcher.quick_ratio() >= REWORDED:
                ratio = matcher.ratio()
                if ratio >= REWORDED:
                    scored.append((-ratio, old, text))
    used_old, used_new, out = set(), set(), []
    for _, old, text in sorted(scored):
        if old not in used_old and text not in used_new:
            used_old.add(old)
            used_new.add(text)
            out.append((old, text))
    return out


def _message_events(before: dict, after: dict, source: str) -> List[Event]:
    old, new = _messages(before, source), _messages(after, source)
    gone = sorted(set(old) - set(new))
    appeared = sorted(set(new) - set(old))
    events: List[Event] = []
    for was, text in _pairs(gone, appeared):
        events.append({"kind": "message-reworded", "source": source, "where": sorted(set(old[was]) | set(new[text])),
                       "text": text, "old": was})
        gone.remove(was)
        appeared.remove(text)
    events += [{"kind": "message-goes", "source": source, "where": old[t], "text": t} for t in gone]
    events += [{"kind": "message-appears", "source": source, "where": new[t], "text": t} for t in appeared]
    return events


def _name_events(before: dict, after: dict) -> List[Event]:
    events: List[Event] = []
    for module, names in sorted(before["api"].items()):
        later = after["api"].get(module)
        if not isinstance(names, list) or not isinstance(later, list):
            continue
        events += [{"kind": "name-goes", "source": "api", "where": [module], "text": name}
                   for name in sorted(set(names) - set(later))]
    return events


def sort_key(event: Event):
    return (key(str(event["release"])), event["source"], event["kind"], event["where"], event["text"])


def build_events(records: List[dict]) -> List[Event]:
    """Every event between consecutive records, in release order, sorted within a release."""
    events: List[Event] = []
    for before, after in zip(records, records[1:]):
        found = _message_events(before, after, "python") + _message_events(before, after, "library") + \
            _name_events(before, after)
        for event in found:
            event["release"], event["since"] = after["torch"], before["torch"]
        events += found
    return sorted(events, key=sort_key)


def dumps(events: List[Event]) -> str:
    """The events file's text: one event per line, keys sorted, so that a diff shows events."""
    lines = [json.dumps(e, sort_keys=True, ensure_ascii=False, separators=(",", ":")) for e in events]
    return "[\n" + ",\n".join(lines) + "\n]\n"


def load_events(path: Path = EVENTS_PATH) -> List[Event]:
    return json.loads(path.read_text(encoding="utf-8"))


def write_events(records_dir: Path = RELEASE_DIR, path: Optional[Path] = None) -> Path:
    path = path or EVENTS_PATH
    path.write_text(dumps(build_events(load_records(records_dir))), encoding="utf-8")
    return path


__all__ = ["EVENTS_PATH", "RELEASE_DIR", "REWORDED", "build_events", "dumps", "load_events", "load_records",
           "write_events"]
