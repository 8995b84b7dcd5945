"""The one TOML reader: ``tomllib`` on Python 3.11+, ``tomli`` (the same API) before.

    from matrix.facts import tomlio
    data = tomlio.load("matrix/catalog.toml")

Used by :mod:`matrix.facts.catalog` and :mod:`matrix.facts.expected` on the nox side only: nothing that runs
inside a matrix cell reads TOML (those interpreters may have neither module).
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict


def toml_module() -> Any:
    """``tomllib``, or ``tomli`` before Python 3.11 (nox depends on it there; docs and report install it)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.9/3.10 only
        import tomli as tomllib
    return tomllib


def load(path: str | os.PathLike) -> Dict[str, Any]:
    """The TOML file at ``path`` as plain dicts and lists (UTF-8, as TOML requires)."""
    with open(path, "rb") as handle:
        return toml_module().load(handle)
