# -*- coding: utf-8 -*-
"""PyTorch: Tensors and autograd. Fit y = sin(x) with a third order polynomial; autograd does the backward pass.

Modern era (PyTorch 1.7+ / 2.x tutorial, "Learning PyTorch with Examples"), as published but for
the command line below (--steps, --seed, --device, --log-every; see shims/flags.py), which also
sets ``device``, where the tutorial has you edit a line.
"""
import argparse
import math

import torch

# Command line (not in the tutorial): the four flags of shims/flags.py, inlined so this file stands alone.
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=2000, help="training steps (default 2000)")
parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to compute (default cpu)")
parser.add_argument("--log-every", type=int, default=100, help="print the loss every K steps (default 100)")
args = parser.parse_args()
if args.steps < 1 or args.log_every < 1:
    parser.error("--steps and --log-every must be at least 1")
if args.device == "cuda" and not torch.cuda.is_available():
    parser.exit(69, f"{parser.prog}: error: --device cuda: torch {torch.__version__} sees no CUDA device"
                    " (torch.cuda.is_available() is False)\n")
torch.manual_seed(args.seed)

dtype = torch.float
device = torch.device(args.device)  # the tutorial: torch.device("cpu"), or "cuda:0" to run on GPU

# Create Tensors to hold input and outputs.
# By default, requires_grad=False, which indicates that we do not need to
# compute gradients with respect to these Tensors during the backward pass.
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# Create random Tensors for weights. For a third order polynomial, we need
# 4 weights: y = a + b x + c x^2 + d x^3
# Setting requires_grad=True indicates that we want to compute gradients with
# respect to these Tensors during the backward pass.
a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
d = torch.randn((), device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(args.steps):
    # Forward pass: compute predicted y using operations on Tensors.
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    # Compute and print loss using operations on Tensors.
    # Now loss is a 0-dim Tensor (shape ())
    # loss.item() gets the scalar value held in the loss.
    loss = (y_pred - y).pow(2).sum()
    if t % args.log_every == args.log_every - 1:
        print(t, loss.item())

    # Use autograd to compute the backward pass. This call will compute the
    # gradient of loss with respect to all Tensors with requires_grad=True.
    # After this call a.grad, b.grad, c.grad and d.grad will be Tensors holding
    # the gradient of the loss with respect to a, b, c, d respectively.
    loss.backward()

    # Manually update weights using gradient descent. Wrap in torch.no_grad()
    # because weights have requires_grad=True, but we don't need to track this
    # in autograd.
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Manually zero the gradients after updating weights
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
