"""docs/migration.md's section "Upgrading your own script": per catalog entry, what
``python -m shims upgrade`` and ``python -m shims run`` do with the old form: the entry's ``upgrade``
field ("rewrite", "report", "runtime"; the rules are shims/upgrade/rules/'s, registered under the
entry's id). Read from the catalog alone (no LibCST)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

#: the label the table prints after each entry's verdict: the name its rule had when the catalog joined
#: entries to rules by name (``rewrite = "<name>"``); kept so that docs/migration.md does not change.
#: The join is by id now (tests/test_upgrade_rules.py: one label per entry with ``upgrade``)
RULE_LABELS = {
    "variable-volatile": "variable_volatile", "zero-dim-index": "data_index_item", "size-average": "size_average",
    "legacy-autograd-function": "legacy_function", "legacy-tensor-types": "legacy_tensor_types",
    "torch-load-weights-only": "torch_load_weights_only", "tf1-graph-on-tf2": "tf1_compat_v1",
    "tf1-assign-race": "tf1_assign_race", "grad-none-zero": "grad_none_zero",
    "tensordataset-kwargs": "tensordataset_positional", "retain-variables": "retain_variables",
    "zero-dim-iteration": "zero_dim_iteration", "numpy-ndim-scalar": "numpy_ndim_scalar",
    "reduction-elementwise-mean": "reduction_elementwise_mean", "target-size-broadcast": "target_size_broadcast",
    "optimizer-step-between-backwards": "step_between_backwards", "functional-sigmoid-tanh": "functional_sigmoid_tanh",
    "function-instance-backward": "function_instance_backward", "tf-contrib": "tf_contrib",
    "tf1-rnn-keras3": "tf1_rnn_keras3",
}


def what_upgrade_does(change: Dict[str, Any]) -> str:
    upgrade = change.get("upgrade")
    if upgrade is None:
        return "nothing in the text; `run` names it when the script fails with its message" \
            if change["kind"] in ("error", "removal") else "nothing"
    rule = RULE_LABELS[change["id"]]
    if upgrade == "runtime":
        return f"nothing in the text (known only while it runs); `run` reports torch's message with the line (`{rule}`)"
    if upgrade == "report":
        return f"reports each place, with the fix, for you to change (`{rule}`)"
    return f"rewrites it; reports what it cannot rewrite safely (`{rule}`)"


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
