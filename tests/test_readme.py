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


MAX_WORDS = 35


def _sentences(text: str) -> list[str]:
    """README prose split into sentences, for the length rule.

    Rule: skip fenced code blocks (```), table rows (lines starting with `|`) and headings (`#`).
    Each bullet item and each paragraph is its own block; a sentence never spans two blocks.
    An inline code span counts as one word, a link `[text](url)` as its text's words.
    A block splits at `.`, `!` or `?` followed by whitespace and an uppercase letter, backtick, `*`, `[` or `(`.
    Words are whitespace-separated tokens.
    """
    blocks, cur, fenced = [], [], False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("```"):
            fenced = not fenced
            blocks.append(cur); cur = []
            continue
        if fenced or s.startswith("|") or s.startswith("#") or not s:
            blocks.append(cur); cur = []
            continue
        if re.match(r"([-*+]|\d+[.)])\s", s):
            blocks.append(cur); cur = []
        cur.append(s)
    blocks.append(cur)
    out = []
    for b in blocks:
        if not b:
            continue
        t = " ".join(b)
        t = re.sub(r"`[^`]*`", "CODE", t)
        t = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", t)
        out += [p for p in re.split(r"(?<=[.!?])\s+(?=[A-Z`*\[(])", t) if p.strip()]
    return out


def test_readme_sentences_are_at_most_35_words():
    long = [s for s in _sentences(README) if len(s.split()) > MAX_WORDS]
    assert not long, "README sentences over %d words:\n" % MAX_WORDS + "\n".join(
        "%d words: %s" % (len(s.split()), s) for s in long)
