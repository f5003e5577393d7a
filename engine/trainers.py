"""Provides the trainer interface and builds a trainer by name, importing torch only when needed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from engine.config import RunConfig, TrainerSpec
from engine.data import Dataset, Params, Start, initial_params


class Trainer(Protocol):
    """One implementation of the network: each step trains one iteration.

    A trainer run in CUDA graphs (engine/torch_graphs.py) also has `batch_steps` and
    `steps(k)`, k iterations per call, and `mode` and `notice`, which the loop passes on.
    """

    device: str
    lr: Any  # a float, or a 0-d tensor on the device (float() reads either)
    data: Dataset  # the float64 start it was built from, kept for saving

    def step(self) -> Any:
        """One iteration; returns its loss (a float, or a tensor left on the device)."""

    def params(self) -> Params:
        """Its current weights as float64 copies in numpy orientation (x @ w1)."""

    def read_losses(self, pending: list[Any]) -> list[float]:
        """Turns a batch of step() results into floats, with one host transfer at most."""


def start_params(config: RunConfig, spec: TrainerSpec, start: Start) -> Params:
    """The weights a trainer starts from: the loaded file's or drawn for its spec, then scaled."""
    if start.params is None:
        params = initial_params(spec, config.d_in, config.hidden, config.d_out)
    elif config.no_bias:
        params = replace(start.params, b1=None, b2=None)
    else:
        params = start.params
    if spec.init_scale == 1.0:
        return params
    return replace(params, w1=params.w1 * spec.init_scale, w2=params.w2 * spec.init_scale)


def build_trainer(config: RunConfig, spec: TrainerSpec, start: Start) -> Trainer:
    """Builds the named trainer on its device, from the run's shared data; batched in a sweep."""
    if config.sweep:
        from engine.sweep.build import build_batched

        return build_batched(config, spec, start)
    params = start_params(config, spec, start)
    if spec.name == "numpy":
        from engine.numpy_mlp import NumpyMLP

        return NumpyMLP(spec, start.data, params)
    from engine import torch_mlp

    return torch_mlp.build(spec, start.data, params)
