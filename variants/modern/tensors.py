# -*- coding: utf-8 -*-
"""PyTorch: Tensors. Fit y = sin(x) with a third order polynomial, forward and backward by hand.

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

# Create random input and output data
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# Randomly initialize weights
a = torch.randn((), device=device, dtype=dtype)
b = torch.randn((), device=device, dtype=dtype)
c = torch.randn((), device=device, dtype=dtype)
d = torch.randn((), device=device, dtype=dtype)

learning_rate = 1e-6
for t in range(args.steps):
    # Forward pass: compute predicted y
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    # Compute and print loss
    loss = (y_pred - y).pow(2).sum().item()
    if t % args.log_every == args.log_every - 1:
        print(t, loss)

    # Backprop to compute gradients of a, b, c, d with respect to loss
    grad_y_pred = 2.0 * (y_pred - y)
    grad_a = grad_y_pred.sum()
    grad_b = (grad_y_pred * x).sum()
    grad_c = (grad_y_pred * x ** 2).sum()
    grad_d = (grad_y_pred * x ** 3).sum()

    # Update weights using gradient descent
    a -= learning_rate * grad_a
    b -= learning_rate * grad_b
    c -= learning_rate * grad_c
    d -= learning_rate * grad_d

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
