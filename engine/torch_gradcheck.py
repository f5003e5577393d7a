"""Provides the autograd model's gradient checks: torch.autograd.gradcheck on sampled entries."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from engine.gradrows import GradRow
from engine.torch_mlp import TorchAutogradMLP

# nn.Sequential(Linear, ReLU, Linear)'s parameters under the names the hand-written trainers use
PARAMETER_NAMES = {"0.weight": "w1", "0.bias": "b1", "2.weight": "w2", "2.bias": "b2"}


class ModelUnderCheck:
    """The autograd trainer as finite_difference_errors sees one: forward, gradients, params."""

    def __init__(self, trainer: TorchAutogradMLP) -> None:
        self.model, self.loss_fn = trainer.model, trainer.loss_fn
        self.x, self.y = trainer.x, trainer.y

    def forward(self) -> float:
        """The loss at the current weights."""
        with torch.no_grad():
            return float(self.loss_fn(self.model(self.x), self.y))

    def gradients(self) -> dict[str, torch.Tensor]:
        """The gradients loss.backward() gives, as the trainer computes them."""
        self.model.zero_grad()
        self.loss_fn(self.model(self.x), self.y).backward()
        named = self.named()
        grads = {PARAMETER_NAMES[name]: p.grad.clone() for name, p in named if p.grad is not None}
        self.model.zero_grad()
        return grads

    def parameters(self) -> dict[str, torch.Tensor]:
        """The weights' storage, detached so the check may perturb it in place."""
        return {PARAMETER_NAMES[name]: param.data for name, param in self.named()}

    def named(self) -> list[tuple[str, torch.nn.Parameter]]:
        return list(self.model.named_parameters())


def autograd_gradcheck(check: ModelUnderCheck, max_entries: int, seed: int = 0) -> list[GradRow]:
    """torch.autograd.gradcheck of the loss as a function of sampled entries of each parameter."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, param in check.named():
        picks = torch.from_numpy(rng.choice(param.numel(), min(max_entries, param.numel()), False))
        picks = picks.to(param.device)
        chosen = param.detach().reshape(-1)[picks].clone().requires_grad_()
        passed = torch.autograd.gradcheck(
            _loss_of_entries(check, name, picks), (chosen,), eps=1e-6, raise_exception=False
        )
        rows.append(GradRow("torch-autograd", PARAMETER_NAMES[name], "torch.autograd.gradcheck",
                            len(picks), None, bool(passed)))  # fmt: skip
    return rows


def _loss_of_entries(check: ModelUnderCheck, name: str, picks: torch.Tensor) -> Any:
    """The loss as a function of the picked entries of one parameter, the rest held fixed."""
    fixed = {key: param.detach() for key, param in check.named()}

    def loss(values: torch.Tensor) -> torch.Tensor:
        flat = fixed[name].reshape(-1).index_put((picks,), values)
        weights = {**fixed, name: flat.view_as(fixed[name])}
        y_pred = torch.func.functional_call(check.model, weights, (check.x,))
        return check.loss_fn(y_pred, check.y)

    return loss
