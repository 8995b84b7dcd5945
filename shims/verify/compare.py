"""What two runs of a script printed, compared number by number, line by line.

Each stdout line is reduced to the numbers in it (``0 tensor(29428664.)`` and ``0 29428664.0`` hold
the same numbers), so that an upgrade that prints ``loss.item()`` where the old code printed a tensor
is not a difference; where one side printed a number with fewer digits (``tensor(100.8058)``), the
two are compared at that precision. A line is *identical* (the same numbers, bit for bit as printed), *close* (every
number within the tolerance: ``|a - b| <= atol + rtol * |b|``) or *different*; lines without numbers
must be the same text.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?![\w.])|(?<!\w)[-+]?(?:nan|inf)(?!\w)")
#: the default tolerance (stated in every report that uses it)
RTOL, ATOL = 1e-5, 0.0


def numbers_of(line: str) -> Tuple[float, ...]:
    """The numbers printed on ``line``, in order (``nan`` and ``inf`` included)."""
    return tuple(float(token) for token in NUMBER.findall(line))


def quanta_of(line: str) -> Tuple[float, ...]:
    """The resolution each number on ``line`` was printed with: half a unit of its last digit
    (``0.0010`` -> 0.00005, ``1.2346e-05`` -> 5e-10, ``29428664.`` -> 0.5); 0 for nan and inf."""
    out = []
    for token in NUMBER.findall(line):
        mantissa, _, exponent = token.lstrip("+-").lower().partition("e")
        if not mantissa[:1].isdigit() and not mantissa.startswith("."):
            out.append(0.0)
            continue
        decimals = len(mantissa.split(".", 1)[1]) if "." in mantissa else 0
        out.append(0.5 * 10.0 ** (int(exponent or 0) - decimals))
    return tuple(out)


def _as_printed(a: float, b: float, qa: float, qb: float) -> bool:
    """Whether ``a`` and ``b`` are the same number at the resolution of the coarser print
    (``tensor(0.0010)`` and ``0.0009742096``)."""
    quantum = max(qa, qb)
    if not quantum or not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= quantum * (1 + 1e-9)


def numeric_lines(text: str) -> List[Tuple[int, Tuple[float, ...], str]]:
    """``(line number, numbers, text)`` for each line of ``text`` (1-based), blank lines left out."""
    return [(i, numbers_of(line), line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    if _same(a, b):
        return True
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    return abs(a - b) <= atol + rtol * abs(b)


def _relative(a: float, b: float) -> float:
    if _same(a, b):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


@dataclass
class Comparison:
    """Two outputs compared: the verdict, where it starts, and by how much."""

    status: str  # "identical" | "close" | "different" | "nothing"
    lines: int  # lines compared
    numbers: int  # numbers compared
    first_line: Optional[int] = None  # first line (1-based, of the old output) beyond the tolerance
    first_old: Optional[str] = None
    first_new: Optional[str] = None
    max_relative: float = 0.0  # the largest relative difference of a number
    max_line: Optional[int] = None
    first_inexact: Optional[int] = None  # first line whose numbers are not bit for bit the same
    notes: List[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("status", "lines", "numbers", "first_line", "first_old", "first_new",
                                             "max_relative", "max_line", "first_inexact", "notes")}

    def describe(self, rtol: float, atol: float) -> str:
        if self.status == "nothing":
            return "no numbers printed: nothing to compare"
        if self.status == "identical":
            return f"identical: {self.lines} line(s), {self.numbers} number(s), the same bits as printed"
        if self.status == "close":
            exact = (f"bit for bit up to line {self.first_inexact - 1}" if (self.first_inexact or 1) > 1 else
                     "not bit for bit from line 1")
            return (f"equal within rtol={rtol:g}, atol={atol:g}: {self.lines} line(s); {exact}, largest relative "
                    f"difference {self.max_relative:.3g} (line {self.max_line})")
        text = (f"differs from line {self.first_line} ({self.first_old!r} vs {self.first_new!r}); "
                f"largest relative difference {self.max_relative:.3g} (line {self.max_line})")
        return text + "".join(f"; {n}" for n in self.notes)


def compare(old: str, new: str, rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Compare two stdout texts line by line (see the module's docstring)."""
    a, b = numeric_lines(old), numeric_lines(new)
    result = Comparison("identical", min(len(a), len(b)), 0)
    for (line, xs, text_a), (_, ys, text_b) in zip(a, b):
        if len(xs) == len(ys) and xs:  # a number printed with fewer digits is compared at that precision
            qa, qb = quanta_of(text_a), quanta_of(text_b)
            if qa != qb:
                ys = tuple(x if not _same(x, y) and _as_printed(x, y, p, q) else y
                           for x, y, p, q in zip(xs, ys, qa, qb))
        if len(xs) != len(ys) or (not xs and text_a.strip() != text_b.strip()):
            if result.first_line is None:
                result.first_line, result.first_old, result.first_new = line, text_a.strip(), text_b.strip()
                result.first_inexact = result.first_inexact or line
            result.max_relative, result.max_line = math.inf, result.max_line or line
            continue
        result.numbers += len(xs)
        rel = max((_relative(x, y) for x, y in zip(xs, ys)), default=0.0)
        if rel > result.max_relative:
            result.max_relative, result.max_line = rel, line
        if rel and result.first_inexact is None:
            result.first_inexact = line
        if not all(_close(x, y, rtol, atol) for x, y in zip(xs, ys)) and result.first_line is None:
            result.first_line, result.first_old, result.first_new = line, text_a.strip(), text_b.strip()
    if len(a) != len(b):
        result.notes.append(f"the old side printed {len(a)} line(s), the new side {len(b)}")
        if result.first_line is None:
            result.first_line = result.lines + 1
            result.first_old = a[result.lines][2].strip() if len(a) > result.lines else "(no line)"
            result.first_new = b[result.lines][2].strip() if len(b) > result.lines else "(no line)"
    if result.first_line is not None:
        result.status = "different"
    elif result.numbers == 0:
        result.status = "nothing"
    elif result.first_inexact is not None:
        result.status = "close"
    return result


def agrees(c: Comparison) -> bool:
    """Whether a comparison counts as the same numbers (bit for bit, or within the tolerance)."""
    return c.status in ("identical", "close")


def texts_differ(runs: Sequence[str]) -> bool:
    """Whether repeated runs of one side printed other numbers (not reproducible as written)."""
    return any(compare(runs[0], other, 0.0, 0.0).status not in ("identical", "nothing") for other in runs[1:])
