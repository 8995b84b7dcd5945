"""matrix/catalog.toml: complete entries, probes that exist, variants that exist, URLs as sources."""
from __future__ import annotations

import re

import pytest

from conftest import ERAS, EXAMPLES, ROOT
from matrix import probes
from matrix.catalog import KINDS, REQUIRED, load_catalog

CATALOG = load_catalog()
IDS = [c["id"] for c in CATALOG]
URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$")


def test_ids_are_unique_kebab_case():
    assert len(IDS) == len(set(IDS))
    for i in IDS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i), i


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_entry_has_every_field(change):
    missing = [k for k in REQUIRED if k not in change]
    assert not missing, f"{change['id']}: missing {missing}"
    for key in ("title", "old", "new", "symptom", "why", "fix", "probe"):
        assert isinstance(change[key], str) and change[key].strip(), f"{change['id']}: empty {key}"
    assert change["kind"] in KINDS


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_probe_exists(change):
    names = {p.__name__ for p in probes.PROBES}
    assert change["probe"] in names, f"{change['id']}: no probe {change['probe']} in matrix/probes.py"


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_sources_are_urls(change):
    assert change["sources"], f"{change['id']}: no sources"
    for url in change["sources"]:
        assert URL.match(url), f"{change['id']}: not a URL: {url!r}"
    cited = change["cited_versions"]
    assert isinstance(cited, dict) and URL.match(cited.get("source", "")), change["id"]
    assert cited["source"] in change["sources"] or cited["source"].startswith("http"), change["id"]
    assert isinstance(cited.get("verified"), bool), f"{change['id']}: say whether the version is verified"
    assert any(k in cited for k in ("warns", "fails", "changed")), change["id"]


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_variants_exist(change):
    for v in change["variants"]:
        era, _, example = v.partition("/")
        assert era in ERAS and example in EXAMPLES, f"{change['id']}: {v!r} is not era/example"
        assert (ROOT / "variants" / era / f"{example}.py").exists(), f"{change['id']}: variants/{v}.py missing"


def test_every_probe_belongs_to_an_entry():
    used = {c["probe"] for c in CATALOG}
    orphans = [p.__name__ for p in probes.PROBES if p.__name__ not in used]
    assert not orphans, f"probes without a catalog entry: {orphans}"
    assert len(used) == len(CATALOG), "two entries share a probe"
