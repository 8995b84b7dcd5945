"""docs/migration.md's section "Upgrading your own script": per catalog entry, what
``python -m shims upgrade`` and ``python -m shims run`` do with the old form (the entry's ``rewrite``
field names the rule; shims/upgrade/rules.py holds it). Read from the catalog and from
:mod:`shims.upgrade` (which needs no LibCST to be imported)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from shims.upgrade import REPORT_ONLY, RUNTIME_ONLY


def what_upgrade_does(change: Dict[str, Any]) -> str:
    rule = change.get("rewrite")
    if rule is None:
        return "nothing in the text; `run` names it when the script fails with its message" \
            if change["kind"] in ("error", "removal") else "nothing"
    if rule in RUNTIME_ONLY:
        return f"nothing in the text (known only while it runs); `run` reports torch's message with the line (`{rule}`)"
    if rule in REPORT_ONLY:
        return f"reports each place, with the fix, for you to change (`{rule}`)"
    return f"rewrites it; reports what it cannot rewrite safely (`{rule}`)"


def new_form_since(change: Dict[str, Any]) -> str:
    """The entry's ``new_since`` for ``--target-torch``, with how it is known (cited, measured, assumed)."""
    since = change.get("new_since")
    if since is None:
        return "-"
    source = change.get("new_since_source", "")
    how = "cited" if source.startswith("http") else "measured" if source.startswith("measured") else \
        "assumed: the oldest pin"
    return f"{since} ({how})"


def render_upgrade_section(catalog: Sequence[Dict[str, Any]]) -> List[str]:
    out = ["<a id=\"upgrade\"></a>", "", "## Upgrading your own script", "",
           "`python -m shims upgrade PATH...` rewrites the old forms below in your files (a diff by default; "
           "`--write` replaces the files, `--check` only says whether anything would change) and reports, with "
           "the line and the section to read, what it could not rewrite safely. `python -m shims run SCRIPT "
           "[ARGS...]` runs an unmodified script with the same rewrite in memory and, where it fails with a "
           "message listed here, names the change and its fix. Both need LibCST (`pip install libcst`). "
           "`--target-torch X [--keep-working-on Y]` writes a new form only where it exists on both (the last "
           "column, the catalog's `new_since`) and keeps old forms that still run there without a warning.", "",
           "| change | `python -m shims upgrade` | new form from |", "| --- | --- | --- |"]
    for change in catalog:
        out.append(f"| [{change['title']}](#{change['id']}) | {what_upgrade_does(change)} | "
                   f"{new_form_since(change)} |")
    return out + [""]
