"""Provides the torch trainers: by hand on tensors, autograd with hand SGD, and torch.optim.

Each keeps its learning rate in a 0-d tensor on its device that every step reads, so a step
captured in a CUDA graph (engine/torch_graphs.py) honours a new value set with set_lr().
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import torch

from engine.config import TrainerSpec
from engine.data import Dataset, Params
from engine.optimizers import make_optimizer

# A torch optimizer's first step imports torch._dynamo (1.3 s of CPU). Imported with this module,
# it loads once in the fork server every trainer's process is forked from: torch-optim restarted
# in 1.6 s instead of 0.3, and started last beside three trainers already running (python -m
# bench.restart_bench). Where it can't load (an old torch on a new Python), the step says so.
with contextlib.suppress(Exception):
    import torch._dynamo


def _tensor(array: object, spec: TrainerSpec) -> torch.Tensor:
    """A copy on the trainer's device: the start arrays are shared and must stay untouched."""
    return torch.tensor(array, dtype=getattr(torch, spec.dtype), device=spec.device)


def _array(tensor: torch.Tensor) -> np.ndarray:
    """A float64 C-ordered copy on the host: the trainer goes on changing its own, and a
    transpose (nn.Linear's weights) would otherwise keep its strides, which numpy's `out=` refuses.
    """
    contiguous = torch.contiguous_format
    return tensor.detach().to("cpu", torch.float64, copy=True, memory_format=contiguous).numpy()


def _maybe_array(tensor: torch.Tensor | None) -> np.ndarray | None:
    return None if tensor is None else _array(tensor)


def build(spec: TrainerSpec, data: Dataset, params: Params) -> Any:
    """The spec's torch trainer, run in CUDA graphs when the spec says so."""
    torch.set_float32_matmul_precision(spec.matmul_precision)  # "high": TF32 where there is one
    trainer_class = {"torch-manual": TorchManualMLP, "torch-autograd": TorchAutogradMLP}.get(
        spec.name, TorchOptimMLP
    )
    trainer = trainer_class(spec, data, params)
    if not spec.graphs:
        return trainer
    from engine.torch_graphs import GraphedTrainer

    return GraphedTrainer(trainer)


class _DeviceLr:
    """The learning rate as a 0-d tensor on the trainer's device, changed in place."""

    lr: torch.Tensor

    @property
    def lr_on_device(self) -> bool:
        """True where steps read self.lr: a captured graph takes a new one without recapture."""
        return True

    def set_lr(self, lr: float) -> None:
        """A new learning rate, read by the next step (eager or replayed)."""
        self.lr.fill_(lr)

    def reset_after_capture(self) -> None:
        """Drops what a failed CUDA graph capture may have left (gradients of the graph's pool)."""
        model = getattr(self, "model", None)
        if model is not None:
            model.zero_grad(set_to_none=True)


class TorchManualMLP(_DeviceLr):
    """The numpy trainer line for line on torch tensors (mm, clamp, t()), on any device."""

    def __init__(self, spec: TrainerSpec, data: Dataset, params: Params) -> None:
        self.device = spec.device
        self.lr = _tensor(spec.lr, spec)  # 0-d, read by every step
        self.error_scale = torch.empty_like(self.lr)  # -2·lr, from self.lr each step
        self.data = data
        self.x = _tensor(data.x, spec)  # (N, D_in)
        self.y = _tensor(data.y, spec)  # (N, D_out)
        self.w1 = _tensor(params.w1, spec)  # (D_in, H)
        self.w2 = _tensor(params.w2, spec)  # (H, D_out)
        self.b1 = None if params.b1 is None else _tensor(params.b1, spec)  # (H,)
        self.b2 = None if params.b2 is None else _tensor(params.b2, spec)  # (D_out,)
        self.h = torch.empty_like(self.x @ self.w1)
        self.h_relu = torch.empty_like(self.h)
        self.y_pred = torch.empty_like(self.y)
        self.grad_y_pred = torch.empty_like(self.y)
        self.grad_h = torch.empty_like(self.h)
        self.grad_w1 = torch.empty_like(self.w1)
        self.grad_w2 = torch.empty_like(self.w2)

    def step(self) -> torch.Tensor:
        """One iteration; returns its loss as a tensor left on the device (no host sync)."""
        loss = self.forward()
        torch.mul(self.lr, -2.0, out=self.error_scale)
        self.backward(self.error_scale)
        self.update()
        return loss

    def forward(self) -> torch.Tensor:
        """Forward pass and loss: y_pred = relu(x·w1 + b1)·w2 + b2, sum of squared errors."""
        torch.mm(self.x, self.w1, out=self.h)  # (N, H)
        if self.b1 is not None:
            self.h += self.b1
        torch.clamp(self.h, min=0, out=self.h_relu)  # (N, H)
        torch.mm(self.h_relu, self.w2, out=self.y_pred)  # (N, D_out)
        if self.b2 is not None:
            self.y_pred += self.b2
        torch.sub(self.y_pred, self.y, out=self.grad_y_pred)  # y_pred - y, reused below
        error = self.grad_y_pred.view(-1)
        return torch.dot(error, error)

    def backward(self, error_scale: float | torch.Tensor = 2.0) -> None:
        """Gradients of the loss from the forward pass just run, times error_scale / 2.

        d loss / d y_pred = 2·(y_pred - y); a step passes -2·lr so the gradients come out already
        scaled by -lr (numpy's backward takes that scale as -lr, a float).
        """
        self.grad_y_pred *= error_scale  # (N, D_out)
        torch.mm(self.h_relu.t(), self.grad_y_pred, out=self.grad_w2)  # (H, D_out)
        torch.mm(self.grad_y_pred, self.w2.t(), out=self.grad_h)  # grad_h_relu (N, H)
        self.grad_h.masked_fill_(self.h < 0, 0)  # grad_h[h < 0] = 0
        torch.mm(self.x.t(), self.grad_h, out=self.grad_w1)  # (D_in, H)

    def update(self) -> None:
        """Plain SGD, w -= lr * grad, with the gradients already scaled by -lr."""
        if self.b1 is not None and self.b2 is not None:
            self.b1 += self.grad_h.sum(dim=0)
            self.b2 += self.grad_y_pred.sum(dim=0)
        self.w1 += self.grad_w1
        self.w2 += self.grad_w2

    def gradients(self) -> dict[str, torch.Tensor]:
        """The gradients at the current weights, without updating them (for checks)."""
        self.forward()
        self.backward()
        grads = {"w1": self.grad_w1.clone(), "w2": self.grad_w2.clone()}
        if self.b1 is not None:
            grads["b1"] = self.grad_h.sum(dim=0)
            grads["b2"] = self.grad_y_pred.sum(dim=0)
        return grads

    def parameters(self) -> dict[str, torch.Tensor]:
        """The trainer's own weight tensors, by name (perturbed in place by gradient checks)."""
        named = {"w1": self.w1, "w2": self.w2, "b1": self.b1, "b2": self.b2}
        return {name: tensor for name, tensor in named.items() if tensor is not None}

    def params(self) -> Params:
        """The current weights as float64 numpy copies."""
        return Params(
            _array(self.w1), _array(self.w2), _maybe_array(self.b1), _maybe_array(self.b2)
        )

    @staticmethod
    def read_losses(pending: list[torch.Tensor]) -> list[float]:
        """Copies a batch of device losses to the host in one transfer."""
        return torch.stack(pending).tolist() if pending else []


def build_model(spec: TrainerSpec, params: Params) -> torch.nn.Sequential:
    """The seed's nn.Sequential(Linear, ReLU, Linear), holding the given start weights."""
    d_in, hidden = params.w1.shape
    d_out = params.w2.shape[1]
    bias = params.b1 is not None
    where = {"device": spec.device, "dtype": getattr(torch, spec.dtype)}
    first = torch.nn.Linear(d_in, hidden, bias=bias, **where)  # x·w1 + b1
    second = torch.nn.Linear(hidden, d_out, bias=bias, **where)
    with torch.no_grad():
        first.weight.copy_(torch.from_numpy(params.w1.T))  # nn.Linear keeps (out, in)
        second.weight.copy_(torch.from_numpy(params.w2.T))
        if params.b1 is not None and params.b2 is not None:
            first.bias.copy_(torch.from_numpy(params.b1))
            second.bias.copy_(torch.from_numpy(params.b2))
    return torch.nn.Sequential(first, torch.nn.ReLU(), second)


class _SequentialMLP(_DeviceLr):
    """What the two nn.Sequential trainers share: their weights read back for saving."""

    model: torch.nn.Sequential

    def params(self) -> Params:
        """The current weights in numpy orientation: nn.Linear keeps (out, in), so transposed."""
        first, second = (layer for layer in self.model if isinstance(layer, torch.nn.Linear))
        return Params(_array(first.weight.t()), _array(second.weight.t()),
                      _maybe_array(first.bias), _maybe_array(second.bias))  # fmt: skip

    read_losses = staticmethod(TorchManualMLP.read_losses)


class TorchAutogradMLP(_SequentialMLP):
    """The seed's part-2 program: nn.Sequential, loss.backward(), SGD by hand under no_grad."""

    def __init__(self, spec: TrainerSpec, data: Dataset, params: Params) -> None:
        self.device = spec.device
        self.lr = _tensor(spec.lr, spec)  # 0-d, read by every step
        self.data = data
        self.x = _tensor(data.x, spec)  # (N, D_in)
        self.y = _tensor(data.y, spec)  # (N, D_out)
        self.model = build_model(spec, params)
        self.loss_fn = torch.nn.MSELoss(reduction="sum")

    def step(self) -> torch.Tensor:
        """One iteration; returns its loss as a tensor left on the device (no host sync)."""
        y_pred = self.model(self.x)  # (N, D_out)
        loss = self.loss_fn(y_pred, self.y)
        loss.backward()
        with torch.no_grad():
            for param in self.model.parameters():
                if param.grad is not None:
                    param.sub_(self.lr * param.grad)  # param -= lr * param.grad
        self.model.zero_grad()  # backward() adds to .grad; start the next step from zero
        return loss.detach()


class TorchOptimMLP(_SequentialMLP):
    """The seed's part-3 program: the same model stepped by a torch.optim optimizer."""

    def __init__(self, spec: TrainerSpec, data: Dataset, params: Params) -> None:
        self.device = spec.device
        self.lr = _tensor(spec.lr, spec)  # 0-d; the optimizer's param group holds this tensor
        self.data = data
        self.x = _tensor(data.x, spec)  # (N, D_in)
        self.y = _tensor(data.y, spec)  # (N, D_out)
        self.model = build_model(spec, params)
        self.loss_fn = torch.nn.MSELoss(reduction="sum")
        self.optimizer = make_optimizer(spec, self.model, self.lr)

    @property
    def lr_on_device(self) -> bool:
        """False where the optimizer holds its lr as a number: a graph then holds it too."""
        return self.optimizer.param_groups[0]["lr"] is self.lr

    def set_lr(self, lr: float) -> None:
        super().set_lr(lr)
        for group in self.optimizer.param_groups:
            if group["lr"] is not self.lr:
                group["lr"] = lr

    def step(self) -> torch.Tensor:
        """One iteration; returns its loss as a tensor left on the device (no host sync)."""
        y_pred = self.model(self.x)  # (N, D_out)
        loss = self.loss_fn(y_pred, self.y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.detach()
