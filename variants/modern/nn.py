# -*- coding: utf-8 -*-
"""PyTorch: nn. Fit y = sin(x) with a third order polynomial as a Linear(3, 1) layer on (x, x^2, x^3).

Modern era (PyTorch 1.7+ / 2.x tutorial, "Learning PyTorch with Examples"), as published but for
the command line below (--steps, --seed, --device, --log-every; see shims/flags.py) and what
--device needs in an example the tutorial runs on the CPU only: ``device=device`` where tensors
are created and ``.to(device)`` on the model.
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
device = torch.device(args.device)  # not in the tutorial, which runs on the CPU

# Create Tensors to hold input and outputs.
x = torch.linspace(-math.pi, math.pi, 2000, device=device)
y = torch.sin(x)

# For this example, the output y is a linear function of (x, x^2, x^3), so
# we can consider it as a linear layer neural network. Let's prepare the
# tensor (x, x^2, x^3).
p = torch.tensor([1, 2, 3], device=device)
xx = x.unsqueeze(-1).pow(p)

# In the above code, x.unsqueeze(-1) has shape (2000, 1), and p has shape
# (3,), for this case, broadcasting semantics will apply to obtain a tensor
# of shape (2000, 3)

# Use the nn package to define our model as a sequence of layers. nn.Sequential
# is a Module which contains other Modules, and applies them in sequence to
# produce its output. The Linear Module computes output from input using a
# linear function, and holds internal Tensors for its weight and bias.
# The Flatten layer flattens the output of the linear layer to a 1D tensor,
# to match the shape of `y`.
model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
).to(device)

# The nn package also contains definitions of popular loss functions; in this
# case we will use Mean Squared Error (MSE) as our loss function.
loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-6
for t in range(args.steps):

    # Forward pass: compute predicted y by passing x to the model. Module objects
    # override the __call__ operator so you can call them like functions. When
    # doing so you pass a Tensor of input data to the Module and it produces
    # a Tensor of output data.
    y_pred = model(xx)

    # Compute and print loss. We pass Tensors containing the predicted and true
    # values of y, and the loss function returns a Tensor containing the
    # loss.
    loss = loss_fn(y_pred, y)
    if t % args.log_every == args.log_every - 1:
        print(t, loss.item())

    # Zero the gradients before running the backward pass.
    model.zero_grad()

    # Backward pass: compute gradient of the loss with respect to all the learnable
    # parameters of the model. Internally, the parameters of each Module are stored
    # in Tensors with requires_grad=True, so this call will compute gradients for
    # all learnable parameters in the model.
    loss.backward()

    # Update the weights using gradient descent. Each parameter is a Tensor, so
    # we can access its gradients like we did before.
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

# You can access the first layer of `model` like accessing the first item of a list
linear_layer = model[0]

# For linear layer, its parameters are stored as `weight` and `bias`.
print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + {linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
