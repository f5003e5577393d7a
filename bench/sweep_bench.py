"""Provides the sweep benchmark: each trainer's member-iterations/s batched, against its single run.

Run: python -m bench.sweep_bench [--members 16] [--rounds 5] [--iters 300] [--device cpu]
    [--threads N] (BLAS and torch threads; 1 is what each of four trainers gets on 2 cores)
    [--trainers numpy,...] [--sweep-iters N] (the sweep's; default iters·4/members, at least 5:
    on a GPU give enough for CUDA graphs, which capture after 10 and replay 10 at a time)
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Callable

import numpy as np
import torch

from bench.engine_bench import flops_per_iter, matmul_flops, time_it
from engine.config import SEED_LR, TRAINERS, RunConfig, validate
from engine.loop import Gate, _Batcher, train
from engine.runner import make_start
from engine.sweep.loop import member_batcher
from engine.trainers import build_trainer
from engine.workers import limit_threads


def sweep_of(config: RunConfig, name: str, members: int) -> RunConfig:
    """`--sweep lr=LR/4:LR:members` for one trainer: every member trains, none diverges."""
    lr = SEED_LR[name]
    values = tuple(float(v) for v in np.geomspace(lr / 4, lr, members))
    return config.with_changes(trainers=(name,), sweep=(("lr", values),))


def trained(config: RunConfig, name: str, iters: int) -> Callable[[], None]:
    """The trainer through the real loop (gate, batching), as the runner drives it."""
    trainer = build_trainer(config, config.spec(name), make_start(config))
    batcher = member_batcher(config) if config.sweep else _Batcher
    return lambda: train(name, trainer, iters, Gate(), lambda event: None, batcher)


def compare(
    config: RunConfig, members: int, rounds: int, iters: int, sweep_iters: int | None = None
) -> None:
    limits = {dtype: matmul_flops(dtype) for dtype in ("float64", "float32")}
    print(f"large-matmul limit: float64 {limits['float64'] / 1e9:.1f} GFLOP/s (numpy), "
          f"float32 {limits['float32'] / 1e9:.1f} GFLOP/s (torch)")  # fmt: skip
    print(f"load before: {os.getloadavg()[0]:.2f}")
    print(f"{'trainer':<15} {'dtype':<8} {'single it/s':>11} {'sweep it/s':>10} "
          f"{'member-it/s':>11} {'ratio':>6} {'single':>7} {'sweep':>6}  (of limit)")  # fmt: skip
    sweep_iters = sweep_iters or max(5, iters * 4 // members)
    for name in config.trainers:
        single_config = config.with_changes(trainers=(name,))
        swept = sweep_of(config, name, members)
        single_rates: list[float] = []
        sweep_rates: list[float] = []
        for round_ in range(rounds):  # interleaved, order alternating
            pair = [(single_rates, iters, trained(single_config, name, iters)),
                    (sweep_rates, sweep_iters, trained(swept, name, sweep_iters))]  # fmt: skip
            for rates, count, run in pair if round_ % 2 == 0 else pair[::-1]:
                rates.append(count / time_it(run))
        single, sweep = statistics.median(single_rates), statistics.median(sweep_rates)
        limit = limits[single_config.spec(name).dtype] / flops_per_iter(config)
        print(f"{name:<15} {single_config.spec(name).dtype:<8} {single:>11.0f} {sweep:>10.1f} "
              f"{sweep * members:>11.0f} {sweep * members / single:>5.2f}x {single / limit:>7.0%} "
              f"{sweep * members / limit:>6.0%}")  # fmt: skip
    print(f"load after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=300)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--trainers", default=",".join(TRAINERS))
    parser.add_argument("--sweep-iters", type=int, default=None)
    args = parser.parse_args()
    config = validate(RunConfig(device=args.device, trainers=tuple(args.trainers.split(","))))
    if args.threads:
        limit_threads(args.threads, uses_torch=True)
    print(f"threads: {torch.get_num_threads()}, members: {args.members}, device: {args.device}")
    compare(config, args.members, args.rounds, args.iters, args.sweep_iters)


if __name__ == "__main__":
    main()
