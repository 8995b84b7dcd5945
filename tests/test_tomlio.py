"""matrix.facts.tomlio: the one TOML reader (tomllib, or tomli before Python 3.11), for the catalog and
expected.toml."""
from __future__ import annotations

import ast
from pathlib import Path

from matrix import ROOT
from matrix.facts import catalog, expected, tomlio


def test_loads_a_file_as_plain_data(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('[[fail]]\nera = "legacy"\nreason = "é, in UTF-8"\n', encoding="utf-8")
    assert tomlio.load(path) == {"fail": [{"era": "legacy", "reason": "é, in UTF-8"}]}
    assert tomlio.load(str(path)) == tomlio.load(path)


def test_the_catalog_and_expected_toml_are_read_through_it(monkeypatch):
    read = []
    real = tomlio.load
    monkeypatch.setattr(tomlio, "load", lambda path: read.append(path) or real(path))
    assert catalog.load_catalog() and expected.load_expected()
    assert [Path(p).name for p in read] == ["catalog.toml", "expected.toml"]


def test_there_is_one_toml_reader():
    """Nothing in matrix/ imports tomllib or tomli but matrix/facts/tomlio.py."""
    readers = []
    for path in sorted((ROOT / "matrix").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n.split(".")[0] in ("tomllib", "tomli") for n in names):
                readers.append(path.relative_to(ROOT).as_posix())
    assert sorted(set(readers)) == ["matrix/facts/tomlio.py"]
