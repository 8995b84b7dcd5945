# -*- coding: utf-8 -*-
"""PyTorch: Control Flow + Weight Sharing. Fit sin(x) with a cubic plus random x^4, x^5 terms that share one weight.

Modern era (PyTorch 1.7+ / 2.x tutorial, "Learning PyTorch with Examples"), as published but for
the command line below (--steps, --seed, --device, --log-every; see shims/flags.py) and what
--device needs in an example the tutorial runs on the CPU only: ``device=device`` where tensors
are created and ``.to(device)`` on the model.
"""
import argparse
import math
import random

import torch

# Command line (not in the tutorial): the four flags of shims/flags.py, inlined so this file stands alone.
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--steps", type=int, default=30000, help="training steps (default 30000)")
parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to compute (default cpu)")
parser.add_argument("--log-every", type=int, default=2000, help="print the loss every K steps (default 2000)")
args = parser.parse_args()
if args.steps < 1 or args.log_every < 1:
    parser.error("--steps and --log-every must be at least 1")
if args.device == "cuda" and not torch.cuda.is_available():
    parser.exit(69, f"{parser.prog}: error: --device cuda: torch {torch.__version__} sees no CUDA device"
                    " (torch.cuda.is_available() is False)\n")
random.seed(args.seed)
torch.manual_seed(args.seed)
device = torch.device(args.device)  # not in the tutorial, which runs on the CPU


class DynamicNet(torch.nn.Module):
    def __init__(self):
        """
        In the constructor we instantiate five parameters and assign them as members.
        """
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        """
        For the forward pass of the model, we randomly choose either 4, 5
        and reuse the e parameter to compute the contribution of these orders.

        Since each forward pass builds a dynamic computation graph, we can use normal
        Python control-flow operators like loops or conditional statements when
        defining the forward pass of the model.

        Here we also see that it is perfectly safe to reuse the same parameter many
        times when defining a computational graph.
        """
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exp
        return y

    def string(self):
        """
        Just like any class in Python, you can also define custom methods on PyTorch modules
        """
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?'


# Create Tensors to hold input and outputs.
x = torch.linspace(-math.pi, math.pi, 2000, device=device)
y = torch.sin(x)

# Construct our model by instantiating the class defined above
model = DynamicNet().to(device)

# Construct our loss function and an Optimizer. Training this strange model with
# vanilla stochastic gradient descent is tough, so we use momentum
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
for t in range(args.steps):
    # Forward pass: Compute predicted y by passing x to the model
    y_pred = model(x)

    # Compute and print loss
    loss = criterion(y_pred, y)
    if t % args.log_every == args.log_every - 1:
        print(t, loss.item())

    # Zero gradients, perform a backward pass, and update the weights.
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f'Result: {model.string()}')
