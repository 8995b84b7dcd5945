"""matrix.pages and docs/generate.py: the committed files are what docs/generate.py makes from the
committed catalog, variants and results; the recorded results are complete; the pages say what the
derivations found (status cells, versions, attributions), checked on tests/fixtures/; the command
line works.

The markdown and the figure data (docs/img/manifest.json) are compared without matplotlib. PNG
files: Agg's bytes depend on the matplotlib and FreeType builds, so the PNG bytes are compared only
under the matplotlib version recorded in the manifest (otherwise each figure must exist and be a
PNG without metadata), and only where matplotlib is installed.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, change, rec
from matrix.records import divergence, observations
from matrix import pages
from matrix.facts.catalog import load_catalog, load_unrelated_warnings
from matrix.probes import probe_name
from matrix.pages import cells, compat, versions
from matrix.pages import text as markdown  # "text" is a local name in the tests

FIXTURES = ROOT / "tests" / "fixtures" / "results"
RESULTS = ROOT / "results"
CATALOG = load_catalog()
UNRELATED = load_unrelated_warnings()
RERUN = "results/ is stale or incomplete: rerun the matrix (nox) and python docs/generate.py"


# ---------------------------------------------------------------- the committed docs


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """The pages and the manifest from the committed results, without drawing (no matplotlib needed)."""
    out = tmp_path_factory.mktemp("docs")
    pages.generate(RESULTS, out, draw_png=False)
    return out


@pytest.mark.parametrize("name", ["compat-matrix.md", "migration.md", "performance.md", "coverage.md",
                                  "img/manifest.json"])
def test_committed_docs_are_generated(regenerated, name):
    committed = ROOT / "docs" / name
    assert committed.exists(), f"docs/{name} missing: run python docs/generate.py"
    fresh = (regenerated / name).read_text(encoding="utf-8")
    if name.endswith("manifest.json"):  # the matplotlib version is the drawing machine's
        a, b = json.loads(committed.read_text()), json.loads(fresh)
        assert a["figures"] == b["figures"], "figure data changed: run python docs/generate.py"
        return
    old = committed.read_text(encoding="utf-8")
    if old != fresh:  # our own short diff: pytest's full diff of two pages this long takes minutes
        diff = list(difflib.unified_diff(old.splitlines(), fresh.splitlines(), "committed", "generated", lineterm=""))
        pytest.fail(f"docs/{name} is stale: run python docs/generate.py\n" + "\n".join(diff[:60]))


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("drawn")
    pages.generate(RESULTS, out)
    return out


def test_committed_figures(drawn):
    import matplotlib

    manifest = json.loads((ROOT / "docs" / "img" / "manifest.json").read_text())
    pngs = sorted(p.name for p in (ROOT / "docs" / "img").glob("*.png"))
    assert pngs == sorted(manifest["figures"]), "docs/img has figures the manifest does not list (or lacks some)"
    for name in pngs:
        data = (ROOT / "docs" / "img" / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert b"Software" not in data and b"Creation" not in data, f"{name}: non-deterministic metadata"
        if manifest.get("matplotlib") == matplotlib.__version__:
            # digests, not bytes: pytest's diff of two differing PNGs runs difflib over them for many minutes
            fresh = hashlib.sha256((drawn / "img" / name).read_bytes()).hexdigest()
            assert hashlib.sha256(data).hexdigest() == fresh, f"{name} differs: regenerate"


# ---------------------------------------------------------------- the committed results


def ran_sessions(results_dir):
    return [s for s in observations.load_results(results_dir) if s.get("status") == "ran"]


def test_every_catalog_probe_has_a_record_in_every_ran_session():
    missing = []
    for s in ran_sessions(RESULTS):
        ids = {r.get("id") for r in s.get("probes") or []}
        missing += [f"{s['_slug']}: {probe_name(ch['id'])}" for ch in CATALOG if probe_name(ch["id"]) not in ids]
    assert not missing, (f"{RERUN}; {len(missing)} probe records missing, e.g. {missing[:5]}"
                         if len(missing) > 5 else f"{RERUN}; sessions without a record of these probes: {missing}")


def test_unexplained_differences_are_listed_in_the_page(regenerated):
    page = (regenerated / "migration.md").read_text()
    for line in divergence.unexplained_divergences(observations.load_results(RESULTS), CATALOG, UNRELATED):
        example_cpu, _, pins = line.partition(": torch ")
        assert example_cpu in page and pins.split(" (")[0] in page, line


# ---------------------------------------------------------------- how the pages read

FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def prose_lines(text):
    """(line number, line) outside fenced code blocks."""
    fence = None
    for i, line in enumerate(text.splitlines(), 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m[1]
            continue
        if fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
            continue
        yield i, line


def blocks(text):
    """Paragraphs and list items outside code blocks, their wrapped lines joined (a statement and its
    reference may sit on two lines of the file)."""
    out = []
    for _, line in prose_lines(text):
        stripped = line.strip()
        if not stripped:
            out.append("")
        elif re.match(r"^(\s*[-*] |\[e?\d+\] |[|#<])", line) or not out or out[-1] == "":
            out.append(stripped)
        else:
            out[-1] += " " + stripped
    return [b for b in out if b]


#: internal terms of the recorder (matrix/running/cell.py, matrix/probes.py) that a reader should not meet:
#: what it looked for instead of what the script did, its own names for a run and a check
HARNESS = re.compile(r"\bprobes?\b|\bprobe's\b|\bcells?\b|\bexit status\b|\bstep loss\b|\bstdout\b|\bstderr\b|"
                     r"\bnot_run\b|\bpassed_with_warnings\b|\bXPASS\b|\b(matrix|nox|this|each)\s+sessions?\b|"
                     r"\btrace report\b|matrix\.probes", re.I)


def harness_words(text):
    """Harness words in the prose of a page (paragraphs and list items, wrapped lines joined): link
    targets, autolinks and repository paths left out (`[matrix/probes.py](../matrix/probes.py)` names
    a file, not a concept)."""
    found = []
    for block in blocks(text):
        block = re.sub(r"\]\([^)]*\)", "]", block)
        block = re.sub(r"<https?://[^>]*>", "", block)
        block = re.sub(r"[\w.-]*(/[\w.*<>-]+)+/?", "", block)   # matrix/probes.py, results/*.json
        found += [f"{m[0]!r} in {block[:160]}" for m in HARNESS.finditer(block)]
    return found


def long_lines(text, limit=300):
    return [f"{i}: {line[:80]}..." for i, line in prose_lines(text)
            if len(line) > limit and not line.lstrip().startswith("|")]


@pytest.mark.parametrize("name", ["compat-matrix.md", "migration.md"])
def test_no_harness_words_reach_the_reader(regenerated, fixture_pages, name):
    for pages_dir in (regenerated, fixture_pages):
        assert not harness_words((pages_dir / name).read_text()), pages_dir / name


def test_the_harness_word_check_finds_them():
    page = "- `legacy/tensors` fails: exit status 0 but no `step loss` line on stdout\nProbe `matrix.probes.x`.\n"
    assert len(harness_words(page)) == 5
    assert harness_words("Checked by `x` in [matrix/probes.py](../matrix/probes.py).\n```\ncell = 1\n```\n") == []
    assert harness_words("TensorFlow 2 moved the graph-and-session API; tf.Session is gone.\n") == []
    assert len(harness_words("with the NumPy each\nsession installed\n")) == 1, "across a wrapped line too"


def test_recorded_reasons_in_the_readers_words():
    said = markdown.reader_text("exit status 0 but no `step loss` line on stdout (it printed '0 tensor(29428664.)' "
                                "instead)")
    assert said == "prints `0 tensor(29428664.)` instead of a number"
    assert markdown.reader_text("probe tf1_graph: killed by SIGSEGV; matrix.probes exited 0 without records for "
                                "numpy_abi") == "the check tf1_graph: killed by SIGSEGV; the checks ended without a " \
                                               "result for numpy_abi"
    assert markdown.reader_text("no NVIDIA GPU on this machine") == "no NVIDIA GPU on the recording machine"
    assert markdown.reader_words("The probe records the probe's value.") == "The check records the check's value."


@pytest.mark.parametrize("name", ["compat-matrix.md", "migration.md"])
def test_no_long_lines_outside_code_and_tables(regenerated, fixture_pages, name):
    for pages_dir in (regenerated, fixture_pages):
        assert not long_lines((pages_dir / name).read_text()), pages_dir / name


def test_wrapping_keeps_markdown_blocks():
    line = "- " + " ".join(["word"] * 30) + " `a code span that is long` " + " ".join(["- dash 1. one"] * 10)
    wrapped = markdown.wrap_line(line, 60)
    assert all(w.startswith("  ") for w in wrapped[1:]), "list items continue indented"
    assert not any(re.match(r"^\s*([-*+#>|]|\d+[.)] )", w) for w in wrapped[1:])
    assert " ".join(w.strip() for w in wrapped) == line, "no word lost or split"
    assert any("`a code span that is long`" in w for w in wrapped)
    assert markdown.wrap_markdown("```\n" + "x " * 200 + "\n```") == "```\n" + "x " * 200 + "\n```"
    assert markdown.wrap_line("[1] " + "y " * 80 + " ", 50)[-1].endswith("  "), "a hard break stays at the end"


# ---------------------------------------------------------------- measured statements

REF = re.compile(r"\[(?P<letter>[A-Z]|M\d+)\]\(#measured\)")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}( to \d{4}-\d{2}-\d{2})?")


def provenance_rows(page):
    """'How these were measured': letter -> torch pin -> the row's cells."""
    section = page.split("\n## How these were measured\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 9 and re.fullmatch(r"[A-Z]|M\d+", cells[0]):
            rows.setdefault(cells[0], {})[cells[2]] = cells
    return rows


def unsupported_measured_lines(pages_dir, sessions):
    """Statements that call something measured without a reference to the runs table, references to a
    machine the table lacks, pins of a 'Measured' line that the table lacks for that machine, and
    table rows without a torch build, a recorded CPU and a date."""
    prose = set()
    for p in (ROOT / "docs" / "prose").glob("*.md"):
        prose |= set(blocks(p.read_text()))
    page = (pages_dir / "migration.md").read_text()
    rows = provenance_rows(page)
    cpus = {observations.cpu_of(s) for s in sessions if s.get("status") == "ran"}
    bad = [f"row {letter} {pin}: {cells}" for letter, by_pin in rows.items() for pin, cells in by_pin.items()
           if cells[1] not in cpus or cells[3] in ("", "-") or not DATE.fullmatch(cells[7])]
    section = set(blocks(page.split("\n## How these were measured\n", 1)[1].split("\n## ", 1)[0]))
    for block in blocks(page):
        if block in prose or block in section:
            continue
        if block.startswith(("#", "<")):
            continue
        said = len(re.findall(r"measured", re.sub(r"not measured|\(#measured\)|How these were measured", "", block),
                              flags=re.I))
        refs = REF.findall(block)
        if said and not refs:
            bad.append(block[:300])
        bad += [f"unknown machine {r}: {block[:200]}" for r in refs if r not in rows]
        m = re.match(r"^- \*\*Measured\*\* \[(\w+)\]\(#measured\)[^:]*: (.*)$", block)
        if m:
            for item in m[2].split(" · "):
                pin = item.split(" ")[0]
                letters = REF.findall(item) or [m[1]]
                bad += [f"pin {pin} not in the table for {x}" for x in letters if pin not in rows.get(x, {})]
    return bad


def test_measured_statements_name_torch_cpu_and_date_fixture(fixture_pages, sessions):
    assert not unsupported_measured_lines(fixture_pages, sessions)
    page = (fixture_pages / "migration.md").read_text()
    rows = provenance_rows(page)
    assert rows["A"]["2.15.0"] == ["A", "Intel(R) Xeon(R) Processor (CPU)", "2.15.0", "2.15.0+cu132", "3.11.7", "2.4.6",
                                   "2.21.0", "2026-01-05", "0123abc"]
    assert rows["B"]["2.15.0"][1] == "AMD EPYC (CPU)"
    assert "measured here on" not in page, "the provenance is said once, not per statement"


def test_measured_statements_name_torch_cpu_and_date(regenerated):
    assert not unsupported_measured_lines(regenerated, observations.load_results(RESULTS))
    page = (regenerated / "migration.md").read_text()
    assert page.count("## How these were measured") == 1 and "measured here on" not in page


def test_provenance_table_comes_from_the_records(regenerated):
    rows = provenance_rows((regenerated / "migration.md").read_text())
    for s in ran_sessions(RESULTS):
        letter = next(x for x, by_pin in rows.items() if s["torch_pin"] in by_pin and
                      by_pin[s["torch_pin"]][1] == observations.cpu_of(s))
        cells = rows[letter][s["torch_pin"]]
        assert (s.get("torch_build") or s.get("torch")) in cells[3].split(", ")
        assert s["date"][:10] in cells[7] and s["commit"] in cells[8]
        assert s["python"] in cells[4].split(", ") and s["numpy"] in cells[5].split(", ")


# ---------------------------------------------------------------- the version answer, on fake records


def test_version_statement_measured_line_and_cited_line():
    obs = [rec("works", "1.8.1", torch="1.8.1+cu102"), rec("warns", "2.4.1", torch="2.4.1+cu121"),
           rec("errors", "2.15.0", torch="2.15.0+cu132")]
    lines = versions.version_statement(change(warns="2.4.0", fails="2.6.0"), obs)
    assert lines[0] == "- **Measured** [A](#measured): 1.8.1 runs · 2.4.1 warns · 2.15.0 fails"
    assert lines[1:3] == [
        "- **Bracketed** [A](#measured): runs on 1.8.1, warns on 2.4.1 (measured); in between, the source cites "
        "2.4.0 ([source](https://example.org/notes))",
        "- **Bracketed** [A](#measured): warns on 2.4.1, fails on 2.15.0 (measured); in between, the source cites "
        "2.6.0 ([source](https://example.org/notes))"]
    assert lines[3] == "- **Cited** ([source](https://example.org/notes)): warns since 2.4.0 · fails since 2.6.0"
    assert len(lines) == 4 and "changes" not in "\n".join(lines).lower()   # not a silent change


def test_version_statement_marks_inferred_releases():
    obs = [rec("errors", "1.8.1", torch="1.8.1"), rec("errors", "2.15.0")]
    cited = change(kind="error", warns="0.4.0", fails="1.0.0", verified=["warns"])
    lines = versions.version_statement(cited, obs)
    assert lines == ["- **Measured** [A](#measured): 1.8.1 fails · 2.15.0 fails",
                     "- **Not bracketed** [A](#measured): fails already on 1.8.1, the oldest pin whose check ran; "
                     "the first release that fails is not measured here; the source cites 1.0.0 *(inferred)* "
                     "([source](https://example.org/notes))",
                     "- **Cited** ([source](https://example.org/notes)): warns since 0.4.0 · fails since 1.0.0 "
                     "*(inferred)*"]


def test_version_statement_nothing_measured_and_no_source():
    ch = {"id": "c", "kind": "silent", "cited_versions": {"note": "no upstream note found: searched X."}}
    text = "\n".join(versions.version_statement(ch, [rec("not_run", detail="no torch.func here")]))
    assert "- **Not measured here**: no recorded check ran (on torch 2.4.1): no torch.func here" in text
    assert "- **Cited**: no release named by a source" in text
    assert versions.source_note(ch) == ["No release named by a source: no upstream note found: searched X."]
    assert ".." not in text and ".;" not in text


def test_pin_outcome_line_names_each_machine_where_they_differ():
    ch = change()
    obs = [rec("works", "1.8.1"), rec("warns", "2.4.1"), rec("errors", "2.15.0"),
           rec("crashed", "2.15.0", cpu="CPU B"), rec("not_run", "1.13.1", detail="no functorch")]
    line = versions.pin_outcomes(ch, obs, versions.Provenance.of_observations(obs))
    assert line == ("**Measured** [A](#measured) (2.15.0 also [B](#measured)): 1.8.1 runs · 1.13.1 not run · "
                    "2.4.1 warns · 2.15.0 fails [A](#measured), crashed [B](#measured)")


def test_library_dependent_outcome_names_the_library_version():
    ch = dict(change(kind="removal", fails="TensorFlow 2.0.0"), depends_on="tensorflow")
    obs = [rec("errors", "1.8.1", tensorflow="2.12.1"), rec("errors", "2.15.0", tensorflow="2.21.0")]
    text = "\n".join(versions.version_statement(ch, obs))
    assert "- **Measured** [A](#measured): 1.8.1 fails (TensorFlow 2.12.1) · 2.15.0 fails (TensorFlow 2.21.0)" in text
    assert "fails since TensorFlow 2.0.0" in text
    notes = markdown.Footnotes()
    assert compat.probe_text(ch, obs[0], notes) == "**errors** (?), TensorFlow 2.12.1"


def test_value_lines_per_machine():
    ch = dict(change(kind="silent"), compare=["mm"])
    obs = [rec("works", "1.13.1", value={"mm": "a" * 16}), rec("works", "2.0.1", value={"mm": "b" * 16}),
           rec("works", "1.13.1", cpu="CPU B", value={"mm": "c" * 16})]
    lines = versions.value_lines(ch, obs, versions.Provenance.of_observations(obs))
    assert lines == ["**Values change** at 2.0.1 (vs 1.13.1) [A](#measured): `aaaaaaaa` -> `bbbbbbbb`",
                     "**Values** [B](#measured): 1.13.1, the only pin measured there: `cccccccc`"]


def test_crashed_and_not_run_probes_are_never_works():
    ch = change()
    notes = markdown.Footnotes()
    crashed = rec("crashed", error={"type": "crash", "message": "killed by SIGSEGV: boom"})
    assert compat.probe_text(ch, crashed, notes) == "**crashed** [1]" and notes.reasons == ["killed by SIGSEGV: boom"]
    assert compat.probe_text(ch, rec("not_run", detail="probe tf1_graph: crashed"), notes) == "not run [2]"
    assert notes.reasons[1] == "the check tf1_graph: crashed"
    assert "runs" not in versions.pin_outcomes(ch, [crashed, rec("not_run", "2.0.1")],
                                               versions.Provenance.of_observations([crashed]))


def test_clean_message_and_sentence():
    raw = "\x1b[1mbold\x1b[0m deprecated. (Triggered internally at /__w/pytorch/x.cpp:409.)"
    assert observations.clean_message(raw) == "bold deprecated."
    assert markdown.sentence("a note.") == "a note." and markdown.sentence("a note;") == "a note."


# ---------------------------------------------------------------- pages from the fixture results


@pytest.fixture(scope="module")
def sessions():
    return observations.load_results(FIXTURES)


@pytest.fixture(scope="module")
def fixture_pages(tmp_path_factory):
    out = tmp_path_factory.mktemp("fixture-docs")
    pages.generate(FIXTURES, out, draw_png=False)
    return out


def test_not_run_is_never_passed(sessions):
    for s in sessions:
        for c in s["cells"]:
            notes = markdown.Footnotes()
            text = cells.cell_text(c, notes)
            if c["status"] != "passed":
                assert not text.startswith("passed") or c["status"] == "passed_with_warnings"
            if c["status"] == "not_run":
                assert text == "not run [1]" and notes.reasons == [markdown.reader_text(c["reason"])]


def test_numbers_that_are_no_result_never_read_as_passed():
    notes, numbers = markdown.Footnotes(), markdown.Footnotes("n")
    diverged = {"status": "diverged", "reason": "loss nan at step 2 (first non-finite of 4 steps)",
                "losses": [[0, 1.0], [1, 0.5], [2, float("nan")], [3, float("nan")]]}
    assert cells.cell_text(diverged, notes, numbers) == "**diverged (nan at step 2)**"
    assert cells.cell_text(dict(diverged, losses=[[0, float("-inf")]]), notes) == "**diverged (-inf at step 0)**"
    unsteady = {"status": "nondeterministic", "reason": "loss at step 1 differs between runs with the same seed: "
                                                        "0.5 (run 1), 0.25 (run 2)"}
    assert cells.cell_text(unsteady, notes, numbers) == "**nondeterministic** [n1]"
    assert numbers.reasons == [unsteady["reason"]] and notes.reasons == []
    lines = compat.legend_lines([diverged, unsteady])
    assert [line.split("**")[1] for line in lines[:2]] == ["diverged (nan ...)", "nondeterministic"]
    assert compat.legend_lines([{"status": "passed"}]) == []  # said only under a table that needs it


def test_warnings_at_a_librarys_import_are_said_apart():
    notes = markdown.Footnotes()
    at_import = [{"category": "FutureWarning", "message": "x", "filename": "a.py", "lineno": 1,
                  "module": "tensorflow.python"},
                 {"category": "UserWarning", "message": "y", "filename": "b.py", "lineno": 2, "module": "numpy"}]
    assert cells.cell_text({"status": "passed", "import_warnings": at_import}, notes) == \
        "passed; 2 warnings at import of numpy, tensorflow"
    assert cells.cell_text({"status": "passed_with_warnings", "warnings": [{}], "import_warnings": at_import[:1]},
                           notes) == "passed, 1 warning; 1 warning at import of tensorflow"
    assert cells.cell_text({"status": "passed"}, notes) == "passed"  # records made before they were told apart
    assert "at import of" in compat.legend_lines([{"status": "passed", "import_warnings": at_import}])[0]


def test_a_page_with_untrusted_numbers_explains_them_in_the_readers_words():
    import copy

    sessions = copy.deepcopy(observations.load_results(FIXTURES))
    ran = [c for s in sessions for c in s["cells"] if c["status"] == "passed" and c.get("mode", "variant") == "variant"]
    ran[0].update(status="diverged", reason="loss inf at step 1 (first non-finite of 2 steps)",
                  losses=[[0, 1.0], [1, float("inf")]])
    ran[1].update(status="nondeterministic", reason="run 1 printed 2 loss lines, run 2 3; run 1 passed, run 2 "
                                                    "crashed: killed by SIGSEGV after step 2")
    ran[2]["import_warnings"] = [{"category": "FutureWarning", "message": "x", "filename": "f.py", "lineno": 1,
                                  "module": "tensorflow"}]
    page = compat.render_compat(CATALOG, sessions, ROOT / "docs" / "prose", UNRELATED)
    assert "**diverged (inf at step 1)**" in page and "**nondeterministic** [n1]" in page
    assert "passed; 1 warning at import of tensorflow" in page
    assert "Nondeterministic, and how the runs with the same seed differed:" in page
    assert "- **diverged (nan ...)**: the script ran to the end" in page
    assert harness_words(page) == []


def test_fixture_compat_page(fixture_pages):
    compat = (fixture_pages / "compat-matrix.md").read_text()
    ref = re.search(r"\| not run (\[\d+\]) \|", compat)               # a not-run entry, footnoted
    assert ref and f"{ref[1]} tensorflow is not installed in this run" in compat
    assert "**failed**: RuntimeError" in compat and "**crashed**" in compat
    # the CUDA column that holds nothing is left out and said once
    assert "torch 2.15.0 cuda<br>" not in compat
    assert "CUDA: not run on any pin — no CUDA device on the recording machine." in " ".join(compat.split())
    # one column per (pin, CPU); the other CPU's digest is its own
    assert "(2.15.0+cu132, py 3.11.7, AMD EPYC (CPU), 2026-01-05)" in compat
    assert "(2.4.1+cu121, py 3.11.7, Intel(R) Xeon(R) Processor (CPU), 2026-01-05)" in compat
    assert "works `mm 5a5a5a5a, t_mm a5a5a5a5`" in compat and "works `mm 117bdb16, t_mm c4f4c796`" in compat
    # a crashed check and a missing one, with the reasons
    flat = " ".join(compat.split())
    assert re.search(r"\*\*crashed\*\* \[\d+\]", compat) and "killed by SIGSEGV: Fatal Python error" in flat
    assert "**checks error**: the check tf1_graph: killed by SIGSEGV" in flat
    assert "the checks ended without a result for numpy_abi" in flat
    # TensorFlow's version with the TF1 outcome; unrelated warnings listed, not shown as the change's
    assert "**errors** (AttributeError), TensorFlow 2.12.1" in compat
    assert "unrelated warnings left out (see the list under the table): DeprecationWarning: " \
           "jax.xla_computation is deprecated" in flat
    assert "jax\\.xla_computation" in compat.split("Warnings left out as unrelated")[1]
    # silent changes: values per pin
    assert "**differs** `grad_after_data_write [1.0,3.0], expected_grad [2.0,4.0]`" in compat
    assert "**differs** `[0.0,0.0,1.0]`" in compat


def test_columns_that_hold_nothing_are_left_out(regenerated, sessions):
    page = (regenerated / "compat-matrix.md").read_text()
    tables = [ln for ln in page.split("## Examples x torch", 1)[1].split("## Changes x torch")[0].splitlines()
              if ln.startswith("| example |")]
    assert len(tables) == 3 and not any("cuda<br>" in t for t in tables)
    flat = " ".join(page.split())
    assert flat.count("CUDA: not run on any pin — no NVIDIA GPU on the recording machine") == 3  # once per era
    assert "CUDA: not run on any pin — no NVIDIA GPU on the recording machine" in \
        " ".join((regenerated / "migration.md").read_text().split())
    # the totals still count every column: every not-run cell of the era, the CUDA ones included
    for era in ("legacy", "tensor_autograd", "modern"):
        n = sum(1 for s in observations.load_results(RESULTS) if s.get("era") == era for c in s.get("cells") or []
                if c.get("status") == "not_run")
        assert n and re.search(rf"Totals \(every column, the ones left out too\):[^.]* not run {n}[,.]", flat), (era, n)
    # a column is left out only when all of it was not run for one and the same reason
    s = next(x for x in sessions if x["_slug"] == "legacy-torch1.8.1-cpu")
    assert compat.column_reason(s, "legacy") is None
    cuda = next(x for x in sessions if x["_slug"] == "modern-torch2.15.0-cuda")
    assert compat.column_reason(cuda, "modern") == "no CUDA device on the recording machine"
    mixed = dict(cuda, cells=[dict(c, reason="other") if i == 0 else c for i, c in enumerate(cuda["cells"])])
    assert compat.column_reason(mixed, "modern") is None


def change_section(page, change_id):
    return page.split(f'<a id="{change_id}"></a>', 1)[1].split("<a id=", 1)[0]


def test_each_change_answers_first(fixture_pages):
    """Message, fix (the new code), the measured 'pin: outcome' line and the cited line, before Why
    and before the evidence."""
    page = (fixture_pages / "migration.md").read_text()
    for ch in CATALOG:
        section = change_section(page, ch["id"])
        head = section.split("**Why**", 1)[0]
        assert ch["symptom"] in head and ch["new"] in head, ch["id"]
        assert "- **Measured** " in head or "- **Not measured here**" in head, ch["id"]
        assert "- **Cited**" in head, ch["id"]
        assert "<details><summary>Evidence</summary>" in section.split("**Why**", 1)[1], ch["id"]
        assert len(head.split("- **Cited**", 1)[0].splitlines()) < 40 + ch["new"].count("\n") + \
            ch["symptom"].count("\n"), ch["id"]


def test_pin_outcome_lines_follow_the_records(fixture_pages, sessions):
    """Re-derived from the raw fixture records: each pin's word on the 'Measured' line is what the check
    recorded on that pin (the first record that ran the old form, on the line's machine)."""
    page = (fixture_pages / "migration.md").read_text()
    obs = observations.probe_observations(sessions, CATALOG, UNRELATED)
    words = {"works": "runs", "warns": "warns", "errors": "fails", "differs": "differs", "not_run": "not run",
             "crashed": "crashed"}
    zero_dim = [b for b in blocks(change_section(page, "zero-dim-index")) if b.startswith("- **Measured**")]
    assert zero_dim == ["- **Measured** [A](#measured) (2.15.0 also [B](#measured)): 1.8.1 fails · 1.13.1 fails · "
                        "2.4.1 fails · 2.15.0 fails"]
    for ch in CATALOG:
        if ch.get("breakdown") or ch.get("depends_on"):
            continue
        (line,) = [b for b in blocks(change_section(page, ch["id"])) if b.startswith("- **Measured**")]
        for item in line.split(": ", 1)[1].split(" · "):
            pin, word = item.split(" ", 1)
            if "[" in word:           # the machines disagree: each word with its machine
                continue
            first = next((o for o in obs[ch["id"]] if o["_pin"] == pin and o["outcome"] in observations.RAN),
                         next(o for o in obs[ch["id"]] if o["_pin"] == pin))
            assert words[first["outcome"]] == word, (ch["id"], pin)


def test_fixture_migration_page(fixture_pages):
    migration = (fixture_pages / "migration.md").read_text()
    flat = " ".join(migration.split())
    assert "fails first on torch 1.13.1" not in migration.lower()       # no blanket removed-linalg claim
    assert re.search(r"\| `torch.symeig` \| `torch.linalg.eigh` \| works \| warns \[\d+\] \| \*\*errors\*\* "
                     r"\[\d+\] \| \*\*errors\*\* \[\d+\] \| 1.13.1 \| 2.4.1 \|", migration)
    assert "RuntimeError: This function was deprecated since version 1.9 and is now removed." in flat
    assert "- **Values change** at 2.4.1 (vs 1.13.1) [A](#measured): `module_zero_grad [[0.0,0.0]], " \
           "optimizer_zero_grad [[0.0,0.0]], momentum_step_of_unused_param -0.0899999737739563` -> " \
           "`module_zero_grad None, optimizer_zero_grad None, momentum_step_of_unused_param 0.0`" in flat
    data = [b for b in blocks(change_section(migration, "data-update-vs-no-grad")) if b.startswith("- **Measured**")]
    assert data == ["- **Measured** [A](#measured) (2.15.0 also [B](#measured)): 1.8.1 differs · 1.13.1 differs · "
                    "2.4.1 differs · 2.15.0 differs"]
    assert "| 2.15.0+cu132 | 2026-01-05 | 2800.0 | 64.7580878 | 20 |" in migration
    assert "| 2.15.0+cu132 | 2026-01-05 | 2800.0 | 64.7580878 | 20 | 0.009 | step 32: 225.448826 (224.572992) |" \
        in migration  # the largest difference, not only the last loss
    assert ("- torch 2.15.0 vs 2.4.1, from step 20 (largest difference at step 32: 224.572992 on 2.4.1, "
            "225.448826 on 2.15.0): **unexplained**") in flat
    assert "- torch 2.15.0 vs 1.8.1, from step 12 (largest difference at step 18: 2150.5765 on 1.8.1, 2150.72704 " \
           "on 2.15.0): attributed to [clamp(min=0) backward" in flat
    assert ".;" not in migration
    assert not re.search(r"\w\.\.(\s|$)", migration), "a sentence ending in '..'"


def test_difference_panels_where_lines_overlap():
    from matrix.pages import figures

    down = [[t, 1000.0 / (t + 1)] for t in range(100)]
    close = [[t, v * (1 + 1e-6)] for t, v in down]
    apart = [[t, v * 3] for t, v in down]
    spikes = [[t, v * (3 if t % 10 == 0 else 1 + 1e-6)] for t, v in down]
    line = lambda losses: {"losses": losses}  # noqa: E731
    assert figures.overlapping([line(down), line(close)])
    assert not figures.overlapping([line(down), line(apart)])
    assert figures.overlapping([line(down), line(spikes)]), "apart at a few spikes, on top of each other elsewhere"
    assert not figures.overlapping([line(down), line(down)]), "identical lines share one line, no panel"
    assert figures.relative_differences(down[:2], [[0, 1000.0], [1, 1000.0]]) == [[0, None], [1, 1.0]]


def test_committed_figures_show_a_difference_panel_where_lines_overlap(regenerated):
    manifest = json.loads((regenerated / "img" / "manifest.json").read_text())["figures"]
    autograd = manifest["autograd.png"]
    # against the oldest pin recorded for the era (torch 1.0.1 for legacy since its pins reach back there)
    oldest = min((s["torch_pin"] for s in observations.load_results(RESULTS)
                  if s["era"] == "legacy" and s.get("status") == "ran"), key=observations.version_key)
    assert any(d.startswith("legacy: |relative difference| of torch ") and f"2.15.0 to torch {oldest} " in d
               for d in autograd["difference_panels"]), autograd["difference_panels"]
    # modern dynamic_net: the lines are on top of each other but for spikes, so it gets a panel
    assert "modern" in [d.split(":")[0] for d in manifest["dynamic_net.png"]["difference_panels"]]
    assert "Difference panels (under the panels whose lines lie within 2 pixels of each other at most of the " \
        "steps where they differ):" in " ".join((regenerated / "migration.md").read_text().split())


def test_fixture_manifest_and_png_determinism(tmp_path):
    pytest.importorskip("matplotlib")
    pages.generate(FIXTURES, tmp_path)
    manifest = json.loads((tmp_path / "img" / "manifest.json").read_text())
    curves = manifest["figures"]["dynamic_net.png"]["curves"]
    assert "modern: torch 2.4.1 (Intel(R) Xeon(R) Processor (CPU), 2026-01-05)" in curves
    assert "modern: torch 2.15.0: differs from step 20 (Intel(R) Xeon(R) Processor (CPU), 2026-01-05)" in curves
    assert "tensor_autograd: torch 2.15.0 (AMD EPYC (CPU), 2026-01-05)" in curves
    first = {p.name: p.read_bytes() for p in sorted((tmp_path / "img").glob("*"))}
    pages.generate(FIXTURES, tmp_path)
    again = {p.name: p.read_bytes() for p in sorted((tmp_path / "img").glob("*"))}
    digest = lambda files: {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}  # noqa: E731
    assert digest(first) == digest(again)
    for name, data in first.items():
        if name.endswith(".png"):
            assert b"Software" not in data and b"Creation" not in data


def test_markdown_does_not_need_matplotlib(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("no matplotlib here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    written = pages.generate(FIXTURES, tmp_path, draw_png=False)
    assert sorted(written) == ["compat-matrix.md", "coverage.md", "manifest.json", "migration.md", "performance.md"]


def test_the_pages_read_the_catalog_once(tmp_path, monkeypatch):
    """matrix.facts.catalog.load_all: the three tables the pages use, from one read of catalog.toml."""
    from matrix.facts import catalog, tomlio

    read, real_load = [], tomlio.load
    monkeypatch.setattr(tomlio, "load", lambda path: read.append(path) or real_load(path))
    changes, unrelated, unavailable = catalog.load_all()
    assert len(read) == 1
    assert changes == load_catalog() and unavailable == catalog.load_unavailable_releases()
    assert [w["regex"].pattern for w in unrelated] == [w["pattern"] for w in load_unrelated_warnings()]
    read.clear()
    pages.generate(FIXTURES, tmp_path, draw_png=False)
    assert [p for p in read if str(p).endswith("catalog.toml")] == [catalog.CATALOG_PATH]

def _published(pin, status="failed", **kw):
    cell = {"era": "legacy", "example": "autograd", "mode": "as_published", "torch_pin": pin, "status": status,
            "expected": "fail", "change": "zero-dim-index", "device": "cpu", "device_name": "Some CPU (CPU)",
            "date": "2026-11-22T10:00:00Z", "losses": [],
            "error": {"type": "IndexError", "message": "invalid index of a 0-dim tensor. Use `tensor.item()`"},
            "reason": "expected failure (loss.data[0]): IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`"}
    cell.update(kw)
    return cell


def test_as_published_cells_render_under_their_change_and_never_as_curves():
    sessions = [{"_slug": f"legacy-torch{p}-cpu", "era": "legacy", "torch_pin": p, "device": "cpu",
                 "cells": [_published(p)]} for p in ("2.4.1", "1.8.1")]
    change = {"id": "zero-dim-index"}
    lines = cells.published_lines(change, sessions)
    assert lines[2] == ("- `legacy/autograd` fails on torch 1.8.1, 2.4.1: IndexError: invalid index "
                        "of a 0-dim tensor. Use `tensor.item()`")
    assert "measured" in lines[0]
    assert cells.published_lines({"id": "size-average"}, sessions) == []
    sessions[0]["cells"].append(dict(_published("2.4.1", status="passed", losses=[[0, 1.0]]), expected="fail"))
    assert divergence.curve_groups(sessions) == {}  # as-published cells are outcomes, not loss curves


def test_as_published_text_marks_expected_unexpected_and_passed():
    notes, errors = markdown.Footnotes(), markdown.Footnotes("e")
    assert cells.published_text(_published("2.4.1"), notes, errors) == "fails as expected [e1]"
    assert errors.reasons == ["IndexError: invalid index of a 0-dim tensor. Use `tensor.item()`"]
    other = _published("2.4.1", unexpected_error="IndexError", error={"type": "ImportError", "message": "x"})
    assert cells.published_text(other, notes, errors).startswith("**failed, not as expected**")
    assert cells.published_text(_published("2.4.1", status="passed"), notes, errors) == \
        "**passed**, though expected to fail"
    printed = _published("2.4.1", error=None, reason="expected failure (x): exit status 0 but no `step loss` line on "
                         "stdout (it printed '0 tensor(1.)' instead)")
    assert cells.published_error(printed) == "prints `0 tensor(1.)` instead of a number"
    assert cells.published_text(_published("2.4.1", status="not_run", reason="no GPU"), notes, errors).startswith("not run")
    diverged = _published("2.4.1", status="diverged", error=None, unexpected_error="status failed or crashed",
                          reason="diverged, not the failed or crashed that matrix/expected.toml expects: loss nan at "
                                 "step 3 (first non-finite of 5 steps)")
    assert cells.published_text(diverged, notes, errors).startswith("**diverged, not as expected** [e")


def test_as_published_lines_say_diverges_and_is_nondeterministic():
    sessions = [{"_slug": "legacy-torch2.4.1-cpu", "era": "legacy", "torch_pin": "2.4.1", "device": "cpu",
                 "cells": [_published("2.4.1", status="diverged", error=None, reason="loss nan at step 3"),
                           _published("2.4.1", example="nn", status="nondeterministic", error=None, reason="r")]}]
    lines = cells.published_lines({"id": "zero-dim-index"}, sessions)
    assert lines[2] == "- `legacy/autograd` diverges on torch 2.4.1: loss nan at step 3"
    assert lines[3] == "- `legacy/nn` is nondeterministic on torch 2.4.1: r"


def test_pages_rendered_elsewhere_link_the_repository_from_there(tmp_path):
    """A user's `nox -s report` writes runs/docs/: its links to variants/ go up two folders."""
    pages.generate(FIXTURES, tmp_path, draw_png=False, repo_link="../../")
    page = (tmp_path / "migration.md").read_text()
    assert "](../../variants/" in page and "](../variants/" not in page
    assert pages.relink("[a](../variants/x.py) [b](migration.md#y)") == "[a](../variants/x.py) [b](migration.md#y)"


# ---------------------------------------------------------------- the command line


def test_the_command_line_writes_the_pages(tmp_path, fixture_pages):
    """python docs/generate.py as nox -s docs and -s report run it: exit 0, the written files printed,
    the same pages as matrix.pages.generate."""
    out = tmp_path / "docs"
    run = subprocess.run([sys.executable, "docs/generate.py", "--no-png", "--results", "tests/fixtures/results",
                          "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == [str(out / "img" / "manifest.json"), str(out / "compat-matrix.md"),
                                       str(out / "migration.md"), str(out / "coverage.md"), str(out / "performance.md")]
    for name in ("compat-matrix.md", "migration.md", "coverage.md", "performance.md", "img/manifest.json"):
        assert (out / name).read_text() == (fixture_pages / name).read_text(), name


def test_releases_no_registry_offers_are_said_with_the_command_to_run_them(fixture_pages):
    """The legacy era's own releases (0.1-0.3) and 0.4: not installable from PyPI, said as cited (not
    measured) on both pages, with the noxfile's options for a torch the user installed."""
    from matrix.facts.catalog import load_unavailable_releases

    (entry,) = load_unavailable_releases()
    assert entry["releases"] == "0.1.x to 0.4.x" and entry["source"].startswith("https://pypi.org/project/torch")
    noxfile = (ROOT / "noxfile.py").read_text()
    assert "MATRIX_USE_INSTALLED=1" in noxfile and "MATRIX_PYTHON=/path/to/python" in noxfile
    for name in ("migration.md", "compat-matrix.md"):
        flat = " ".join((fixture_pages / name).read_text().split())
        assert "Not in the matrix: torch 0.1.x to 0.4.x, the releases the legacy and tensor_autograd eras were " \
               "written for — PyPI lists no torch release before 1.0.0" in flat, name
        assert "cited, not measured here); the oldest pin recorded for them is torch 1.8.1." in flat, name
        assert "`MATRIX_USE_INSTALLED=1 MATRIX_PYTHON=/path/to/python nox -s legacy tensor_autograd`" in flat, name


def test_the_cuda_type_text_and_set_default_device_are_quoted_per_pin(fixture_pages, sessions):
    """legacy-tensor-types: the text `.type(torch.cuda.FloatTensor)` gave on each pin, quoted from the
    records; set-default-tensor-type: whether each pin has torch.set_default_device, from the records."""
    page = (fixture_pages / "migration.md").read_text()
    section = " ".join(change_section(page, "legacy-tensor-types").split())
    recorded = {(s["torch_pin"], s["device_name"]): r["value"]["cuda_float_tensor"] for s in sessions
                if s.get("status") == "ran" for r in s.get("probes") or []
                if r.get("id") == "legacy_tensor_types" and "cuda_float_tensor" in (r.get("value") or {})}
    assert recorded
    for (pin, _cpu), text in recorded.items():
        assert f"- torch {pin}" in section and f"cuda_float_tensor `{text}`" in section
    section = " ".join(change_section(page, "set-default-tensor-type").split())
    assert "- torch 1.8.1 [A](#measured): has_set_default_device False." in section
    assert "- torch 2.15.0 [A](#measured): has_set_default_device True." in section


def test_a_pin_where_nothing_ran_leaves_every_boundary_statement_as_it_was(tmp_path, fixture_pages):
    """A new, older pin whose checks could not run (no interpreter; or every check not run) is listed
    as not run, and moves no 'Bracketed' / 'Not bracketed' line of any change."""
    import json
    import shutil

    for p in FIXTURES.glob("*.json"):
        shutil.copy(p, tmp_path / p.name)
    base = json.loads((FIXTURES / "legacy-torch1.8.1-cpu.json").read_text())
    idle = dict(base, torch_pin="1.0.1", torch="1.0.1", session="legacy(torch='1.0.1', device='cpu')",
                probes=[{"id": r["id"], "outcome": "not_run", "detail": "torch 1.0.1: not tried here",
                         "warnings": [], "error": None, "value": None} for r in base["probes"]])
    (tmp_path / "legacy-torch1.0.1-cpu.json").write_text(json.dumps(idle))
    none = dict(base, torch_pin="1.4.0", torch=None, status="not_run", reason="no Python 3.7 interpreter found",
                session="legacy(torch='1.4.0', device='cpu')", cells=[], probes=[])
    (tmp_path / "legacy-torch1.4.0-cpu.json").write_text(json.dumps(none))
    out = tmp_path / "docs"
    pages.generate(tmp_path, out, draw_png=False)

    def boundaries(page):
        return [b for b in blocks(page) if "racketed**" in b and b.startswith("- ")]

    before, after = (fixture_pages / "migration.md").read_text(), (out / "migration.md").read_text()
    assert boundaries(before) and boundaries(after) == boundaries(before)
    assert "1.0.1 not run" in " ".join(after.split())
