"""Jupyter notebooks (``.ipynb``, nbformat 4) for ``python -m shims upgrade`` and ``python -m shims run``.

The code cells are joined into one Python script, in order, so that a rule sees the imports of the
earlier cells (``x = Variable(...)`` in cell 5 after ``from torch.autograd import Variable`` in cell 2)::

    text, line_map = read_notebook("train.ipynb").script()

- Cells are separated by the line ``pass  # %% [shims cell N]`` (N: the cell's number, 1-based,
  markdown cells counted). It is a statement, not a comment, so that it survives a rule that removes
  the statement after it (a comment would go with that statement's leading lines), and so that no
  rule can see two cells' statements as one run. The first code cell has none (its
  ``from __future__`` imports stay at the top of the script).
- IPython's own lines (``%matplotlib inline``, ``!pip install torch``, ``x = !ls``, ``torch.nn?``,
  ``?x``, a ``%%time`` cell's first line, every line of a ``%%bash``/``%%writefile``/... cell) and a
  ``from __future__`` import below other code become ``pass  # [shims magic K] <the line>`` with the
  line's indentation: the script parses, runs them as nothing, and the rules leave them alone. Lines
  inside a multi-line string or inside brackets (``% n)`` continuing a format) are never magics.
- A line magic that times one Python statement (``%time import torch``, ``%timeit -n 10 y = x.data[0]``)
  becomes that statement followed by ``  # [shims timed K]``: the rules see it (an import of torch made
  there counts, a rewrite applies) and ``run`` runs it; the ``%time`` goes back in front of the (maybe
  rewritten) statement. A rule that removes the statement (an unused import) removes the line.
- ``line_map[script_line] == (cell, line)``: the cell's number (1-based, as above) and the line in
  that cell (1-based); a separator maps to ``(cell, 0)``. :meth:`Notebook.place` writes it
  ``cell 3:line 2``, and :meth:`Notebook.relabel` rewrites ``line N`` in Python's messages likewise.

:meth:`Notebook.with_script` splits a rewritten script back on the separators, puts every magic line
back verbatim, and returns the notebook's JSON with only the code cells' ``source`` changed: outputs,
metadata and key order as they were, written with the file's own indentation (1, 2, none, a tab),
separators, ``ensure_ascii`` choice, newlines and trailing newline. A notebook whose cells did not
change comes back byte for byte.
"""
from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

__all__ = ["Notebook", "NotebookError", "read_notebook", "parse_notebook"]

#: ``%%NAME`` cell magics whose body is Python (the body is rewritten and run; the first line is kept)
PYTHON_BODY = frozenset({"time", "timeit", "capture", "prun", "debug"})

SEPARATOR = "pass  # %% [shims cell {n}]"
_SEPARATOR = re.compile(r"pass  # %% \[shims cell (\d+)\]")
_PLACEHOLDER = re.compile(r"[ \t]*pass  # \[shims magic (\d+)\] ")
# %time / %timeit [-n N -r R -p P -t -c -q -o] STATEMENT: IPython runs the statement (timed)
_TIMED = re.compile(r"([ \t]*)(%(?:time|timeit)(?:[ \t]+-[nrp][ \t]*\d+|[ \t]+-[tcqo]+)*[ \t]+)(\S.*)")
_TIMED_MARK = re.compile(r"  # \[shims timed (\d+)\]$")
# lines IPython transforms: %magic, !shell, ?help, help?, x = !cmd, x = %magic
_MAGIC = re.compile(r"\s*(?:[%!]|\?)"
                    r"|\s*[A-Za-z_][\w.]*\s*\?{1,2}\s*$"
                    r"|\s*[A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*\s*=\s*[!%]")
_FUTURE = re.compile(r"\s*from\s+__future__\s+import\b")


class NotebookError(ValueError):
    """The file is not a notebook this module can rewrite: not JSON, not nbformat 4, a malformed cell,
    or (from :meth:`Notebook.with_script`) a rewritten script whose cell separators were disturbed."""


class Notebook:
    """One parsed notebook; build it with :func:`read_notebook` or :func:`parse_notebook`."""

    def __init__(self, text: str, data: dict, path: str = "<notebook>") -> None:
        self.path, self.text, self.data = path, text, data
        self.cells: List[dict] = data["cells"]
        #: the kernel's language ("python" where the notebook does not say)
        self.language = str((data.get("metadata", {}).get("kernelspec") or {}).get("language")
                            or (data.get("metadata", {}).get("language_info") or {}).get("name") or "python")
        self._magics: Dict[int, Tuple[int, int, str]] = {}  # K -> (cell, line, original line)
        self._timed: Dict[int, Tuple[str, str]] = {}  # K -> (indentation, "%time ") of a timed statement
        self._script: Optional[Tuple[str, Dict[int, Tuple[int, int]]]] = None

    # ------------------------------------------------------------------ script
    def code_cells(self) -> List[int]:
        """The numbers (1-based) of the code cells, in order."""
        return [i + 1 for i, c in enumerate(self.cells) if c.get("cell_type") == "code"]

    def cell_text(self, cell: int) -> str:
        source = self.cells[cell - 1].get("source", "")
        return source if isinstance(source, str) else "".join(source)

    def script(self) -> Tuple[str, Dict[int, Tuple[int, int]]]:
        """``(text, line_map)``: the code cells as one script (see the module's docstring) and, for each
        line of it (1-based), ``(cell, line in cell)``."""
        if self._script is None:
            self._script = self._build()
        return self._script

    def _build(self) -> Tuple[str, Dict[int, Tuple[int, int]]]:
        out: List[str] = []
        line_map: Dict[int, Tuple[int, int]] = {}
        self._magics, self._timed = {}, {}
        for cell in self.code_cells():
            if out:
                out.append(SEPARATOR.format(n=cell))
                line_map[len(out)] = (cell, 0)
            lines = _lines(self.cell_text(cell))
            for k, line in enumerate(self._protect(cell, lines, at_top=not any(
                    s.strip() and not s.lstrip().startswith("#") for s in out)), start=1):
                out.append(line)
                line_map[len(out)] = (cell, k)
        return "".join(line + "\n" for line in out), line_map

    def _protect(self, cell: int, lines: List[str], at_top: bool) -> List[str]:
        """The cell's lines with IPython's lines (and late ``from __future__`` imports) as placeholders."""
        magic = [False] * len(lines)
        first = next((i for i, s in enumerate(lines) if s.strip()), None)
        if first is not None and lines[first].startswith("%%"):
            name = re.match(r"%%(\w*)", lines[first]).group(1)
            if name not in PYTHON_BODY:  # %%bash, %%writefile, ...: no line of it is Python
                return [self._placeholder(cell, i + 1, s, indent=False) for i, s in enumerate(lines)]
            magic[first] = True
        i, seen_code = 0, not at_top
        while i < len(lines):
            line = lines[i]
            if not magic[i] and (_MAGIC.match(line) or (_FUTURE.match(line) and seen_code)):
                magic[i] = True
                while lines[i].rstrip().endswith("\\") and i + 1 < len(lines):  # a magic continued
                    i += 1
                    magic[i] = True
            if line.strip() and not line.lstrip().startswith("#") and not _FUTURE.match(line):
                seen_code = True
            i += 1
        protected = [(self._timed_statement(s) or self._placeholder(cell, i + 1, s, indent=not s.startswith("%%")))
                     if magic[i] else s for i, s in enumerate(lines)]
        # a line inside a string ("""\n%d epochs\n""") or brackets (`"%d" \n % n)`) is Python's, not a
        # magic: the first such placeholder goes back to its line, then the cell is tokenized again
        while True:
            wrong = next((r for r in _continuation_rows("".join(s + "\n" for s in protected))
                          if 0 < r <= len(lines) and protected[r - 1] != lines[r - 1]
                          and (_PLACEHOLDER.match(protected[r - 1]) or _TIMED_MARK.search(protected[r - 1]))), None)
            if wrong is None:
                return protected
            placeholder = _PLACEHOLDER.match(protected[wrong - 1])
            if placeholder:
                del self._magics[int(placeholder.group(1))]
            else:
                del self._timed[int(_TIMED_MARK.search(protected[wrong - 1]).group(1))]
            protected[wrong - 1] = lines[wrong - 1]

    def _timed_statement(self, text: str) -> Optional[str]:
        """``import torch  # [shims timed K]`` for ``%time import torch``: a line magic that runs one
        statement of one line; None for any other line."""
        m = _TIMED.fullmatch(text)
        if m is None or m.group(3).rstrip().endswith("\\"):
            return None
        try:
            compile(m.group(3), "<timed>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError):  # not a complete statement: a placeholder like any magic
            return None
        k = max(self._timed, default=0) + 1
        self._timed[k] = (m.group(1), m.group(2))
        return f"{m.group(1)}{m.group(3)}  # [shims timed {k}]"

    def _placeholder(self, cell: int, line: int, text: str, indent: bool) -> str:
        k = max(self._magics, default=0) + 1
        self._magics[k] = (cell, line, text)
        lead = text[:len(text) - len(text.lstrip())] if indent and text.strip() else ""
        return f"{lead}pass  # [shims magic {k}] {text.strip()}"

    def magics(self) -> List[Tuple[int, int, str]]:
        """``(cell, line, text)`` of each line kept out of the script (IPython's lines, late
        ``from __future__`` imports, the bodies of non-Python cells), in order."""
        self.script()
        return [self._magics[k] for k in sorted(self._magics)]

    def place(self, script_line: int) -> str:
        """``cell 3:line 2`` for a line of :meth:`script` (``script line N`` if out of range). A separator
        is named as the line after the end of the cell above it (where a cell left open fails)."""
        line_map = self.script()[1]
        where = line_map.get(script_line)
        if where is None:
            return f"script line {script_line}"
        if where[1] == 0 and script_line - 1 in line_map:
            before = line_map[script_line - 1]
            return f"cell {before[0]}:line {before[1] + 1}"
        return f"cell {where[0]}:line {where[1]}"

    def relabel(self, message: str) -> str:
        """``message`` (Python's, about :meth:`script`) with each ``line N`` written as :meth:`place`
        writes it: ``expected an indented block after 'for' statement on cell 2:line 3``."""
        return re.sub(r"\bline (\d+)", lambda m: self.place(int(m.group(1))), message)

    # -------------------------------------------------------------- back to JSON
    def with_script(self, new_text: str) -> str:
        """The notebook's JSON with the code cells taken from ``new_text`` (a rewrite of
        :meth:`script`'s text); magic lines restored verbatim; the original text where nothing changed.
        :class:`NotebookError` if the separators are not all there, once each, in order, at column 0, or
        a magic's placeholder is not there once."""
        script, _ = self.script()
        if new_text == script:
            return self.text
        cells = list(self.cells)  # self.data stays as read: with_script may be called again
        restored: List[int] = []
        timed: List[int] = []  # a timed statement gone with a rule's removal is fine; twice is not
        for cell, chunk in self._split(new_text).items():
            old = self.cell_text(cell)
            new = self._restore(chunk, old, restored, timed)
            if new != old:
                source = cells[cell - 1].get("source", "")
                cells[cell - 1] = dict(cells[cell - 1], source=new if isinstance(source, str)
                                       else re.findall(r"[^\n]*\n|[^\n]+$", new))
        if sorted(restored) != sorted(self._magics):
            raise NotebookError("the rewrite lost or repeated an IPython line: please report it")
        if len(timed) != len(set(timed)):
            raise NotebookError("the rewrite repeated a %time line: please report it")
        if cells == self.cells:
            return self.text
        return dump_like(dict(self.data, cells=cells), self.text)

    def _split(self, new_text: str) -> Dict[int, str]:
        cells = self.code_cells()
        chunks: Dict[int, List[str]] = {c: [] for c in cells}
        current, seen = (cells[0] if cells else None), []
        for line in (s + "\n" for s in _lines(new_text)):
            m = _SEPARATOR.fullmatch(line[:-1])
            if m:
                current = int(m.group(1))
                seen.append(current)
            if current not in chunks:
                raise NotebookError("the rewrite put code outside any cell: please report it")
            if m:
                continue
            chunks[current].append(line)
        if seen != cells[1:]:
            raise NotebookError(f"the rewrite moved a cell boundary (cells {seen} instead of {cells[1:]}): "
                                "please report it")
        return {c: "".join(lines) for c, lines in chunks.items()}

    def _restore(self, chunk: str, old: str, restored: List[int], timed: List[int]) -> str:
        lines = _lines(chunk)
        for i, line in enumerate(lines):
            m = _PLACEHOLDER.match(line)
            if m and int(m.group(1)) in self._magics:
                lines[i] = self._magics[int(m.group(1))][2]
                restored.append(int(m.group(1)))
            t = _TIMED_MARK.search(line)
            if t and int(t.group(1)) in self._timed:
                indent, magic = self._timed[int(t.group(1))]
                statement = line[:t.start()]
                lines[i] = indent + magic + statement[len(statement) - len(statement.lstrip()):]
                timed.append(int(t.group(1)))
        new = "".join(s + "\n" for s in lines)
        if not old.endswith("\n") and new.endswith("\n"):  # script() ended the cell's last line
            new = new[:-1]
        return new


def _lines(text: str) -> List[str]:
    """``text``'s lines without their ``\\n`` (split on ``\\n`` only, as the cells' lists are)."""
    lines = text.split("\n")
    return lines[:-1] if lines and lines[-1] == "" else lines


def _continuation_rows(text: str) -> List[int]:
    """The rows (1-based, in order) that do not start a statement: inside a multi-line string, inside
    brackets, after a backslash."""
    rows: List[int] = []
    row, prev, depth = 0, None, 0
    starts = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.start[0] > row:
                if depth > 0 or (prev is not None and prev not in starts):
                    rows.append(tok.start[0])
                row = tok.start[0]
            if tok.end[0] > tok.start[0] and tok.type not in starts:  # a multi-line string
                rows.extend(range(tok.start[0] + 1, tok.end[0] + 1))
                row = tok.end[0]
            if tok.type == tokenize.OP and tok.string in "([{":
                depth += 1
            elif tok.type == tokenize.OP and tok.string in ")]}":
                depth = max(depth - 1, 0)
            prev = tok.type
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # compiling the script reports it
    return sorted(set(rows))


def dump_like(data: dict, original: str) -> str:
    """``data`` as JSON laid out as ``original`` is: its indentation, separators, ``ensure_ascii``,
    newlines, leading and trailing whitespace. The layout is the one that writes ``json.loads(original)``
    back byte for byte; where none does, the closest guess (the file's indentation)."""
    body = original.strip()
    head, tail = original[:len(original) - len(original.lstrip())], original[len(original.rstrip()):]
    newline = "\r\n" if "\r\n" in body else "\n"
    m = re.match(r"[\[{]\r?\n([ \t]*)\S", body)
    if m is None:
        indent: Union[int, str, None] = None
    else:
        indent = len(m.group(1)) if set(m.group(1)) <= {" "} else m.group(1)
    layouts = []
    for ensure_ascii in ((False, True) if not body.isascii() else (True, False)):
        if indent is None:
            seps = [(", ", ": "), (",", ":"), (",", ": "), (", ", ":")]
        else:
            seps = [(",", ": "), (",", ":"), (", ", ": "), (", ", ":")]
        layouts += [dict(indent=indent, separators=s, ensure_ascii=ensure_ascii) for s in seps]
    before = json.loads(original)

    def dump(obj, layout) -> str:
        text = json.dumps(obj, **layout)
        return text.replace("\n", newline) if newline != "\n" else text

    chosen = next((lay for lay in layouts if dump(before, lay) == body),
                  dict(indent=indent, separators=(",", ": ") if indent is not None else (", ", ": "),
                       ensure_ascii=body.isascii()))
    return head + dump(data, chosen) + tail


def parse_notebook(text: str, path: str = "<notebook>") -> Notebook:
    """A :class:`Notebook` from the file's text; :class:`NotebookError` (one line) if it is not one."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookError("not a Jupyter notebook (no list of cells)")
    if data.get("nbformat") != 4:
        raise NotebookError(f"nbformat {data.get('nbformat')!r}, not 4: open and save it in Jupyter first")
    for i, cell in enumerate(data["cells"], start=1):
        source = cell.get("source", "") if isinstance(cell, dict) else None
        if not isinstance(cell, dict) or "cell_type" not in cell or not (isinstance(source, str) or (
                isinstance(source, list) and all(isinstance(s, str) for s in source))):
            raise NotebookError(f"cell {i} is malformed (no cell_type, or a source that is not text)")
    return Notebook(text, data, path)


def read_notebook(path: Union[str, Path]) -> Notebook:
    """The notebook at ``path``; :class:`NotebookError` if it is not UTF-8 JSON of nbformat 4."""
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    return parse_notebook(text, str(path))
