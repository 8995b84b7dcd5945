"""Generated Python files for the upgrade section of the bench: the same small functions repeated to
a size, with the old idioms of 2017 (every rewrite rule has something to do) or without them (modern
code that still imports torch, so every rule's text check can pass and the file is parsed in full).

The text is made here, not copied: each function is a few lines written for this bench, numbered so
that no two are alike (a real repository does not repeat itself either, and LibCST's work does not
depend on that).
"""
from __future__ import annotations

from pathlib import Path
from typing import List

HEADER = {
    True: ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
           "from torch.autograd import Variable, Function\n\n\n"),
    False: "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\n",
}

#: one unit of 2017 code: Variable, .data[0], size_average, a legacy tensor type, grad.data.zero_(),
#: retain_variables, F.sigmoid, F.upsample, volatile, a legacy Function and its instance call
OLD = '''class Clamp{n}(Function):
    def forward(self, x):
        self.save_for_backward(x)
        return x.clamp(min=0)

    def backward(self, grad):
        x, = self.saved_tensors
        return grad * (x > 0).float()


def step_{n}(model, x, y, lr={lr}):
    x = Variable(x.type(torch.FloatTensor))
    y = Variable(y, requires_grad=False)
    h = Clamp{n}()(model(x))
    loss = nn.MSELoss(size_average=False)(F.sigmoid(h), y)
    loss.backward(retain_variables=True)
    print({n}, loss.data[0])
    for p in model.parameters():
        p.data -= lr * p.grad.data
        p.grad.data.zero_()
    z = Variable(x, volatile=True)
    return F.upsample(z, scale_factor=2)


'''

#: the same work written for torch 2.x: nothing for the rules to change
NEW = '''class Clamp{n}(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0)

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return grad * (x > 0).float()


def step_{n}(model, x, y, lr={lr}):
    x = x.float()
    h = Clamp{n}.apply(model(x))
    loss = nn.MSELoss(reduction="sum")(torch.sigmoid(h), y)
    loss.backward(retain_graph=True)
    print({n}, loss.item())
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
            p.grad = None
        return F.interpolate(x, scale_factor=2)


'''


def source(size: int, old: bool) -> str:
    """A file of about ``size`` bytes (at least one unit) of old or new code."""
    unit = OLD if old else NEW
    parts: List[str] = [HEADER[old]]
    total, n = len(parts[0]), 0
    while n == 0 or total < size:
        part = unit.format(n=n, lr=f"1e-{2 + n % 5}")
        parts.append(part)
        total += len(part)
        n += 1
    return "".join(parts)


def write_folder(folder: Path, files: int, size: int, old: bool) -> List[Path]:
    """``files`` files of about ``size`` bytes each under ``folder`` (created), in subfolders of 100."""
    out = []
    for i in range(files):
        path = folder / f"pkg{i // 100:02d}" / f"mod{i:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source(size, old))
        out.append(path)
    return out
