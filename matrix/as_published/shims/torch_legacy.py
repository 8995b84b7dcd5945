"""``shims.torch_legacy``'s names, each doing exactly what the 2017 code did in its place.

Each function is the one expression the variant's comment says it replaced ("was: ..."), so a
cell run with this module reports what that expression does on the installed torch.
"""
import torch
from torch.autograd import Variable


def item0(tensor):
    """was: ``loss.data[0]``."""
    return tensor[0]


def sum_as_number(tensor):
    """was: ``(y_pred - y).pow(2).sum()``, a Python number up to 0.3."""
    return tensor.sum()


#: was: ``class MyReLU(torch.autograd.Function)`` with non-static forward/backward, ``MyReLU()(x)``.
LegacyFunction = torch.autograd.Function

#: was: ``torch.nn.MSELoss(size_average=False)``.
MSELoss = torch.nn.MSELoss


def zero_grad_(*tensors):
    """was: ``w1.grad.data.zero_(); w2.grad.data.zero_()`` before the first backward."""
    for t in tensors:
        t.grad.data.zero_()


def variable(data, requires_grad=False, volatile=False):
    """was: ``Variable(data, requires_grad=..., volatile=...)``."""
    return Variable(data, requires_grad=requires_grad, volatile=volatile)

