"""A fact lives in one place, matrix/catalog.toml; everything else points to an entry by its id.

Checked on the files that used to restate the catalog (shims/, variants/, matrix/expected.toml,
docs/prose/, the shim tests):

- every ``catalog: <id>`` pointer names an entry, and every shim a legacy variant imports sits under a
  pointer that the variant repeats where it uses the shim;
- every quoted message (``SomethingError: ...``, ``UserWarning: ...``) starts an entry's ``symptom``
  or one of its ``also_seen`` texts;
- every version claim ("since 0.4", "removed in 1.5", ``torch = ">=1.0"``) names a release the entry
  it points to cites, for what it claims (raising: ``fails``; warning: ``warns``); that no source names
  a release is said in the catalog only;
- every upstream link is one of the catalog's sources;
- matrix/expected.toml: each ``[[fail]]`` names its change, and its ``error`` starts that change's
  symptom or an also_seen text.

The last tests put the disagreements this file was written for back into copies and check that they
are caught.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ROOT
from matrix.facts.catalog import CITED_KEYS, by_id, cited_release, known_texts, load_catalog, split_message

Version = pytest.importorskip("packaging.version").Version
SpecifierSet = pytest.importorskip("packaging.specifiers").SpecifierSet

CATALOG = load_catalog()
ENTRIES = by_id(CATALOG)
POINTER = re.compile(r"catalog: ([a-z0-9]+(?:-[a-z0-9]+)*)")
#: the files that restated catalog facts, and the shim tests that compare messages torch gives
COPIES = sorted([*ROOT.glob("shims/**/*.py"), *ROOT.glob("variants/**/*.py"), *ROOT.glob("docs/prose/*.md"),
                 *ROOT.glob("matrix/as_published/**/*.py"), ROOT / "matrix" / "as_published" / "README.md",
                 ROOT / "matrix" / "expected.toml", ROOT / "tests" / "test_torch_legacy_shims.py",
                 ROOT / "tests" / "test_tf1_shim.py", ROOT / "tests" / "test_probes.py"])
#: where a pointer may stand (everything of ours that is not the catalog itself)
POINTING = sorted({*COPIES, *ROOT.glob("matrix/**/*.py"), *ROOT.glob("tests/*.py"), ROOT / "noxfile.py"}
                  - {Path(__file__).resolve()})
#: matrix/running/cell.py's reason for a script that exits 0 without a loss line; what follows is what it printed
NO_LOSS_LINE = "exit status 0 but no `step loss` line on stdout (it printed '"


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ------------------------------------------------------------------------------------ the checkers
MESSAGE = re.compile(r"(?<![\w.])((?:_pickle\.)?[A-Z][A-Za-z0-9_]*(?:Error|Warning|Exception)): (?=[^\s#])")
QUOTES = "'\"`"


def quoted_messages(text: str) -> list[tuple[int, str]]:
    """(line, "Category: message") for each message quoted in ``text``: up to the closing quote when it
    opens with one (a wrapped comment or an implicitly concatenated string joined first), else to the
    end of its line."""
    joined = re.sub(r"\"\s*\n\s*f?\"", "", text)  # "...CUDA " \n "enabled." -> one literal
    joined = re.sub(r"\n[ \t]*#[ \t]?", "\n# ", joined)
    out = []
    for m in MESSAGE.finditer(joined):
        line = joined.count("\n", 0, m.start()) + 1
        opener = joined[m.start() - 1] if m.start() else ""
        if opener in QUOTES:
            end = joined.find(opener, m.end())
            body = joined[m.start():end if end >= 0 else None]
            body = re.sub(r"\s*\n#\s*", " ", body)
        else:
            end = joined.find("\n", m.end())
            body = joined[m.start():end if end >= 0 else None]
        body = re.sub(r"\s*(?:\.\.\.|\u2026)$", "", re.sub(r"\s+", " ", body).strip().rstrip("\\"))  # elided
        out.append((line, body))
    return out


def message_is_known(quoted: str, changes=CATALOG) -> bool:
    """``quoted`` starts a symptom or an also_seen text, or (an also_seen text being the start of one)
    carries on from one; or it is the message a prose symptom quotes."""
    for change in changes:
        for i, known in enumerate(known_texts(change)):
            if known.startswith(quoted) or (i > 0 and quoted.startswith(known)):
                return True
            if split_message(known)[0] is None and quoted in known:
                return True
    return False


CLAIM = re.compile(r"\b(?:since|from|as of|removed in|deprecated in|in|until)\s+(?:PyTorch\s+|torch\s+|TensorFlow\s+)?"
                   r"v?(\d+\.\d+(?:\.\d+)?)\b", re.I)
FAIL_WORDS = re.compile(r"\b(?:rais\w*|errors?|fail\w*|removed|[A-Z]\w*Error)\b")
WARN_WORDS = re.compile(r"\b(?:warn\w*|deprecat\w*)\b", re.I)
UNKNOWN_RELEASE = re.compile(r"\b(?:release|version)\b[^.;]*\b(?:not found|never found|unknown)\b", re.I)


def sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(sep, 0, start) for sep in (". ", "; ", "\n\n", ".\n"))
    right = [i for i in (text.find(sep, end) for sep in (". ", "; ", "\n\n", ".\n")) if i >= 0]
    return text[left + 1:min(right) if right else None]


def cited(change) -> dict:
    return {k: cited_release(change["cited_versions"][k]) for k in CITED_KEYS if change["cited_versions"].get(k)}


def claim_problem(change, version: str, sentence: str):
    """Why a claim of ``version`` in ``sentence`` disagrees with ``change``'s cited versions (None if not)."""
    versions = cited(change)
    fails, warns = FAIL_WORDS.search(sentence), WARN_WORDS.search(sentence)
    keys = ["fails"] if fails and not warns else ["warns"] if warns and not fails else list(versions)
    allowed = [versions[k] for k in keys if k in versions]
    if Version(version) in allowed:
        return None
    said = ", ".join(f"{k} {versions[k]}" for k in keys if k in versions) or "no release"
    return f"claims {version} ({sentence.strip()!r}); catalog {change['id']} cites {said}"


def nearest_pointer(lines: list[str], index: int, reach: int = 8):
    """The id of the pointer on line ``index`` or the nearest one within ``reach`` lines (above first)."""
    for distance in range(reach + 1):
        for i in (index - distance, index + distance):
            if 0 <= i < len(lines):
                m = POINTER.search(lines[i])
                if m:
                    return m.group(1)
    return None


def version_claims(path: Path, text: str, changes=CATALOG) -> list[str]:
    """Each version claim in ``text`` that names no entry or disagrees with the one it points to."""
    entries, lines, problems = by_id(changes), text.splitlines(), []
    for m in CLAIM.finditer(text):
        line = text.count("\n", 0, m.start())
        pointer = nearest_pointer(lines, line)
        where = f"{rel(path) if path.is_absolute() else path}:{line + 1}"
        if pointer is None or pointer not in entries:
            problems.append(f"{where}: a version claim ({m.group(0)!r}) with no catalog pointer next to it: point to "
                            "the entry (# catalog: <id>) or leave the version to the catalog")
            continue
        why = claim_problem(entries[pointer], m.group(1), sentence_around(text, m.start(), m.end()))
        if why:
            problems.append(f"{where}: {why}")
    for m in UNKNOWN_RELEASE.finditer(text):
        problems.append(f"{path}:{text.count(chr(10), 0, m.start()) + 1}: says a release is unknown "
                        f"({m.group(0)!r}): say so in the catalog only (cited_versions.note)")
    return problems


URL = re.compile(r"https?://[^\s)\"'>`\]]+")


def catalog_sources(changes=CATALOG) -> set:
    """The entries' sources, and the links inside the messages they quote (torch's own doc links)."""
    quoted = {url for change in changes for text in known_texts(change) for url in URL.findall(text)}
    return {url.rstrip("/") for change in changes for url in change["sources"]} | {u.rstrip("/.") for u in quoted}


def expected_problems(entries: list[dict], changes=CATALOG) -> list[str]:
    """matrix/expected.toml against the catalog: a change named, an error it knows, bounds it cites."""
    known, problems = by_id(changes), []
    for entry in entries:
        name = f"[[fail]] {entry.get('era')}/{entry.get('example')} ({entry.get('mode', 'variant')})"
        change = known.get(entry.get("change"))
        if change is None:
            problems.append(f"{name}: change {entry.get('change')!r} is no catalog entry")
            continue
        error = entry.get("error")
        if error is not None:
            start = error[len(NO_LOSS_LINE):] if error.startswith(NO_LOSS_LINE) else error
            if not any(text.startswith(start) for text in known_texts(change)):
                problems.append(f"{name}: error {error!r} starts neither the symptom nor an also_seen text of {change['id']}")
        versions = list(cited(change).values())
        for library in ("torch", "tensorflow", "numpy"):
            if library not in entry:
                continue
            bounds = [Version(s.version) for s in SpecifierSet(entry[library]) if s.operator in (">=", ">")]
            if library != "torch" and change.get("depends_on") != library:
                problems.append(f"{name}: bounds {library} but {change['id']} does not depend on it")
            for bound in bounds:
                if bound not in versions:
                    problems.append(f"{name}: {library} {entry[library]!r} but {change['id']} cites "
                                    f"{', '.join(map(str, versions)) or 'no release'}")
    return problems


def why_problems(changes=CATALOG) -> list[str]:
    """An entry whose prose says no release was found cites none (and the other way round)."""
    return [f"{c['id']}: the why says {m.group(0)!r} but cited_versions names {sorted(cited(c))}"
            for c in changes for m in [re.search(r"\b(?:which|no|the) release\b[^.;]*\bnot found\b", c["why"])]
            if m and cited(c)]


# ---------------------------------------------------------------------------------- the project
def test_every_pointer_names_an_entry():
    bad = [f"{rel(p)}: catalog: {m.group(1)}" for p in POINTING for m in POINTER.finditer(p.read_text(encoding="utf-8"))
           if m.group(1) not in ENTRIES]
    assert not bad, bad


def shim_pointers(path: Path) -> dict:
    """Each top-level name a shims/ module defines -> the id of the nearest pointer above it."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) or (
                isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)):
            name = node.name if not isinstance(node, ast.Assign) else node.targets[0].id
            above = [POINTER.search(line) for line in lines[:node.lineno - 1]]
            found = [m.group(1) for m in above if m]
            out[name] = found[-1] if found else None
    return out


@pytest.mark.parametrize("module", ["torch_legacy", "tf1"])
def test_every_shim_sits_under_a_pointer(module):
    path = ROOT / "shims" / f"{module}.py"
    public = [n for n, _ in shim_pointers(path).items() if not n.startswith("_") and n != "__all__"]
    pointers = shim_pointers(path)
    assert public
    missing = [n for n in public if pointers[n] not in ENTRIES]
    assert not missing, f"shims/{module}.py: no '# catalog: <id>' above {missing}"


@pytest.mark.parametrize("path", sorted(ROOT.glob("variants/legacy/*.py")), ids=lambda p: p.name)
def test_a_variant_points_to_the_entry_of_each_shim_it_uses(path):
    text = path.read_text(encoding="utf-8")
    ids = set(POINTER.findall(text))
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shims.") and node.module != "shims.flags":
            pointers = shim_pointers(ROOT / "shims" / f"{node.module.split('.')[1]}.py")
            for alias in node.names:
                assert pointers.get(alias.name) in ids, \
                    f"{rel(path)} uses {alias.name}: add '# catalog: {pointers.get(alias.name)} (matrix/catalog.toml)' where"


@pytest.mark.parametrize("path", COPIES, ids=rel)
def test_quoted_messages_start_a_catalog_text(path):
    text = path.read_text(encoding="utf-8")
    unknown = [f"{rel(path)}:{line}: {quoted!r}" for line, quoted in quoted_messages(text)
               if not message_is_known(quoted)]
    assert not unknown, ("messages that start no symptom or also_seen text in matrix/catalog.toml (add the text "
                         "there, or read it from there):\n" + "\n".join(unknown))


@pytest.mark.parametrize("path", [p for p in COPIES if p.suffix != ".toml"], ids=rel)
def test_version_claims_agree_with_the_entry_they_point_to(path):
    problems = version_claims(path, path.read_text(encoding="utf-8"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", COPIES, ids=rel)
def test_links_are_catalog_sources(path):
    sources = catalog_sources()
    stray = [url for url in URL.findall(path.read_text(encoding="utf-8")) if url.rstrip("/.,;:") not in sources]
    assert not stray, f"{rel(path)}: links that are no catalog source (move the fact and its link into the entry): {stray}"


def test_expected_failures_agree_with_the_catalog():
    from matrix.facts import expected

    entries = expected.load_expected()
    assert entries and all("change" in e for e in entries), "every [[fail]] names its change"
    problems = expected_problems(entries)
    assert not problems, "\n".join(problems)
    for entry in entries:  # the reasons' version claims too
        change = ENTRIES[entry["change"]]
        for m in CLAIM.finditer(entry["reason"]):
            why = claim_problem(change, m.group(1), sentence_around(entry["reason"], m.start(), m.end()))
            assert why is None, f"matrix/expected.toml ({entry['change']}): {why}"


def test_the_no_loss_line_words_are_matrix_cells():
    """The one harness text an expected error may start with is what matrix/running/cell.py writes."""
    cell_py = (ROOT / "matrix" / "running" / "cell.py").read_text(encoding="utf-8")
    assert NO_LOSS_LINE.split(" (it printed")[0] in cell_py


def test_an_entry_that_found_no_release_cites_none():
    assert not why_problems()


# ------------------------------------------------- the disagreements this file exists for, put back
def test_catches_a_variant_that_says_zero_dim_indexing_raises_since_0_4():
    """variants/legacy/autograd.py said loss.data[0] raises since 0.4; the catalog: 0.4 only warned."""
    text = ("    # (Since PyTorch 0.4 loss.data is 0-dim and loss.data[0] raises; item0 reads it.)\n"
            "    # catalog: zero-dim-index (matrix/catalog.toml)\n")
    problems = version_claims(Path("variants/legacy/autograd.py"), text)
    assert len(problems) == 1 and "fails 1.0.0" in problems[0]
    fixed = text.replace("raises", "warns")
    assert version_claims(Path("variants/legacy/autograd.py"), fixed) == []
    assert version_claims(Path("x.py"), "# since PyTorch 0.4 it raises\n") != []  # no pointer: flagged too


def test_catches_a_release_cited_where_the_sources_name_none():
    """grad-none-zero: docs said "Fails since 0.1.12: cited", the shim "exact release not found"."""
    entry = dict(ENTRIES["grad-none-zero"])
    assert why_problems([entry]) == []
    entry["cited_versions"] = {"fails": "0.1.12", "source": "https://github.com/jcjohnson/pytorch-examples/issues/7",
                               "verified": True, "note": "issue 7 reports it on 0.1.12_2"}
    assert why_problems([entry]) != []
    shim = "# Needed since: a 0.1.x release of early 2017 (exact release not found)\n# catalog: grad-none-zero\n"
    assert any("in the catalog only" in p for p in version_claims(Path("shims/torch_legacy.py"), shim))


def test_catches_a_fact_only_a_copy_has():
    """shims/torch_legacy.py cited PR 11679 and a forum post the catalog lacked."""
    without = [dict(c, sources=[u for u in c["sources"] if "11679" not in u]) for c in CATALOG]
    assert "https://github.com/pytorch/pytorch/pull/11679" not in catalog_sources(without)
    assert "https://github.com/pytorch/pytorch/pull/11679" in catalog_sources()
    forum = "https://discuss.pytorch.org/t/userwarning-size-average-and-reduce-args-will-be-deprecated/24629/2"
    assert forum not in catalog_sources()


def test_catches_messages_and_bounds_that_disagree():
    assert message_is_known("IndexError: invalid index of a 0-dim tensor")
    assert message_is_known("UserWarning: size_average and reduce args will be deprecated, please use reduction='none' instead.")
    assert not message_is_known("IndexError: invalid index of a 0-dim tensor in PyTorch 0.4")
    assert quoted_messages('x = "IndexError: invalid " \n    "index"  # y\n') == [(1, "IndexError: invalid index")]
    published = {"era": "legacy", "example": "autograd", "mode": "as_published", "change": "zero-dim-index",
                 "reason": "r"}
    assert expected_problems([dict(published, torch=">=1.0", error="IndexError: invalid index of a 0-dim tensor")]) == []
    assert expected_problems([dict(published, torch=">=0.5")]) != []  # 0.5 is no cited release
    assert expected_problems([dict(published, error="IndexError: index 0 is out of bounds")]) != []
    assert expected_problems([dict(published, change="no-such-change")]) != []
