"""The torch releases the upstream mining reads: the latest patch of every minor release on PyPI.

    from matrix.upstream.releases import RELEASES, python_of
    RELEASES[0]            # "1.0.1"
    python_of("1.13.1")    # "3.7": the Python its wheel is installed for

Data only. 1.0-1.13 are read on Python 3.7 (the one Python every 1.x release has wheels for; the
oldest pins run there too), 2.0 on 3.11 onwards. The list is what ``pip index versions torch``
offered on 2026-12-04 (Python 3.7 and 3.11): every minor release from 1.0 to 2.15 has one.
"""
from __future__ import annotations

from typing import Tuple

RELEASES: Tuple[str, ...] = (
    "1.0.1", "1.1.0", "1.2.0", "1.3.1", "1.4.0", "1.5.1", "1.6.0", "1.7.1", "1.8.1", "1.9.1", "1.10.2",
    "1.11.0", "1.12.1", "1.13.1",
    "2.0.1", "2.1.2", "2.2.2", "2.3.1", "2.4.1", "2.5.1", "2.6.0", "2.7.1", "2.8.0", "2.9.1", "2.10.0",
    "2.11.0", "2.12.1", "2.13.0", "2.14.1", "2.15.0",
)


def python_of(release: str) -> str:
    """The Python a release is installed on here: 3.7 for 1.x, 3.11 for 2.x."""
    return "3.7" if release.startswith("1.") else "3.11"


def key(release: str) -> Tuple[int, ...]:
    """A release's sort key ("1.10.2" after "1.9.1")."""
    return tuple(int(part) for part in release.split("."))


__all__ = ["RELEASES", "key", "python_of"]
