"""The size sweep's workload: the tutorial's two-layer net, scaled up, timed per step; prints JSON.

    python matrix/bench/sweep.py --sizes 1 2 4 8 16 --steps 20 --warmup 3 [--devices cpu cuda]

Runs *inside* a pin's interpreter, as a file (no package import): Python 3.7+, the standard library
and torch only (torch 1.0.1 included). The net is the tensor_autograd era's autograd example
(N, D_in, H, D_out = 64, 1000, 100, 10; weights with ``requires_grad=True``, ``mm``, ``clamp``,
``pow(2).sum()``, the update under ``torch.no_grad()``) with the batch N and hidden size H multiplied
by each scale k: the work per step grows about as k squared.

Each step is timed on its own (``time.perf_counter`` around it). On CUDA the kernels are queued, not
run, when the Python call returns, so ``torch.cuda.synchronize()`` comes before each reading of the
clock; the first ``--warmup`` steps (CUDA context, cuBLAS handles, allocator growth, CPU caches) are
run but not kept. Without a usable CUDA device the cuda rows say why, and nothing is timed.

The JSON on stdout: ``{"torch": version, "threads": torch.get_num_threads(), "rows": [...]}``, a row
per device x scale, as :mod:`matrix.bench.record` describes ``size_sweep``.
"""
import argparse
import json
import time

import torch

N, D_IN, H, D_OUT = 64, 1000, 100, 10
LEARNING_RATE = 1e-6


def time_steps(device, scale, steps, warmup, seed=0):
    """Seconds of each of ``steps`` training steps at ``scale`` on ``device`` (after ``warmup``)."""
    torch.manual_seed(seed)
    batch, hidden = N * scale, H * scale
    dev = torch.device(device)
    x = torch.randn(batch, D_IN, device=dev)
    y = torch.randn(batch, D_OUT, device=dev)
    w1 = torch.randn(D_IN, hidden, device=dev, requires_grad=True)
    w2 = torch.randn(hidden, D_OUT, device=dev, requires_grad=True)
    cuda = dev.type == "cuda"
    # The tutorial's rate is for N=64, H=100: the gradient grows with the batch and hidden size, so the
    # rate shrinks with them and the losses stay finite (inf/nan arithmetic would time something else).
    rate = LEARNING_RATE / (scale * scale)
    times = []
    for t in range(warmup + steps):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        y_pred = x.mm(w1).clamp(min=0).mm(w2)
        loss = (y_pred - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            w1 -= rate * w1.grad
            w2 -= rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
        if cuda:
            torch.cuda.synchronize()  # the step's kernels have run, not merely been queued
        elapsed = time.perf_counter() - start
        if t >= warmup:
            times.append(elapsed)
    return batch, hidden, times


def cuda_missing():
    """Why there is no CUDA device to time on, or None."""
    try:
        if torch.cuda.is_available():
            return None
    except Exception as exc:  # a broken driver raises rather than answering False
        return "torch.cuda.is_available() raised %s: %s" % (type(exc).__name__, exc)
    return "no CUDA device: torch.cuda.is_available() is False on this machine"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per size (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--devices", nargs="+", choices=("cpu", "cuda"), default=["cpu", "cuda"])
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < 0 or min(args.sizes) < 1:
        parser.error("--steps and --sizes must be at least 1, --warmup at least 0")
    version = torch.__version__
    threads = torch.get_num_threads()
    rows = []
    for device in args.devices:
        missing = cuda_missing() if device == "cuda" else None
        for scale in args.sizes:
            row = {"device": device, "torch": version, "threads": threads, "scale": scale}
            if missing:
                row.update(status="not_run", reason=missing)
            else:
                batch, hidden, times = time_steps(device, scale, args.steps, args.warmup)
                row.update(batch=batch, hidden=hidden, d_in=D_IN, d_out=D_OUT, seconds_per_step=times,
                           status="measured")
                if device == "cuda":
                    row["device_name"] = torch.cuda.get_device_name(0)
            rows.append(row)
    print(json.dumps({"torch": version, "threads": threads, "rows": rows}))


if __name__ == "__main__":
    main()
