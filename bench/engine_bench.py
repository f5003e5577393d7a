"""Provides the engine benchmark: each trainer against the seed's loop, and concurrent vs serial.

Run: python -m bench.engine_bench [--rounds 5] [--iters 300]
"""

from __future__ import annotations

import argparse
import queue
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from bench.seed_loops import SEED_LOOPS
from engine.config import TRAINERS, RunConfig, validate
from engine.data import make_start
from engine.events import TrainerEnded
from engine.loop import Gate, train
from engine.runner import Runner
from engine.trainers import build_trainer, start_params


def flops_per_iter(config: RunConfig) -> int:
    """Twice the multiply-adds of the forward and backward matmuls (the rest is negligible)."""
    n, d_in, h, d_out = config.n, config.d_in, config.hidden, config.d_out
    return 2 * (2 * n * d_in * h + 3 * n * h * d_out)


def matmul_flops(dtype: str, size: int = 2048, repeats: int = 5) -> float:
    """This machine's large-matmul FLOP/s: numpy for float64, torch for float32."""
    times = []
    if dtype == "float64":
        a = np.random.default_rng(0).standard_normal((size, size))
        for _ in range(repeats):
            start = time.perf_counter()
            a @ a
            times.append(time.perf_counter() - start)
    else:
        t = torch.randn(size, size)
        for _ in range(repeats):
            start = time.perf_counter()
            t @ t
            times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times)


def time_it(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def ours(config: RunConfig, name: str, iters: int) -> Callable[[], None]:
    """The trainer through the real loop (gate, batching), as the runner drives it."""
    trainer = build_trainer(config, config.spec(name), make_start(config))
    return lambda: train(name, trainer, iters, Gate(), lambda event: None)


def seed(config: RunConfig, name: str, iters: int) -> Callable[[], None]:
    spec = config.spec(name)
    start = make_start(config)
    run = SEED_LOOPS[name](start.data, start_params(config, spec, start), spec.lr)
    return lambda: run(iters)


def per_trainer(config: RunConfig, rounds: int, iters: int) -> None:
    limits = {dtype: matmul_flops(dtype) for dtype in ("float64", "float32")}
    print(f"large-matmul limit: float64 {limits['float64'] / 1e9:.1f} GFLOP/s (numpy), "
          f"float32 {limits['float32'] / 1e9:.1f} GFLOP/s (torch)")  # fmt: skip
    print(f"{'trainer':<15} {'seed it/s':>10} {'ours it/s':>10} {'ratio':>6} {'of limit':>9}")
    for name in TRAINERS:
        seed_rates: list[float] = []
        our_rates: list[float] = []
        for round_ in range(rounds):  # interleaved, order alternating
            pair = [("seed", seed(config, name, iters)), ("ours", ours(config, name, iters))]
            for label, run in pair if round_ % 2 == 0 else pair[::-1]:
                rate = iters / time_it(run)
                (seed_rates if label == "seed" else our_rates).append(rate)
        seed_rate, our_rate = statistics.median(seed_rates), statistics.median(our_rates)
        share = our_rate * flops_per_iter(config) / limits[config.spec(name).dtype]
        print(f"{name:<15} {seed_rate:>10.0f} {our_rate:>10.0f} {our_rate / seed_rate:>5.2f}x "
              f"{share:>8.0%}")  # fmt: skip


def makespan(config: RunConfig, mode: str) -> float:
    """Seconds from start until every chosen trainer has ended, through the runner."""
    events: queue.Queue = queue.Queue()
    runner = Runner(config, events.put, mode)
    start = time.perf_counter()
    runner.start()
    ended = 0
    while ended < len(config.trainers):
        ended += isinstance(events.get(), TrainerEnded)
    elapsed = time.perf_counter() - start
    runner.stop()
    return elapsed


def concurrent_vs_serial(config: RunConfig, rounds: int) -> None:
    print(f"\nall four, {config.iters} iterations each (median of {rounds}):")
    for mode in ("thread", "process"):
        together, serial = [], []
        for _ in range(rounds):
            together.append(makespan(config, mode))
            serial.append(sum(makespan(config.with_changes(trainers=(n,)), mode) for n in TRAINERS))
        print(f"  {mode:<8} concurrent {statistics.median(together):6.2f} s   "
              f"one after another {statistics.median(serial):6.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--iters", type=int, default=300)
    args = parser.parse_args()
    config = validate(RunConfig(iters=args.iters))
    torch.set_num_threads(torch.get_num_threads())
    per_trainer(config, args.rounds, args.iters)
    concurrent_vs_serial(config.with_changes(iters=1000), max(1, args.rounds // 2))


if __name__ == "__main__":
    main()
