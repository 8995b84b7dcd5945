"""What the upgrade reads from ``matrix/catalog.toml``: per entry its title, fix, docs section and the
texts of its messages (to recognise an error or a warning a running script meets).

The catalog is the one source of these facts; this module only indexes it.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

#: where an entry is explained, relative to the project root (docs/migration.md anchors entries by id)
DOCS = "docs/migration.md#{id}"


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    fix: str
    #: the catalog's ``upgrade``: "rewrite", "report", "runtime" (None: no rule)
    upgrade: Optional[str]
    #: (category, message body) for the symptom and each also_seen text that names a category
    messages: Tuple[Tuple[str, str], ...]

    @property
    def docs(self) -> str:
        return DOCS.format(id=self.id)


@functools.lru_cache(maxsize=1)
def entries() -> Dict[str, Entry]:
    """id -> :class:`Entry`, in catalog order."""
    from matrix.facts.catalog import known_texts, load_catalog, split_message

    out = {}
    for change in load_catalog():
        messages = []
        for text in known_texts(change):
            head, body = split_message(text)
            if head is not None:
                messages.append((head.split(".")[-1], body))
        out[change["id"]] = Entry(change["id"], change["title"], " ".join(change["fix"].split()),
                                  change.get("upgrade"), tuple(messages))
    return out


def _stable_prefix(body: str) -> str:
    """The part of a message that does not depend on the script: up to the shapes of a tensor (": [")
    or the end of the first sentence."""
    cut = len(body)
    for sep in (": [", ". "):
        i = body.find(sep)
        if i > 0:
            cut = min(cut, i)
    return body[:cut]


def match_message(category: str, message: str) -> List[Entry]:
    """The entries whose symptom or also_seen text the message ``category: message`` starts with
    (its stable prefix, so that shapes and names may differ); the most specific first."""
    message = re.sub(r"\x1b\[[0-9;]*m", "", message).strip()
    hits = []
    for entry in entries().values():
        for head, body in entry.messages:
            prefix = _stable_prefix(body)
            if head == category.split(".")[-1] and len(prefix) >= 15 and message.startswith(prefix):
                hits.append((len(prefix), entry))
                break
    hits.sort(key=lambda pair: -pair[0])
    found = [e for _, e in hits]
    # the two torch.load entries share their first line: the one that names NumPy is the NumPy one
    if {"torch-load-weights-only", "torch-load-numpy-array"} <= {e.id for e in found}:
        drop = "torch-load-weights-only" if "numpy" in message else "torch-load-numpy-array"
        found = [e for e in found if e.id != drop]
    return found
