"""Provides the engine benchmark: each trainer against the seed's loop, and concurrent vs serial.

Run: python -m bench.engine_bench [--rounds 5] [--iters 300]
On a GPU: python -m bench.engine_bench --device cuda [--rounds 5] [--iters 20000] — each torch
trainer through the real loop (CUDA graphs as --graphs auto gives them, and eager) beside a
hand-written graph-captured loop of the same step, then the large size against the device's
fp32 and TF32 matmul limits measured with a big torch.mm. Imports no textual.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from bench.seed_loops import SEED_LOOPS, graphed_loop
from engine.cli import with_device
from engine.config import TRAINERS, RunConfig, validate
from engine.data import make_start
from engine.events import LossPoints, TrainerEnded
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


def time_it(run: Callable[[], object]) -> float:
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


def graph_loop(config: RunConfig, name: str, iters: int) -> Callable[[], object]:
    """The hand-written CUDA graph loop of the trainer's own step (captured before timing)."""
    eager = config.with_changes(graphs="off")
    trainer = build_trainer(eager, eager.spec(name), make_start(eager))
    run = graphed_loop(trainer.step)
    return lambda: run(iters)


def device_matmul_flops(device: str, precision: str, size: int = 8192, repeats: int = 10) -> float:
    """The device's large-matmul float32 FLOP/s at a precision (highest: fp32, high: TF32)."""
    torch.set_float32_matmul_precision(precision)
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    times = []
    for _ in range(repeats + 2):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.mm(a, b)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    torch.set_float32_matmul_precision("highest")
    return 2 * size**3 / statistics.median(times[2:])  # the first two warm up


def gpu_per_trainer(config: RunConfig, rounds: int, iters: int) -> None:
    """Each torch trainer's loop, graphed and eager, beside the hand-written graph loop."""
    print(f"seed sizes on {config.device}, {iters} iterations, median of {rounds} interleaved:")
    print(f"{'trainer':<15} {'graph loop':>10} {'ours it/s':>10} {'ratio':>6} {'eager':>8} "
          f"{'ratio':>6}  goal (ours >= 0.8x graph loop)")  # fmt: skip
    for name in TRAINERS[1:]:
        rates: dict[str, list[float]] = {"loop": [], "ours": [], "eager": []}
        for round_ in range(rounds):
            runs = [("loop", graph_loop(config, name, iters)), ("ours", ours(config, name, iters)),
                    ("eager", ours(config.with_changes(graphs="off"), name, iters))]  # fmt: skip
            for label, run in runs if round_ % 2 == 0 else runs[::-1]:
                rates[label].append(iters / time_it(run))
        loop, mine, eager = (statistics.median(rates[k]) for k in ("loop", "ours", "eager"))
        verdict = "met" if mine >= 0.8 * loop else "NOT met"
        print(f"{name:<15} {loop:>10.0f} {mine:>10.0f} {mine / loop:>5.2f}x {eager:>8.0f} "
              f"{eager / loop:>5.2f}x  {verdict}")  # fmt: skip


def gpu_large(config: RunConfig, iters: int) -> list[str]:
    """At N=D_in=H=4096, D_out=1024: each torch trainer's share of the fp32 and TF32 limits.

    Returns the trainers that did not end "done" (a diverged run measures nothing).
    """
    bad = []
    limits = {p: device_matmul_flops(config.device, p) for p in ("highest", "high")}
    print(f"\nlarge-matmul limit on {config.device}: fp32 {limits['highest'] / 1e12:.1f} "
          f"TFLOP/s, TF32 {limits['high'] / 1e12:.1f} TFLOP/s (torch.mm 8192)")  # fmt: skip
    large = config.with_changes(n=4096, d_in=4096, hidden=4096, d_out=1024, init="default",
                                lr={"torch-manual": 1e-7, "torch-autograd": 1e-7})  # fmt: skip
    print(f"{'trainer':<15} {'precision':<9} {'it/s':>8} {'of limit':>9} {'first loss':>11} "
          f"{'last loss':>11}")  # fmt: skip
    for precision in ("highest", "high"):
        chosen = large.with_changes(matmul_precision=precision)
        for name in TRAINERS[1:]:
            trainer = build_trainer(chosen, chosen.spec(name), make_start(chosen))
            events: list = []
            train(name, trainer, iters, Gate(), events.append)
            end = events[-1]
            points = [e for e in events if isinstance(e, LossPoints)]  # none if it failed at once
            rate, first = end.its_per_s, points[0].losses[0] if points else float("nan")
            share = rate * flops_per_iter(large) / limits[precision]
            print(f"{name:<15} {precision:<9} {rate:>8.1f} {share:>8.0%} {first:>11.4g} "
                  f"{end.final_loss or float('nan'):>11.4g} {end.status}")  # fmt: skip
            bad += [] if end.status == "done" else [f"{name} ({precision}): {end.status}"]
    torch.set_float32_matmul_precision("highest")
    return bad


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
    parser.add_argument("--iters", type=int, default=None, help="300 on the CPU, 20000 on a GPU")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU comparison")
    parser.add_argument("--large-iters", type=int, default=100)
    args = parser.parse_args()
    if args.device != "cpu":
        config = with_device(validate(RunConfig(device=args.device)))
        gpu_per_trainer(config, args.rounds, args.iters or 20000)
        bad = gpu_large(config, args.large_iters)
        if bad:
            raise SystemExit(f"engine_bench: not done at the large size: {', '.join(bad)}")
        return
    args.iters = args.iters or 300
    config = validate(RunConfig(iters=args.iters))
    torch.set_num_threads(torch.get_num_threads())
    per_trainer(config, args.rounds, args.iters)
    concurrent_vs_serial(config.with_changes(iters=1000), max(1, args.rounds // 2))


if __name__ == "__main__":
    main()
