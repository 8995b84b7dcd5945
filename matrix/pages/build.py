"""The driver: read the catalog and the records, write the figures, the manifest and the pages."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Optional

from matrix import EXAMPLES, ROOT
from matrix.facts.catalog import load_all
from matrix.records import sweep
from matrix.records.observations import load_results
from matrix.pages.compat import render_compat
from matrix.pages.figures import OVERLAP_PX, curve_descriptions, curves_for, data_hash, difference_descriptions, draw
from matrix.pages.migration import render_migration
from matrix.pages.text import wrap_markdown


def relink(text: str, repo_link: str = "../") -> str:
    """The pages link the repository as ``../variants/...``, as seen from docs/; pages written elsewhere
    (a user's runs/docs/: ``../../``) reach the repository through ``repo_link`` instead."""
    return text if repo_link == "../" else text.replace("](../", f"]({repo_link}")


def generate(results_dir: Path, out_dir: Path, variants_dir: Path = ROOT / "variants",
             prose_dir: Path = ROOT / "docs" / "prose", catalog_path: Optional[Path] = None,
             draw_png: bool = True, repo_link: str = "../", bench: Optional[Path] = None) -> Dict[str, Path]:
    """Write the pages and figures into ``out_dir``; with ``draw_png=False`` (no matplotlib needed)
    the markdown and the manifest's figure data are still written, the PNGs are not touched.

    performance.md comes from the bench record ``bench`` (default ``results_dir/bench/performance.json``,
    where ``nox -s bench -- --record`` writes it; a folder apart, since every ``results_dir/*.json`` is
    read as a session record), with its figures in the same manifest; without that file the page
    says that no bench is recorded, so that it never outlives the record it was rendered from."""
    catalog, unrelated, unavailable = load_all(catalog_path)  # one read of the file for both pages
    sessions = load_results(results_dir)
    out_dir = Path(out_dir)
    img = out_dir / "img"
    img.mkdir(parents=True, exist_ok=True)
    manifest: Dict[str, Any] = {}
    written: Dict[str, Path] = {}
    mpl_version = None
    for ex in EXAMPLES:
        panels = curves_for(ex, sessions)
        if not panels:
            continue
        name = f"{ex}.png"
        manifest[name] = {"data_sha256": data_hash(panels), "curves": curve_descriptions(panels)}
        if any(p["difference_panel"] for p in panels):
            manifest[name].update(difference_panels=difference_descriptions(panels), overlap_px=OVERLAP_PX)
        if draw_png:
            draw(ex, panels, img / name)
            import matplotlib

            mpl_version = matplotlib.__version__
            written[name] = img / name
    # imported here: `python -m matrix.pages.performance` would otherwise find itself imported twice
    from matrix.pages import performance

    bench = Path(bench) if bench is not None else Path(results_dir) / "bench" / "performance.json"
    record = performance.load(bench) if bench.exists() else None
    if record is not None:
        manifest.update(performance.manifest_entries(record))
        if draw_png:
            written.update(performance.draw(record, img))
            import matplotlib

            mpl_version = matplotlib.__version__
    if draw_png:
        for stale in sorted(img.glob("*.png")):
            if stale.name not in manifest:
                stale.unlink()
    manifest_out = {"matplotlib": mpl_version, "figures": manifest}
    (img / "manifest.json").write_text(json.dumps(manifest_out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    written["manifest.json"] = img / "manifest.json"
    for name, text in (("compat-matrix.md", render_compat(catalog, sessions, prose_dir, unrelated, unavailable)),
                       ("migration.md", render_migration(catalog, sessions, prose_dir, variants_dir, manifest,
                                                         unrelated, unavailable,
                                                         sweep.sessions(Path(results_dir) / "upstream" / "probes")))):
        path = out_dir / name
        path.write_text(wrap_markdown(relink(text, repo_link)).rstrip() + "\n", encoding="utf-8")
        written[name] = path
    from matrix.pages import coverage  # the upstream events: results_dir/upstream/events.json

    path = out_dir / "coverage.md"
    upstream = Path(results_dir) / "upstream"
    page = coverage.render(coverage.load(upstream / "events.json"), sweep=coverage.load_sweep(upstream / "probes"))
    path.write_text(wrap_markdown(relink(page, repo_link)).rstrip() + "\n", encoding="utf-8")
    written["coverage.md"] = path
    path = out_dir / "performance.md"
    if record is not None:
        written["performance.md"] = performance.render(record, out_dir, draw_png=False, repo_link=repo_link)[
            "performance.md"]
    else:
        path.write_text(wrap_markdown(performance.empty_page()).rstrip() + "\n", encoding="utf-8")
        written["performance.md"] = path
    return written
