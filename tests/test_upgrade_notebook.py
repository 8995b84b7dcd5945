"""Notebooks (.ipynb) in python -m shims upgrade and run, and shims/upgrade/notebook.py's API: code cells
rewritten as one script (the imports of earlier cells seen), IPython's lines and the outputs untouched, the
JSON's layout kept (indent 1, 2 or none; the final newline or its absence), a notebook with nothing to
change left byte for byte, bad JSON one line and exit 2, and a notebook run cell after cell.
Also --format json. The fixtures in tests/fixtures/upgrade_notebooks/ are small notebooks written for this."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

pytest.importorskip("libcst")

from shims.upgrade.engine import upgrade_source  # noqa: E402
from shims.upgrade.notebook import NotebookError, parse_notebook, read_notebook  # noqa: E402

NOTEBOOKS = ROOT / "tests" / "fixtures" / "upgrade_notebooks"


def shims(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "shims", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def copy(tmp_path, *names):
    for name in names:
        shutil.copy(NOTEBOOKS / name, tmp_path / name)


def notebook(*sources, indent=1, **extra):
    """A notebook's text: a code cell per source (a str; a list of lines as Jupyter writes them)."""
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
              "source": [line for line in s.splitlines(keepends=True)]} for s in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 2, **extra},
                      indent=indent) + "\n"


def non_source(text):
    """Everything of a notebook but its code cells' sources."""
    data = json.loads(text)
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            cell.pop("source")
    return data


# --------------------------------------------------------------------------------------------- the API
def test_script_joins_the_code_cells_and_maps_each_line_to_its_cell():
    nb = read_notebook(NOTEBOOKS / "train.ipynb")
    text, line_map = nb.script()
    lines = text.splitlines()
    assert lines[0] == "pass  # [shims magic 1] %matplotlib inline"
    assert lines[4] == "pass  # %% [shims cell 3]" and line_map[5] == (3, 0)
    assert lines[5] == "pass  # [shims magic 2] !pip install torch==0.3.1"
    assert lines[7] == "x = Variable(torch.linspace(-1, 1, 20).unsqueeze(1))" and line_map[8] == (3, 3)
    assert nb.place(8) == "cell 3:line 3"
    # the %%time cell: its first line kept out, its body Python; the help line too
    assert "pass  # [shims magic 3] %%time" in lines and "pass  # [shims magic 4] nn.MSELoss?" in lines
    assert [m[:2] for m in nb.magics()] == [(2, 1), (3, 1), (4, 1), (6, 1)]
    compile(text, "train", "exec")  # the script parses
    assert len(lines) == len(line_map)


def test_with_script_of_the_same_script_is_the_file_byte_for_byte():
    for name in ("train.ipynb", "modern.ipynb", "compact.ipynb", "run_me.ipynb"):
        nb = read_notebook(NOTEBOOKS / name)
        assert nb.with_script(nb.script()[0]) == (NOTEBOOKS / name).read_text(encoding="utf-8"), name


def test_with_script_puts_magics_back_and_refuses_a_moved_cell_boundary():
    nb = read_notebook(NOTEBOOKS / "train.ipynb")
    text = nb.script()[0]
    out = json.loads(nb.with_script(text.replace("size_average=False", "reduction='sum'")))
    assert out["cells"][2]["source"][0] == "!pip install torch==0.3.1\n"
    assert out["cells"][2]["source"][-1] == "loss_fn = nn.MSELoss(reduction='sum')"
    with pytest.raises(NotebookError, match="cell boundary"):
        nb.with_script(text.replace("pass  # %% [shims cell 4]\n", ""))
    with pytest.raises(NotebookError, match="cell boundary"):
        nb.with_script(text.replace("pass  # %% [shims cell 4]\n", "with x:\n    pass  # %% [shims cell 4]\n"))
    with pytest.raises(NotebookError, match="outside any cell"):
        nb.with_script(text.replace("[shims cell 4]", "[shims cell 5]"))
    with pytest.raises(NotebookError, match="lost or repeated an IPython line"):
        nb.with_script(text.replace("pass  # [shims magic 2] !pip install torch==0.3.1\n", ""))


def test_lines_inside_strings_or_brackets_are_not_magics():
    text = notebook("import torch\n"
                    "msg = ('epoch %d'\n"
                    "       % 3)\n"
                    "doc = '''\n"
                    "%d epochs\n"
                    "!not a shell line\n"
                    "'''\n"
                    "files = !ls\n"
                    "?torch.ones\n"
                    "torch.zeros??\n"
                    "for i in range(2):\n"
                    "    %time print(i)\n")
    nb = parse_notebook(text)
    assert [m[2] for m in nb.magics()] == ["files = !ls", "?torch.ones", "torch.zeros??"]
    script = nb.script()[0]
    assert "       % 3)\n" in script and "%d epochs\n!not a shell line\n" in script
    assert "pass  # [shims magic 6] torch.zeros??\n" in script  # 1-3: taken back
    assert "    print(i)  # [shims timed 1]\n" in script  # a timed statement is the rules' to see
    compile(script, "nb", "exec")


def test_a_non_python_cell_magic_is_kept_whole_and_a_late_future_import_is_kept_out():
    nb = parse_notebook(notebook("from __future__ import print_function\nimport torch\n",
                                 "%%bash\n  echo hi\n\nls\n",
                                 "from __future__ import division\nprint(1 / 2)\n"))
    script = nb.script()[0]
    assert script.startswith("from __future__ import print_function\n")  # at the top: left in the script
    assert [m[2] for m in nb.magics()] == ["%%bash", "  echo hi", "", "ls", "from __future__ import division"]
    compile(script, "nb", "exec")


def test_a_cell_that_only_imported_variable_is_emptied_and_the_next_cell_keeps_its_place():
    nb = parse_notebook(notebook("import torch\n", "from torch.autograd import Variable",
                                 "x = Variable(torch.ones(1))\nprint(x.data[0])"))
    result = upgrade_source(nb.script()[0])
    cells = json.loads(nb.with_script(result.new))["cells"]
    assert [c["source"] for c in cells] == [["import torch\n"], [], ["x = torch.ones(1)\n", "print(x.item())"]]


@pytest.mark.parametrize("text, message", [
    ("{\"cells\": [", "not valid JSON"),
    (json.dumps({"cells": [], "nbformat": 3}), "nbformat 3, not 4"),
    (json.dumps([1, 2]), "not a Jupyter notebook"),
    (json.dumps({"cells": [{"cell_type": "code", "source": 3}], "nbformat": 4}), "cell 1 is malformed"),
    (json.dumps({"cells": [{"source": "x = 1"}], "nbformat": 4}), "cell 1 is malformed"),
])
def test_parse_notebook_says_what_is_wrong(text, message):
    with pytest.raises(NotebookError, match=message):
        parse_notebook(text)


# ------------------------------------------------------------------------------------------ upgrade
def test_upgrade_rewrites_cells_and_leaves_magics_and_outputs(tmp_path):
    copy(tmp_path, "train.ipynb")
    proc = shims("upgrade", "train.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("--- train.ipynb\n+++ train.ipynb\n@@")
    assert '+    "x = torch.linspace(-1, 1, 20).unsqueeze(1)\\n",' in proc.stdout
    assert "train.ipynb:cell 3:line 3: changed [variable-volatile]" in proc.stderr
    assert "train.ipynb:cell 3:line 6: changed [size-average] size_average=False -> reduction='sum'" in proc.stderr
    assert "train.ipynb:cell 4:line 8: changed [zero-dim-index] loss.data[0] -> loss.item()" in proc.stderr
    assert "left alone" not in proc.stderr
    # the diff applies
    patched = subprocess.run(["patch", "-p0", "-o", "-", "train.ipynb"], input=proc.stdout, cwd=tmp_path,
                             capture_output=True, text=True)
    if patched.returncode == 0:  # where patch is installed
        assert patched.stdout == (NOTEBOOKS / "train.out.ipynb").read_text(encoding="utf-8")

    assert shims("upgrade", "--check", "train.ipynb", cwd=tmp_path).returncode == 1
    proc = shims("upgrade", "--write", "train.ipynb", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    new = (tmp_path / "train.ipynb").read_text(encoding="utf-8")
    assert new == (NOTEBOOKS / "train.out.ipynb").read_text(encoding="utf-8")
    assert non_source(new) == non_source((NOTEBOOKS / "train.ipynb").read_text(encoding="utf-8"))
    cells = json.loads(new)["cells"]
    assert cells[1]["source"][0] == "%matplotlib inline\n" and cells[3]["source"][0] == "%%time\n"
    assert cells[5]["source"] == ["nn.MSELoss?\n", "model.weight.data"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.ipynb"], "a temporary file was left"
    assert shims("upgrade", "--check", "train.ipynb", cwd=tmp_path).returncode == 0


def test_a_torch_import_under_a_time_magic_counts_and_the_timed_line_is_rewritten(tmp_path):
    """`%time import torch` was a placeholder: the notebook read as having no torch import, left alone."""
    text = notebook("%time import torch\n",
                    "%timeit -n1 -r 2 y = torch.ones(1).sum().data[0]  # timed\n",
                    's = """\n%time import os\n"""\nx = torch.ones(1).sum().data[0]\n')
    (tmp_path / "timed.ipynb").write_text(text)
    proc = shims("upgrade", "--write", "timed.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "left alone" not in proc.stderr
    assert "timed.ipynb:cell 2:line 1: changed [zero-dim-index]" in proc.stderr
    assert "timed.ipynb:cell 3:line 4: changed [zero-dim-index]" in proc.stderr
    cells = [c["source"] for c in json.loads((tmp_path / "timed.ipynb").read_text())["cells"]]
    assert cells == [["%time import torch\n"], ["%timeit -n1 -r 2 y = torch.ones(1).sum().item()  # timed\n"],
                     ['s = """\n', "%time import os\n", '"""\n', "x = torch.ones(1).sum().item()\n"]]
    # unchanged: byte for byte; and `run` runs the timed statement (it was skipped: a NameError after it)
    ran = notebook("%time import math\n", "print(math.sqrt(16.0))\n")
    nb = parse_notebook(ran)
    assert nb.with_script(nb.script()[0]) == ran
    (tmp_path / "ran.ipynb").write_text(ran)
    proc = shims("run", "ran.ipynb", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "4.0\n", proc.stderr


def test_nothing_to_change_leaves_the_file_byte_for_byte(tmp_path):
    copy(tmp_path, "modern.ipynb")
    before = (tmp_path / "modern.ipynb").read_bytes()
    proc = shims("upgrade", "--write", "modern.ipynb", cwd=tmp_path)
    assert proc.returncode == 0 and "modern.ipynb: no old idiom the rules know" in proc.stderr
    assert (tmp_path / "modern.ipynb").read_bytes() == before
    assert shims("upgrade", "--check", "modern.ipynb", cwd=tmp_path).returncode == 0


@pytest.mark.parametrize("name", ["modern.ipynb", "train.out.ipynb", "compact.ipynb"])
def test_the_layout_is_kept(tmp_path, name):
    """Indent 2 with non-ASCII text and no final newline, indent 1 sorted, one line: an old idiom put in,
    then upgraded, gives the file back as it was (the compact one: still one line)."""
    good = (NOTEBOOKS / name).read_text(encoding="utf-8")
    if name == "compact.ipynb":
        good = good.replace("w = Variable(torch.zeros(2), volatile=True)", "w = torch.zeros(2)") \
            .replace("from torch.autograd import Variable\\n", "").replace(".data[0]", ".item()")
    old = good.replace(".item()", ".data[0]")
    assert old != good
    (tmp_path / name).write_text(old, encoding="utf-8")
    proc = shims("upgrade", "--write", name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / name).read_text(encoding="utf-8") == good


def test_a_folder_gives_its_notebooks_but_not_jupyters_checkpoints(tmp_path):
    (tmp_path / "nb" / ".ipynb_checkpoints").mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "train.ipynb", tmp_path / "nb" / "train.ipynb")
    shutil.copy(NOTEBOOKS / "train.ipynb", tmp_path / "nb" / ".ipynb_checkpoints" / "train-checkpoint.ipynb")
    (tmp_path / "nb" / "plain.py").write_text("import torch\nprint(torch.ones(1).sum().data[0])\n")
    proc = shims("upgrade", "nb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "--- nb/train.ipynb" in proc.stdout and "--- nb/plain.py" in proc.stdout
    assert "checkpoint" not in proc.stdout + proc.stderr


def test_bad_json_is_bad_input_in_one_line(tmp_path):
    copy(tmp_path, "broken.ipynb")
    for args in (["upgrade", "broken.ipynb"], ["upgrade", "--write", "broken.ipynb"], ["run", "broken.ipynb"]):
        proc = shims(*args, cwd=tmp_path)
        assert proc.returncode == 2, args
        assert proc.stdout == ""
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert "broken.ipynb: not valid JSON: Expecting ',' delimiter (line 6, column 1)" in proc.stderr
    assert (tmp_path / "broken.ipynb").read_bytes() == (NOTEBOOKS / "broken.ipynb").read_bytes()


def test_a_syntax_error_names_the_cell_and_its_line(tmp_path):
    (tmp_path / "bad.ipynb").write_text(notebook("import torch\n", "%matplotlib inline\nfor t in range(3)\n    pass\n"))
    proc = shims("upgrade", "bad.ipynb", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "bad.ipynb:cell 2:line 2: syntax error: expected ':'" in proc.stderr
    # a cell left open fails after its end; Python's "line N" is named by cell too
    (tmp_path / "open.ipynb").write_text(notebook("import torch\nfor t in range(3):\n", "print(1)\n"))
    proc = shims("upgrade", "open.ipynb", cwd=tmp_path)
    assert proc.returncode == 2
    assert ("open.ipynb:cell 1:line 3: syntax error: expected an indented block after 'for' statement on "
            "cell 1:line 2") in proc.stderr, proc.stderr


def test_format_json(tmp_path):
    copy(tmp_path, "compact.ipynb", "modern.ipynb", "broken.ipynb")
    (tmp_path / "old.py").write_text("import torch\nprint(torch.ones(1).sum().data[0])\n")
    (tmp_path / "plain.py").write_text("print(1)\n")
    proc = shims("upgrade", "--format", "json", "old.py", "compact.ipynb", "modern.ipynb", "plain.py",
                 "broken.ipynb", cwd=tmp_path)
    assert proc.returncode == 2  # broken.ipynb
    report = json.loads(proc.stdout)  # the report, not a diff
    assert report["not_checked"] == ["target-size-broadcast"]
    files = {f["path"]: f for f in report["files"]}
    assert list(files) == ["old.py", "compact.ipynb", "modern.ipynb", "plain.py", "broken.ipynb"]
    assert files["old.py"]["changed"] is True
    assert files["old.py"]["findings"] == [{
        "line": 2, "change_id": "zero-dim-index", "action": "changed",
        "what": "torch.ones(1).sum().data[0] -> torch.ones(1).sum().item()",
        "fix": files["old.py"]["findings"][0]["fix"], "docs": "docs/migration.md#zero-dim-index"}]
    assert files["old.py"]["findings"][0]["fix"]
    found = [f for f in files["compact.ipynb"]["findings"] if f["action"] == "found"]
    assert found and found[0]["cell"] == 1 and found[0]["line"] == 3 and found[0]["change_id"] == "variable-volatile"
    assert files["modern.ipynb"]["changed"] is False and files["modern.ipynb"]["findings"] == []
    assert files["plain.py"]["skipped"] == "no torch or tensorflow import"
    assert files["broken.ipynb"]["error"].startswith("not valid JSON")
    assert "broken.ipynb: not valid JSON" in proc.stderr and "changed [" not in proc.stderr
    # with --check: the report, and exit 1
    proc = shims("upgrade", "--check", "--format", "json", "old.py", cwd=tmp_path)
    assert proc.returncode == 1 and json.loads(proc.stdout)["files"][0]["changed"] is True


# ---------------------------------------------------------------------------------------------- run
def test_run_executes_the_cells_in_order_and_lists_the_magics_it_skipped(tmp_path):
    copy(tmp_path, "run_me.ipynb")
    proc = shims("run", "run_me.ipynb", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "total 6.0\ngrad [2.0, 2.0, 2.0]\n"
    assert ("run_me.ipynb: not run (IPython only): cell 1:line 1 %matplotlib inline; "
            "cell 3:line 1 !echo this is not run") in proc.stderr
    assert "rewritten [zero-dim-index] x1 at line(s) cell 3:line 5" in proc.stderr
    assert (tmp_path / "run_me.ipynb").read_bytes() == (NOTEBOOKS / "run_me.ipynb").read_bytes()


def test_run_names_the_cell_of_a_failure(tmp_path):
    (tmp_path / "fails.ipynb").write_text(notebook("import torch\n", "%%bash\necho no\n",
                                                   "x = torch.ones(2)\nraise ValueError('boom')\n"))
    proc = shims("run", "fails.ipynb", cwd=tmp_path)
    assert proc.returncode == 1
    assert "ValueError: boom" in proc.stderr
    assert "cell 2 %%bash (the whole cell)" in proc.stderr
    assert "is cell 3:line 2" in proc.stderr


def test_a_rule_never_reaches_across_cells():
    """tf1-assign-race wraps consecutive assigns in one `with`: assigns in two cells get one each, and the
    import rewritten in cell 1 (after a magic) serves every cell."""
    tutorial = ROOT / "tests" / "fixtures" / "upgrade" / "tf1-assign-race" / "tutorial.in.py"
    lines = tutorial.read_text().splitlines(keepends=True)
    first = next(i for i, s in enumerate(lines) if ".assign(" in s)
    nb = parse_notebook(notebook("%matplotlib inline\n" + "".join(lines[:first + 1]), lines[first + 1],
                                 "".join(lines[first + 2:])))
    cells = [c["source"] for c in json.loads(nb.with_script(upgrade_source(nb.script()[0]).new))["cells"]]
    assert cells[0][:3] == ["%matplotlib inline\n", "import numpy as np\n", "import tensorflow.compat.v1 as tf\n"]
    assert cells[0][-2:] == ["with tf.control_dependencies([loss, grad_w1]):\n",
                             "    new_w1 = w1.assign(w1 - learning_rate * grad_w1)\n"]
    assert cells[1] == ["with tf.control_dependencies([loss, grad_w2]):\n",
                        "    new_w2 = w2.assign(w2 - learning_rate * grad_w2)\n"]
    assert cells[2][0] == "with tf.Session() as sess:\n"
