"""Which line of the user's text each line of the upgraded text comes from, in about linear time.

``difflib.SequenceMatcher`` over whole files was the engine's slowest part on big files (issue 20:
quadratic where lines repeat, as they do in real code: ``optimizer.zero_grad()`` a hundred times).
Here the lines that occur once in both texts are the anchors (the "patience" idea: they cannot be
confused), their longest increasing run fixes what matches, and only the short stretches between
two anchors go through difflib. The upgrade changes lines in place or adds and removes a few, so
almost every line is an anchor or an equal prefix or suffix of a stretch.
"""
from __future__ import annotations

import bisect
import difflib
from typing import Dict, List, Sequence, Tuple

#: a stretch between anchors this big (lines x lines) is mapped line by line, not by difflib
DIFFLIB_LIMIT = 250_000


def line_map(old: str, new: str) -> List[int]:
    """For each line of ``new`` (index 0 = line 1), the line of ``old`` it comes from or stands next to
    (an inserted line: the line before it; 1 at the top)."""
    a, b = old.splitlines(), new.splitlines()
    out = [0] * len(b)
    _map(a, 0, len(a), b, 0, len(b), out)
    return out


def _map(a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int, out: List[int]) -> None:
    while alo < ahi and blo < bhi and a[alo] == b[blo]:  # the same start
        out[blo] = alo + 1
        alo, blo = alo + 1, blo + 1
    while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:  # the same end
        out[bhi - 1] = ahi
        ahi, bhi = ahi - 1, bhi - 1
    if blo == bhi:
        return
    if alo == ahi:  # lines added: each stands next to the line before them
        for j in range(blo, bhi):
            out[j] = max(alo, 1)
        return
    anchors = _anchors(a, alo, ahi, b, blo, bhi)
    if not anchors:
        _gap(a, alo, ahi, b, blo, bhi, out)
        return
    for i, j in anchors:
        _map(a, alo, i, b, blo, j, out)
        out[j] = i + 1
        alo, blo = i + 1, j + 1
    _map(a, alo, ahi, b, blo, bhi, out)


def _anchors(a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int) -> List[Tuple[int, int]]:
    """The (i, j) pairs of lines found exactly once in each range, their longest run increasing in both."""
    count: Dict[str, List[int]] = {}
    for i in range(alo, ahi):
        count.setdefault(a[i], [0, i, 0, -1])[0] += 1
    for j in range(blo, bhi):
        seen = count.get(b[j])
        if seen is not None:
            seen[2] += 1
            seen[3] = j
    pairs = sorted((s[3], s[1]) for s in count.values() if s[0] == 1 and s[2] == 1)  # by j
    # the longest increasing subsequence of the i's (patience sorting), in O(n log n)
    tails: List[int] = []  # tails[k]: the smallest last i of an increasing run of length k + 1
    tail_at: List[int] = []  # the index in pairs of that last element
    back: List[int] = [-1] * len(pairs)
    for k, (_, i) in enumerate(pairs):
        pos = bisect.bisect_left(tails, i)
        if pos == len(tails):
            tails.append(i)
            tail_at.append(k)
        else:
            tails[pos], tail_at[pos] = i, k
        back[k] = tail_at[pos - 1] if pos else -1
    run: List[Tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        j, i = pairs[k]
        run.append((i, j))
        k = back[k]
    return run[::-1]


def _gap(a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int, out: List[int]) -> None:
    """A stretch with no anchor: difflib where it is small, else line by line."""
    if (ahi - alo) * (bhi - blo) > DIFFLIB_LIMIT:
        for k, j in enumerate(range(blo, bhi)):
            out[j] = min(alo + k, ahi - 1) + 1
        return
    matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k, j in enumerate(range(j1, j2)):
            if tag == "insert":
                out[blo + j] = max(alo + i1 - 1, 0) + 1
            else:
                out[blo + j] = alo + min(i1 + k, max(i2 - 1, i1)) + 1
