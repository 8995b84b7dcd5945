"""matrix/catalog.toml: complete entries, probes that exist, variants that exist, URLs as sources;
cited versions said to be cited or inferred; no measured numbers typed in (those come from results/)."""
from __future__ import annotations

import re

import pytest

import json

from conftest import ERAS, EXAMPLES, ROOT
from matrix import probes
from matrix.facts.catalog import BREAKDOWNS, CITED_KEYS, DEPENDS_ON, KINDS, NEEDS, NO_SOURCE, REQUIRED, load_catalog, \
    load_unrelated_warnings, message, problems

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
    for key in ("title", "old", "new", "symptom", "why", "fix"):
        assert isinstance(change[key], str) and change[key].strip(), f"{change['id']}: empty {key}"
    assert change["kind"] in KINDS


def test_entries_have_known_fields_of_the_right_shape():
    """REQUIRED and OPTIONAL (matrix/facts/catalog.py) are every field there is; a misspelt optional field
    would otherwise be ignored silently."""
    assert problems(CATALOG) == []


def test_problems_names_what_is_wrong():
    good = dict(CATALOG[0])
    assert problems([good]) == []
    assert problems([dict(good, ilustration="typo")]) == [f"{good['id']}: unknown fields ['ilustration']"]
    assert problems([dict(good, needs={"gpu": "x"})]) and problems([dict(good, needs={"cuda": ""})])
    assert problems([dict(good, also_seen="IndexError: x")]) and problems([dict(good, setup="  ")])
    assert NEEDS == ("cuda",)


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_also_seen_texts_are_other_texts(change):
    """also_seen holds other texts than the symptom, none of them an unrelated warning, and
    matrix.facts.catalog.message finds each by its start."""
    seen = change.get("also_seen", [])
    assert change["symptom"] not in seen and len(set(seen)) == len(seen), change["id"]
    unrelated = load_unrelated_warnings()
    for text in seen:
        assert not any(e["regex"].search(text) for e in unrelated), (change["id"], text)
        assert text.endswith(message(change["id"], text)), (change["id"], text)


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_probe_exists(change):
    assert change["id"] in probes.PROBES, f"{change['id']}: no probe registered for it (@probe({change['id']!r}))"


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_sources_are_urls(change):
    assert change["sources"], f"{change['id']}: no sources"
    for url in change["sources"]:
        assert URL.match(url), f"{change['id']}: not a URL: {url!r}"


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_cited_versions_say_where_they_come_from(change):
    """A release is given only with the URL that states it (verified) or marked inferred; without
    one, the note says that no upstream note was found."""
    cited = change["cited_versions"]
    assert isinstance(cited, dict), change["id"]
    named = [k for k in CITED_KEYS if cited.get(k)]
    if not named:
        assert str(cited.get("note", "")).startswith(NO_SOURCE), \
            f"{change['id']}: no release cited, so the note must start with {NO_SOURCE!r}"
        assert "source" not in cited and "verified" not in cited, change["id"]
        return
    assert URL.match(cited.get("source", "")), change["id"]
    verified = cited.get("verified")
    assert isinstance(verified, bool) or (isinstance(verified, list) and set(verified) <= set(named)), \
        f"{change['id']}: verified is true, false, or the list of stated keys"
    assert cited.get("note"), f"{change['id']}: say how the source was read"


TEXT_FIELDS = ("title", "symptom", "why", "fix", "hypothesis")


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_no_measurements_typed_into_the_catalog(change):
    """What was measured comes from results/*.json at generation time, with torch, CPU and date."""
    assert not {"explains", "explains_pins", "evidence"} & set(change), f"{change['id']}: retired field"
    for key in TEXT_FIELDS:
        text = re.sub(r"not measured", "", str(change.get(key, "")), flags=re.I)
        assert not re.search(r"\bmeasured\b", text, flags=re.I), f"{change['id']}.{key} claims a measurement"
    if change["kind"] in ("silent", "environment"):
        assert not re.search(r"\d+\.\d+", change["title"]), \
            f"{change['id']}: a silent change's release in the title would be a typed-in measurement"


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_variants_exist(change):
    for v in change["variants"]:
        era, _, example = v.partition("/")
        assert era in ERAS and example in EXAMPLES, f"{change['id']}: {v!r} is not era/example"
        assert (ROOT / "variants" / era / f"{example}.py").exists(), f"{change['id']}: variants/{v}.py missing"


def test_every_probe_belongs_to_an_entry():
    orphans = [f"{fn.__name__} ({change_id})" for change_id, fn in probes.PROBES.items() if change_id not in IDS]
    assert not orphans, f"probes registered under an id the catalog lacks: {orphans}"
    names = [fn.__name__ for fn in probes.PROBES.values()]
    assert len(set(names)) == len(names), "two entries share a probe (the records name it)"


def test_the_probes_read_the_catalog_order():
    """matrix.probes runs on Pythons without tomllib: it reads the ids' order from the text."""
    assert probes.runner.catalog_ids() == IDS


def _fixture_probe_values():
    out = {}
    for path in sorted((ROOT / "tests" / "fixtures" / "probes").glob("torch*-py*.json")):
        for rec in json.loads(path.read_text()):
            if isinstance(rec.get("value"), dict):  # the keys any torch recorded (older records lack newer keys)
                for key, value in rec["value"].items():
                    out.setdefault(rec["id"], {}).setdefault(key, value)
    return out


@pytest.mark.parametrize("change", CATALOG, ids=IDS)
def test_optional_fields(change):
    """compare names keys the probe records; may_change needs compare and a hypothesis and names
    existing scripts; depends_on and breakdown take known values."""
    if change.get("compare"):
        name = probes.probe_name(change["id"])
        value = _fixture_probe_values().get(name)
        assert value is not None, f"{change['id']}: no fixture record of {name} (regenerate tests/fixtures)"
        missing = [k for k in change["compare"] if k not in value]
        assert not missing, f"{change['id']}: probe {name} records no {missing}"
    if change.get("may_change"):
        assert change.get("compare") and change.get("hypothesis"), change["id"]
        for v in change["may_change"]:
            era, _, example = v.partition("/")
            assert (ROOT / "variants" / era / f"{example}.py").exists(), f"{change['id']}: {v}"
    if change.get("context"):
        value = _fixture_probe_values().get(probes.probe_name(change["id"])) or {}
        assert all(k in value for k in change["context"]), f"{change['id']}: context keys not recorded"
    assert change.get("depends_on") in (None,) + DEPENDS_ON, change["id"]
    assert change.get("breakdown") in (None,) + BREAKDOWNS, change["id"]


def test_unrelated_warnings_compile_and_say_why():
    entries = load_unrelated_warnings()
    assert entries
    for e in entries:
        assert e["why"].strip() and e["regex"].pattern == e["pattern"]
    texts = ["DeprecationWarning: jax.xla_computation is deprecated. Please use the AOT APIs.",
             "DeprecationWarning: module 'sre_constants' is deprecated"]
    assert all(any(e["regex"].search(t) for e in entries) for t in texts)
    for change in CATALOG:  # never hide the message of a change itself
        assert not any(e["regex"].search(change["symptom"]) for e in entries), change["id"]


def test_cited_release_reads_the_last_version_word():
    from packaging.version import Version

    from matrix.facts.catalog import cited_release

    assert cited_release("1.0.0") == Version("1.0.0")
    assert cited_release("TensorFlow 2.0.0") == Version("2.0.0")
    assert cited_release("2.4.1+cu121") == Version("2.4.1")
    assert cited_release("installed") is None and cited_release(None) is None


def test_unavailable_releases_say_where_from_and_when():
    import re as _re

    from matrix import ERAS
    from matrix.facts.catalog import UNAVAILABLE_FIELDS, load_unavailable_releases

    entries = load_unavailable_releases()
    assert entries
    for e in entries:
        assert set(e) == set(UNAVAILABLE_FIELDS), e
        assert e["eras"] and set(e["eras"]) <= set(ERAS)
        assert e["source"].startswith("https://") and _re.fullmatch(r"\d{4}-\d{2}-\d{2}", e["checked"])
