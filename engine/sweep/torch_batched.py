"""Provides the torch trainers batched over a sweep's M members, each in its own trainer's style."""

from __future__ import annotations

import copy
from typing import Any, cast

import numpy as np
import torch

from engine.config import TrainerSpec
from engine.data import Dataset, Params
from engine.optimizers import make_optimizer
from engine.sweep.members import Freezable, SideBySide
from engine.torch_mlp import TorchManualMLP, build_model


def _stacked(arrays: list[Any], spec: TrainerSpec, axis: int = 0) -> torch.Tensor:
    """The members' arrays stacked on `axis`, copied to the trainer's device and dtype."""
    return torch.tensor(np.stack(arrays, axis=axis), dtype=getattr(torch, spec.dtype),
                        device=spec.device)  # fmt: skip


class _Frozen(Freezable):
    """Frozen members as a mask on the device as well: zeroing their gradients is then a kernel
    that a CUDA graph can hold (indexing by the host's list would copy it to the device)."""

    frozen_mask: torch.Tensor  # (M,) bool

    def freeze(self, members: list[int]) -> None:
        super().freeze(members)
        self.frozen_mask[self.frozen] = True

    def zero_frozen(self, grad: torch.Tensor, axis: int = 0) -> None:
        """Zeroes the frozen members' slices of grad (members on `axis`), NaN included."""
        shape = [1] * grad.dim()
        shape[axis] = -1
        grad.masked_fill_(self.frozen_mask.view(shape), 0)

    def reset_after_capture(self) -> None:
        """Nothing to drop after a failed capture: each step zeroes what it adds into."""


class BatchedTorchManualMLP(_Frozen, SideBySide):
    """BatchedNumpyMLP line for line on tensors (mm, bmm, clamp, addmm_), on any device."""

    def __init__(self, specs: list[TrainerSpec], data: Dataset, params: list[Params]) -> None:
        spec = specs[0]
        self.device = spec.device
        self.x = _stacked([data.x], spec)[0]  # (N, D_in)
        self.y = _stacked([data.y], spec)[0]  # (N, D_out)
        self.w1 = _stacked([p.w1 for p in params], spec, axis=1)  # (D_in, M, H)
        self.w2 = _stacked([p.w2 for p in params], spec)  # (M, H, D_out)
        has_bias = params[0].b1 is not None
        self.b1 = _stacked([p.b1 for p in params], spec) if has_bias else None  # (M, H)
        self.b2 = _stacked([p.b2 for p in params], spec) if has_bias else None  # (M, D_out)
        self.scale = _stacked([[[2.0 * -s.lr]] for s in specs], spec)  # (M, 1, 1), -2·lr each
        n, (_, m, hidden), d_out = self.x.shape[0], self.w1.shape, self.w2.shape[2]
        self.h = self.x.new_empty((n, m, hidden))  # the wide GEMM's (N, M·H), seen per member
        self.h_relu = torch.empty_like(self.h)
        self.y_pred = self.x.new_empty((m, n, d_out))
        self.grad_y_pred = torch.empty_like(self.y_pred)
        self.grad_h_relu = self.x.new_empty((m, n, hidden))
        self.grad_h = torch.empty_like(self.h)
        self.grad_w2 = torch.empty_like(self.w2)
        self.frozen_mask = torch.zeros(m, dtype=torch.bool, device=self.device)

    def step(self) -> torch.Tensor:
        """One iteration of every member; returns their M losses, left on the device."""
        losses = self.forward()
        self.backward()
        self.update()
        return losses

    def forward(self) -> torch.Tensor:
        """Forward pass and each member's loss: the sum of its squared errors."""
        n, m, hidden = self.h.shape
        torch.mm(self.x, self.w1.view(-1, m * hidden), out=self.h.view(n, -1))  # (N, M·H)
        if self.b1 is not None:
            self.h += self.b1
        torch.clamp(self.h, min=0, out=self.h_relu)  # (N, M, H)
        torch.bmm(self.h_relu.transpose(0, 1), self.w2, out=self.y_pred)  # (M, N, D_out)
        if self.b2 is not None:
            self.y_pred += self.b2.unsqueeze(1)
        torch.sub(self.y_pred, self.y, out=self.grad_y_pred)  # y_pred - y, reused below
        error = self.grad_y_pred.view(m, -1)
        return torch.linalg.vecdot(error, error)  # (M,)

    def backward(self) -> None:
        """Each member's gradients times -lr; grad_w1 is left to update's addmm_."""
        self.grad_y_pred *= self.scale  # (M, N, D_out)
        torch.bmm(self.grad_y_pred, self.w2.transpose(1, 2), out=self.grad_h_relu)  # (M, N, H)
        torch.bmm(self.h_relu.permute(1, 2, 0), self.grad_y_pred, out=self.grad_w2)  # (M, H, D)
        self.grad_h.copy_(self.grad_h_relu.transpose(0, 1))  # (N, M, H), for the wide GEMM
        self.grad_h.masked_fill_(self.h < 0, 0)  # grad_h[h < 0] = 0
        if self.frozen:  # a frozen member's gradients are zeros, whatever NaN its tensors hold
            self.zero_frozen(self.grad_y_pred)
            self.zero_frozen(self.grad_w2)
            self.zero_frozen(self.grad_h, axis=1)

    def update(self) -> None:
        """Plain SGD for every member; w1 += x.T·grad_h in the GEMM itself (beta=1)."""
        if self.b1 is not None and self.b2 is not None:
            self.b1 += self.grad_h.sum(dim=0)
            self.b2 += self.grad_y_pred.sum(dim=1)
        n, m, hidden = self.h.shape
        self.w1.view(-1, m * hidden).addmm_(self.x.t(), self.grad_h.view(n, -1))  # (D_in, M·H)
        self.w2 += self.grad_w2

    read_losses = staticmethod(TorchManualMLP.read_losses)


class _StackedModels(_Frozen):
    """The seed's nn.Sequential, one per member, as stacked parameters run under vmap."""

    def __init__(self, specs: list[TrainerSpec], data: Dataset, params: list[Params]) -> None:
        spec = specs[0]
        self.device = spec.device
        self.x = _stacked([data.x], spec)[0]  # (N, D_in)
        self.y = _stacked([data.y], spec)[0]  # (N, D_out)
        models = [build_model(s, p) for s, p in zip(specs, params, strict=True)]
        # {"0.weight": (M, H, D_in), "0.bias": (M, H), "2.weight": (M, D_out, H), ...}
        self.params, _ = torch.func.stack_module_state(models)  # type: ignore[arg-type]
        self.model = copy.deepcopy(models[0]).to("meta")  # the shape of one; weights come in
        self.loss_fn = torch.nn.MSELoss(reduction="sum")
        self.losses_of = torch.func.vmap(self._member_loss, in_dims=(0, None, None))
        self.frozen_mask = torch.zeros(len(specs), dtype=torch.bool, device=self.device)

    def _member_loss(self, params: dict[str, torch.Tensor], x: torch.Tensor,
                     y: torch.Tensor) -> torch.Tensor:  # fmt: skip
        y_pred = torch.func.functional_call(self.model, params, (x,))  # (N, D_out)
        return self.loss_fn(y_pred, y)

    def backward(self) -> torch.Tensor:
        """Every member's loss (M,) and its gradients, from one backward() of their sum."""
        for param in self.params.values():
            if param.grad is not None:
                param.grad.zero_()  # in place: torch-optim's views hold slices of it
        losses = self.losses_of(self.params, self.x, self.y)  # (M,)
        losses.sum().backward()  # member k's loss depends on member k's weights only
        if self.frozen:
            for param in self.params.values():
                self.zero_frozen(param.grad)  # type: ignore[arg-type]
        return losses.detach()

    def member_params(self, k: int) -> dict[str, torch.Tensor]:
        """Member k's weights, named as the single trainer's model names them."""
        return {name: param[k] for name, param in self.params.items()}

    read_losses = staticmethod(TorchManualMLP.read_losses)


class BatchedTorchAutogradMLP(_StackedModels):
    """TorchAutogradMLP for M members: vmap over the stacked models, SGD by hand, lr per member."""

    def __init__(self, specs: list[TrainerSpec], data: Dataset, params: list[Params]) -> None:
        super().__init__(specs, data, params)
        self.neg_lr = _stacked([-s.lr for s in specs], specs[0])  # (M,)

    def step(self) -> torch.Tensor:
        """One iteration of every member; returns their M losses, left on the device."""
        losses = self.backward()
        with torch.no_grad():
            for param in self.params.values():
                neg_lr = self.neg_lr.view(-1, *[1] * (param.dim() - 1))  # (M, 1, ...)
                param.addcmul_(param.grad, neg_lr)  # type: ignore[arg-type]  # -= lr * grad
        return losses


class _Groups:
    """Param groups where make_optimizer expects a model: torch.optim takes either."""

    def __init__(self, groups: list[dict[str, Any]]) -> None:
        self.groups = groups

    def parameters(self) -> list[dict[str, Any]]:
        return self.groups


class BatchedTorchOptimMLP(_StackedModels):
    """TorchOptimMLP for M members: torch.optim steps each member as its own param group.

    A group holds views of member k's slices of the stacked parameters, at member k's lr, so
    every member takes torch.optim's own update (fused Adam included) with its own lr.
    """

    def __init__(self, specs: list[TrainerSpec], data: Dataset, params: list[Params]) -> None:
        super().__init__(specs, data, params)
        stacked = [param.detach() for param in self.params.values()]
        self.views = [[param[k] for param in stacked] for k in range(len(specs))]
        for param in self.params.values():  # backward() adds into these; the views see them
            param.grad = torch.zeros_like(param)
        for k, views in enumerate(self.views):
            for view, param in zip(views, self.params.values(), strict=True):
                view.grad = param.grad[k]  # type: ignore[index]
        groups = [
            {"params": views, "lr": spec.lr, "member": k}
            for k, (views, spec) in enumerate(zip(self.views, specs, strict=True))
        ]
        first = stacked[0]  # each group has its own lr; this one is make_optimizer's default
        device_lr = torch.tensor(specs[0].lr, dtype=first.dtype, device=first.device)
        self.optimizer = make_optimizer(specs[0], cast(torch.nn.Module, _Groups(groups)), device_lr)

    def step(self) -> torch.Tensor:
        """One iteration of every member; returns their M losses, left on the device."""
        losses = self.backward()
        self.optimizer.step()
        return losses

    def freeze(self, members: list[int]) -> None:
        """Takes these members' groups out of the optimizer: their weights stop moving."""
        super().freeze(members)
        groups = self.optimizer.param_groups
        for group in (group for group in groups if group["member"] in self.frozen):
            for view in group["params"]:
                self.optimizer.state.pop(view, None)  # their moments, no longer read
        groups[:] = [group for group in groups if group["member"] not in self.frozen]
