"""docs/migration.md's section "Upgrading your own script": per catalog entry, what
``python -m shims upgrade`` and ``python -m shims run`` do with the old form: the entry's ``upgrade``
field ("rewrite", "report", "runtime"; the rules are shims/upgrade/rules/'s, registered under the
entry's id). Read from the catalog alone (no LibCST)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

def what_upgrade_does(change: Dict[str, Any]) -> str:
    upgrade = change.get("upgrade")
    if upgrade is None:
        return "nothing in the text; `run` names it when the script fails with its message" \
            if change["kind"] in ("error", "removal") else "nothing"
    if upgrade == "runtime":
        return "nothing in the text (known only while it runs); `run` reports torch's message with the line"
    if upgrade == "report":
        return "reports each place, with the fix, for you to change"
    return "rewrites it; reports what it cannot rewrite safely"


def new_form_since(change: Dict[str, Any], prov: Any = None) -> str:
    """The entry's ``new_since`` for ``--target-torch``, with how it is known (cited, measured, assumed);
    a measured one names the runs of that pin (``prov``: :class:`matrix.pages.provenance.Provenance`)."""
    since = change.get("new_since")
    if since is None:
        return "-"
    source = change.get("new_since_source", "")
    how = "cited" if source.startswith("http") else "measured" if source.startswith("measured") else \
        "assumed: the oldest pin"
    if how == "measured" and prov is not None:
        machines = [machine for machine, pin in prov.rows if pin == since.split()[-1]]
        how = f"measured {prov.ref(machines)}" if machines else "not measured in these runs"
    return f"{since} ({how})"


def render_upgrade_section(catalog: Sequence[Dict[str, Any]], prov: Any = None) -> List[str]:
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
                   f"{new_form_since(change, prov)} |")
    return out + [""]
