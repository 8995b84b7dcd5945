"""The generated pages: docs/compat-matrix.md, docs/migration.md, docs/performance.md, docs/coverage.md and
docs/img/*.png.

Inputs: the catalog (the cited facts and hypotheses), the recorded matrix results (what happened on
which torch, on which CPU, when), the variant scripts (the code), and the hand-written fragments in
docs/prose/. Every statement the pages make as measured is derived from results/*.json (by
:mod:`matrix.records.observations` and :mod:`matrix.records.divergence`) and refers, by a letter, to the table
"How these were measured" (:mod:`matrix.pages.provenance`), which gives per machine (the record's
CPU) and torch pin the torch build and the date of the run, once; float32 bits depend on the CPU, so
values are only ever compared between records of the same CPU. The pages speak the reader's words,
not the recorder's (:func:`matrix.pages.text.reader_text`), and no line outside code blocks and
tables runs past 100 characters where the words allow (:func:`matrix.pages.text.wrap_markdown`).

Output is deterministic: sorted, no timestamps but those recorded in the results, PNGs written
without a creation date or software tag. ``tests/test_pages.py`` regenerates into a temporary folder
and compares. PNG bytes depend on the matplotlib (and FreeType) build, so docs/img/manifest.json
records, per figure, a SHA-256 of the data plotted and the matplotlib version that drew it; the
test compares the data hashes always and the PNG bytes only under that same matplotlib version.

- :mod:`matrix.pages.build`: :func:`generate` (the driver, ``python docs/generate.py``) and :func:`relink`
- :mod:`matrix.pages.compat` and :mod:`matrix.pages.migration`: the two pages
- :mod:`matrix.pages.versions`: a change's version answer: the "pin: outcome" line measured, the cited line
- :mod:`matrix.pages.provenance`: which runs measured what (torch builds, CPU, dates), said once
- :mod:`matrix.pages.cells`: one matrix cell as text; :mod:`matrix.pages.figures`: the loss curves
- :mod:`matrix.pages.performance`: docs/performance.md and img/perf-*.png from the bench record
  (results/bench/performance.json, written by ``nox -s bench``), its own command line too
- :mod:`matrix.pages.coverage`: docs/coverage.md, torch's own deprecations and removals per release
  (results/upstream/events.json, :mod:`matrix.upstream`) against the catalog
- :mod:`matrix.pages.text`: markdown pieces, the reader's words for recorded reasons, line wrapping
"""
from matrix.pages.build import generate, relink

__all__ = ["generate", "relink"]
