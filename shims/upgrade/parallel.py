"""The files of a folder upgraded on every usable CPU, their results given back in the files' order.

Upgrading is pure computation on one text (:func:`shims.upgrade.engine.upgrade_source`), so the
texts go to worker processes and come back as results; reading, reporting and writing stay in the
calling process, in order, so the report and the writes are the same as one process would make.
At most a few texts per worker are in flight: a folder of big files is not all held in memory.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, Optional, Tuple, TypeVar

from shims.upgrade.engine import BadSource, Upgraded, upgrade_source

T = TypeVar("T")
#: what a worker gives back: the result, or the syntax error's (line, message) (BadSource's own
#: arguments do not survive pickling)
Outcome = Tuple[Optional[Upgraded], Optional[Tuple[int, str]]]
IN_FLIGHT_PER_WORKER = 4


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system says, else the count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def upgrade_one(source: str, filename: str, options: Dict[str, Any]) -> Outcome:
    try:
        return upgrade_source(source, filename, **options), None
    except BadSource as exc:
        return None, (exc.line, exc.message)


def upgrade_all(items: Iterable[T], job: Callable[[T], Optional[Tuple[str, str]]], options: Dict[str, Any],
                jobs: int) -> Iterator[Tuple[T, Optional[Outcome]]]:
    """``(item, outcome)`` for each item in order; ``job(item)`` gives the (source, filename) to upgrade,
    or None for an item with nothing to upgrade (its outcome is None). ``jobs`` 1: in this process."""
    if jobs <= 1:
        for item in items:
            work = job(item)
            yield item, (upgrade_one(work[0], work[1], options) if work is not None else None)
        return
    # fork where there is one: the workers start with LibCST and the rules already imported
    context = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    pending: Deque[Tuple[T, Optional[Future]]] = deque()
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for item in items:
            work = job(item)
            pending.append((item, pool.submit(upgrade_one, work[0], work[1], options) if work is not None else None))
            while len(pending) > jobs * IN_FLIGHT_PER_WORKER or pending and _ready(pending[0][1]):
                done, future = pending.popleft()
                yield done, future.result() if future is not None else None
        while pending:
            done, future = pending.popleft()
            yield done, future.result() if future is not None else None


def _ready(future: Optional[Future]) -> bool:
    return future is None or future.done()
