"""Provides the app benchmark: trainer speed inside the app against headless, and key latency.

Run: python -m bench.app_bench [--rounds 3] [--iters 3000] [--device cuda] [--no-keys]


Also says how much of a core the app process itself used (its event loop and relay threads,
not the trainers' child processes) and the machine's load average around each round: the
trainers run niced, so anything else on the machine takes from them first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import queue
import statistics
import time
from collections.abc import Callable

from textual.message import Message
from textual.pilot import Pilot

from engine.cli import with_device
from engine.config import TRAINERS, RunConfig, validate
from engine.events import TrainerEnded
from engine.runner import Runner
from tui.app import MlpApp
from tui.messages import EngineEvent
from tui.screens.controls import ControlsScreen
from tui.widgets.trainer_panel import TrainerPanel


def headless_rates(config: RunConfig) -> dict[str, float]:
    """Each trainer's it/s with all of them running in child processes, no UI."""
    events: queue.Queue = queue.Queue()
    runner = Runner(config, events.put, "process")
    runner.start()
    rates: dict[str, float] = {}
    while len(rates) < len(config.trainers):
        event = events.get()
        if isinstance(event, TrainerEnded):
            rates[event.trainer] = event.its_per_s
    runner.stop()
    return rates


async def app_ends(config: RunConfig, cpu: list[float] | None = None) -> dict[str, TrainerEnded]:
    """How each trainer ended in the app (pilot, 120x36), repainting as a user would see it.

    Appends to `cpu` the share of one core the app process used meanwhile.
    """
    ends: dict[str, TrainerEnded] = {}
    wall, used = time.perf_counter(), time.process_time()

    def hook(message: Message) -> None:
        if isinstance(message, EngineEvent) and isinstance(message.event, TrainerEnded):
            ends[message.event.trainer] = message.event

    app = MlpApp(config, None, "process")
    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        while len(ends) < len(config.trainers):
            await pilot.pause(0.05)
        if cpu is not None:
            cpu.append((time.process_time() - used) / (time.perf_counter() - wall))
        await pilot.press("q")
    return ends


async def wait_for(pilot: Pilot, condition: Callable[[], bool]) -> None:
    while not condition():
        await pilot.pause(0.002)


async def key_latencies(config: RunConfig, repeats: int) -> dict[str, list[float]]:
    """Milliseconds from a key press to its effect on screen, while all four train."""
    app = MlpApp(config.with_changes(iters=10**7), None, "process")
    times: dict[str, list[float]] = {"space (pause shown)": [], "c (controls open)": []}
    async with app.run_test(size=(120, 36)) as pilot:
        panels = list(app.query(TrainerPanel))
        await wait_for(pilot, lambda: all(panel.done > 50 for panel in panels))
        for _ in range(repeats):
            start = time.perf_counter()
            await pilot.press("space")
            await wait_for(pilot, lambda: all("paused" in str(p.border_subtitle) for p in panels))
            times["space (pause shown)"].append(1000 * (time.perf_counter() - start))
            await pilot.press("space")
            start = time.perf_counter()
            await pilot.press("c")
            await wait_for(pilot, lambda: isinstance(app.screen, ControlsScreen))
            times["c (controls open)"].append(1000 * (time.perf_counter() - start))
            await pilot.press("escape")
        await pilot.press("q")
    return times


async def dialog_cpu(config: RunConfig, rounds: int) -> float:
    """The app process's CPU milliseconds per dialog key (c, escape, ?, escape, each followed by
    a quarter second), while all four train: CPU time, so a busy machine skews it less."""
    app = MlpApp(config.with_changes(iters=10**7), None, "process")
    async with app.run_test(size=(120, 36)) as pilot:
        panels = list(app.query(TrainerPanel))
        await wait_for(pilot, lambda: all(panel.done > 50 for panel in panels))
        used = time.process_time()
        for _ in range(rounds):
            for key in ("c", "escape", "question_mark", "escape"):
                await pilot.press(key)
                await pilot.pause(0.25)
        used = time.process_time() - used
        await pilot.press("q")
    return 1000 * used / (4 * rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iters", type=int, default=3000)
    parser.add_argument("--device", default="cpu", help="where the torch trainers run")
    parser.add_argument("--no-keys", action="store_true", help="leave out the key latencies")
    parser.add_argument("--dialogs", type=int, default=0, help="only: CPU per dialog key, N rounds")
    args = parser.parse_args()
    if args.dialogs:
        cpu = asyncio.run(dialog_cpu(validate(RunConfig()), args.dialogs))
        print(f"app CPU per dialog key (c, escape, ?, escape; 0.25 s each), all four training: "
              f"{cpu:.1f} ms")  # fmt: skip
        return
    config = with_device(validate(RunConfig(iters=args.iters, device=args.device)))
    headless: dict[str, list[float]] = {name: [] for name in TRAINERS}
    in_app: dict[str, list[float]] = {name: [] for name in TRAINERS}
    app_cpu: list[float] = []
    for _ in range(args.rounds):  # interleaved: headless, app, headless, app ...
        load = os.getloadavg()[0]
        for name, rate in headless_rates(config).items():
            headless[name].append(rate)
        for name, end in asyncio.run(app_ends(config, app_cpu)).items():
            in_app[name].append(end.its_per_s)
        ratios = [in_app[name][-1] / headless[name][-1] for name in config.trainers]
        after = os.getloadavg()[0]
        print(f"round: ratio {statistics.median(ratios):.2f} (median of the trainers), app "
              f"{app_cpu[-1]:.3f} of a core, load {load:.1f} -> {after:.1f}")  # fmt: skip
    print(f"seed sizes on {config.device}, {args.iters} iterations, all four at once, "
          f"median of {args.rounds}:")  # fmt: skip
    print(f"{'trainer':<15} {'headless it/s':>14} {'in app it/s':>12} {'ratio':>6}")
    for name in TRAINERS:
        alone, shown = statistics.median(headless[name]), statistics.median(in_app[name])
        print(f"{name:<15} {alone:>14.0f} {shown:>12.0f} {shown / alone:>5.2f}x")
    print(f"the app process: {statistics.median(app_cpu):.3f} of a core (median)")
    if args.no_keys:
        return
    print("\nkey press to effect on screen, while all four train (ms):")
    for key, values in asyncio.run(key_latencies(config, 10)).items():
        print(f"  {key:<22} median {statistics.median(values):6.1f}  max {max(values):6.1f}")


if __name__ == "__main__":
    main()
