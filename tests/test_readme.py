"""The README's two commands are the ones the project runs: CI calls the test command, nox knows both."""
from __future__ import annotations

import re

from matrix import ROOT

README = (ROOT / "README.md").read_text()
COMMANDS = re.findall(r"^pip install nox uv && (nox [^#\n]*?)\s*(?:#.*)?$", README, flags=re.M)


def test_readme_has_a_main_command_and_a_test_command():
    assert COMMANDS == ["nox -s modern legacy", "nox -s tests"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r'^run "tests" -s tests\b', ci, flags=re.M), "the .ci/run step must be `nox -s tests`"
    assert COMMANDS[1] == "nox -s tests"


def test_readme_links_the_guide():
    assert "(docs/migration.md)" in README and (ROOT / "docs" / "migration.md").exists()
