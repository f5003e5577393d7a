"""Provides the torch.optim optimizers of the torch-optim trainers: the kernel each takes where
this torch and device have one (fused, foreach), probed by a step before it is trusted."""

from __future__ import annotations

from typing import Any

import torch

from engine.config import TrainerSpec


def make_optimizer(
    spec: TrainerSpec, model: torch.nn.Module, lr: torch.Tensor
) -> torch.optim.Optimizer:
    """adam, sgd, momentum (SGD with momentum 0.9) or rmsprop, at the learning rate tensor lr.

    Adam and SGD take torch's fused kernel where this torch and device have one: the same
    update in one kernel, measured 25% faster on CPU at the seed's sizes (bench/); with a tensor
    lr it reads the value on the device, without a host sync. On CUDA, Adam and RMSprop are
    `capturable` (step counts on the device), which a CUDA graph capture requires, and RMSprop
    takes the foreach kernel. A fused kernel that refuses a tensor lr takes it as a number (CUDA's
    read a tensor lr as float32 only, and SGD's others read it on the host: float64 SGD there).
    """
    params = list(model.parameters())
    optimizer_class, options = {
        "adam": (torch.optim.Adam, {}),
        "sgd": (torch.optim.SGD, {}),
        "momentum": (torch.optim.SGD, {"momentum": 0.9}),
        "rmsprop": (torch.optim.RMSprop, {}),
    }[spec.optimizer]
    fused, single = {"fused": True}, {"foreach": False}
    choices: list[tuple[dict[str, bool], Any]] = [(fused, lr), (fused, float(lr)), (single, lr)]
    if lr.device.type == "cuda" and optimizer_class is not torch.optim.SGD:
        options = {**options, "capturable": True}
        # RMSprop has no fused kernel, and its single-tensor update reads a tensor lr on the host
        choices.insert(1, ({"foreach": True}, lr))  # takes a tensor lr only when capturable
    for kernel, rate in choices:
        try:
            _probe(optimizer_class, rate, lr, {**kernel, **options})
            return optimizer_class(params, lr=rate, **kernel, **options)  # type: ignore[operator]
        except (RuntimeError, TypeError, ValueError):  # no such kernel for this device or dtype
            continue
    return optimizer_class(params, lr=float(lr), **options)  # type: ignore[operator]


def _probe(optimizer_class: Any, rate: Any, lr: torch.Tensor, options: dict[str, Any]) -> None:
    """One step of the optimizer at rate on a parameter of lr's device and dtype: raises where
    this torch has no such kernel. torch 2.2 takes fused=True for Adam on the CPU and fails at
    its first step ("Could not run 'aten::_fused_adam_' ... from the 'CPU' backend")."""
    probe = torch.zeros(1, dtype=lr.dtype, device=lr.device, requires_grad=True)
    probe.grad = torch.ones_like(probe)
    optimizer_class([probe], lr=rate, **options).step()
