"""PyTorch: optim. The two-layer network as a torch.nn.Sequential, trained with torch.optim.Adam
(legacy era, PyTorch 0.1-0.3, 2017).
"""
# Code in file nn/two_layer_net_optim.py
import torch
from torch.autograd import Variable

from shims.flags import tutorial_flags
from shims.torch_legacy import MSELoss, item0

# --steps, --seed, --device cpu|cuda, --log-every (default: every step, as the tutorial printed)
args = tutorial_flags(steps=500, log_every=1)

# The tutorial's nn examples run on the CPU only; --device picks the tensor type, as the earlier
# examples do by editing a line (tutorial_flags has refused cuda where there is none).
dtype = torch.cuda.FloatTensor if args.device == "cuda" else torch.FloatTensor

# N is batch size; D_in is input dimension;
# H is hidden dimension; D_out is output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

# Create random Tensors to hold inputs and outputs, and wrap them in Variables.
x = Variable(torch.randn(N, D_in).type(dtype))
y = Variable(torch.randn(N, D_out).type(dtype), requires_grad=False)

# Use the nn package to define our model and loss function.
model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out),
)
model.type(dtype)
loss_fn = MSELoss(size_average=False)  # was: torch.nn.MSELoss(size_average=False)  (catalog: size-average)

# Use the optim package to define an Optimizer that will update the weights of
# the model for us. Here we will use Adam; the optim package contains many other
# optimization algorithms. The first argument to the Adam constructor tells the
# optimizer which Variables it should update.
learning_rate = 1e-4
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
for t in range(args.steps):
    # Forward pass: compute predicted y by passing x to the model.
    y_pred = model(x)

    # Compute and print loss.
    loss = loss_fn(y_pred, y)
    if t % args.log_every == args.log_every - 1:
        print(t, item0(loss.data))  # was: print(t, loss.data[0])  (catalog: zero-dim-index)

    # Before the backward pass, use the optimizer object to zero all of the
    # gradients for the variables it will update (which are the learnable weights
    # of the model)
    optimizer.zero_grad()

    # Backward pass: compute gradient of the loss with respect to model parameters
    loss.backward()

    # Calling the step function on an Optimizer makes an update to its parameters
    optimizer.step()
