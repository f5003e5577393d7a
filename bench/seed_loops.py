"""Provides the seed's original training loops, as the blog post wrote them, to time against."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from engine.data import Dataset, Params

# Each loop takes the data and start weights and returns a function running `iters` iterations.
# They keep the seed's `if it % 10 == 0: print(it, loss)` as a read of the loss (no print).


def numpy_loop(data: Dataset, params: Params, lr: float) -> Callable[[int], None]:
    """Seed part 1: numpy by hand."""
    x_data, y_data = data.x, data.y
    w1, w2 = params.w1.copy(), params.w2.copy()

    def run(iters: int) -> None:
        nonlocal w1, w2
        for it in range(iters):
            h = x_data.dot(w1)
            h_relu = np.maximum(h, 0)
            y_pred = h_relu.dot(w2)
            loss = np.square(y_pred - y_data).sum()
            if it % 10 == 0:
                float(loss)
            grad_y_pred = 2.0 * (y_pred - y_data)
            grad_w2 = h_relu.T.dot(grad_y_pred)
            grad_h_relu = grad_y_pred.dot(w2.T)
            grad_h = grad_h_relu.copy()
            grad_h[h < 0] = 0
            grad_w1 = x_data.T.dot(grad_h)
            w1 -= lr * grad_w1
            w2 -= lr * grad_w2

    return run


def torch_manual_loop(data: Dataset, params: Params, lr: float) -> Callable[[int], None]:
    """The blog's part-1 program with its stated torch substitutions: mm, clamp, t()."""
    x_data = torch.tensor(data.x, dtype=torch.float32)
    y_data = torch.tensor(data.y, dtype=torch.float32)
    w1 = torch.tensor(params.w1, dtype=torch.float32)
    w2 = torch.tensor(params.w2, dtype=torch.float32)

    def run(iters: int) -> None:
        nonlocal w1, w2
        for it in range(iters):
            h = x_data.mm(w1)
            h_relu = h.clamp(min=0)
            y_pred = h_relu.mm(w2)
            loss = (y_pred - y_data).pow(2).sum()
            if it % 10 == 0:
                loss.item()
            grad_y_pred = 2.0 * (y_pred - y_data)
            grad_w2 = h_relu.t().mm(grad_y_pred)
            grad_h_relu = grad_y_pred.mm(w2.t())
            grad_h = grad_h_relu.clone()
            grad_h[h < 0] = 0
            grad_w1 = x_data.t().mm(grad_h)
            w1 -= lr * grad_w1
            w2 -= lr * grad_w2

    return run


def _layers(d_in: int, hidden: int, d_out: int) -> tuple[torch.nn.Linear, torch.nn.Linear]:
    return torch.nn.Linear(d_in, hidden), torch.nn.Linear(hidden, d_out)


def torch_autograd_loop(data: Dataset, params: Params, lr: float) -> Callable[[int], None]:
    """Seed part 2: nn.Sequential with normal_ weights, loss.backward(), SGD by hand."""
    x_data = torch.tensor(data.x, dtype=torch.float32)
    y_data = torch.tensor(data.y, dtype=torch.float32)
    first, second = _layers(x_data.shape[1], params.w1.shape[1], y_data.shape[1])
    model = torch.nn.Sequential(first, torch.nn.ReLU(), second)
    torch.nn.init.normal_(first.weight)
    torch.nn.init.normal_(second.weight)
    loss_fn = torch.nn.MSELoss(reduction="sum")

    def run(iters: int) -> None:
        for it in range(iters):
            y_pred = model(x_data)
            loss = loss_fn(y_pred, y_data)
            if it % 10 == 0:
                loss.item()
            loss.backward()
            with torch.no_grad():
                for param in model.parameters():
                    if param.grad is not None:  # the seed's `param -= lr * param.grad`
                        param.sub_(lr * param.grad)
            model.zero_grad()

    return run


def torch_optim_loop(data: Dataset, params: Params, lr: float) -> Callable[[int], None]:
    """Seed part 3: the same model stepped by torch.optim.Adam."""
    x_data = torch.tensor(data.x, dtype=torch.float32)
    y_data = torch.tensor(data.y, dtype=torch.float32)
    model = torch.nn.Sequential(*_layers(x_data.shape[1], params.w1.shape[1], y_data.shape[1]))
    model.insert(1, torch.nn.ReLU())
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    def run(iters: int) -> None:
        for it in range(iters):
            y_pred = model(x_data)
            loss = loss_fn(y_pred, y_data)
            if it % 10 == 0:
                loss.item()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


SEED_LOOPS = {
    "numpy": numpy_loop,
    "torch-manual": torch_manual_loop,
    "torch-autograd": torch_autograd_loop,
    "torch-optim": torch_optim_loop,
}


def graphed_loop(step: Callable[[], torch.Tensor], k: int = 10) -> Callable[[int], list[float]]:
    """A hand-written CUDA graph loop of one trainer's step: the most its own loop could reach.

    Warm-up on a side stream, k steps captured in one graph each writing its loss into a buffer
    (PyTorch's CUDA graphs notes); a run replays it iters // k times, keeps each replay's losses
    on the device and reads them all once at the end.
    """
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(side)
    first = step()
    losses = torch.empty(k, dtype=first.dtype, device=first.device)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for i in range(k):
            losses[i].copy_(step())

    def run(iters: int) -> list[float]:
        kept = []
        for _ in range(iters // k):
            graph.replay()
            kept.append(losses.clone())
        return torch.cat(kept).tolist()

    return run
