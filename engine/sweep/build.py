"""Provides a sweep's batched trainer, built from each member's spec and start weights."""

from __future__ import annotations

from typing import Any

from engine.config import RunConfig, TrainerSpec
from engine.data import Start
from engine.sweep.spec import member_spec, members
from engine.trainers import start_params


def build_batched(config: RunConfig, spec: TrainerSpec, start: Start) -> Any:
    """The named trainer's batched form, member k starting where its single run would."""
    specs = [member_spec(spec, member) for member in members(config)]
    params = [start_params(config, member, start) for member in specs]
    if spec.name == "numpy":
        from engine.sweep.numpy_batched import BatchedNumpyMLP

        return BatchedNumpyMLP(specs, start.data, params)
    from engine.sweep import torch_batched

    batched = {
        "torch-manual": torch_batched.BatchedTorchManualMLP,
        "torch-autograd": torch_batched.BatchedTorchAutogradMLP,
        "torch-optim": torch_batched.BatchedTorchOptimMLP,
    }[spec.name]
    trainer = batched(specs, start.data, params)
    if not spec.graphs:
        return trainer
    from engine.torch_graphs import GraphedTrainer  # on CUDA: K batched steps per replay

    return GraphedTrainer(trainer)
