"""Provides a one-shot check of the app on a device: the pilot runs the seed's run and prints it/s.

Run: python -m bench.pilot_check --device cuda
"""

from __future__ import annotations

import argparse
import asyncio

from textual.message import Message

from engine.cli import with_device
from engine.config import ConfigError, RunConfig, validate
from engine.events import TrainerEnded
from tui.app import MlpApp
from tui.messages import EngineEvent


async def run(config: RunConfig) -> dict[str, TrainerEnded]:
    ended: dict[str, TrainerEnded] = {}

    def hook(message: Message) -> None:
        if isinstance(message, EngineEvent) and isinstance(message.event, TrainerEnded):
            ended[message.event.trainer] = message.event

    app = MlpApp(config, None, "process")
    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        while len(ended) < len(config.trainers):
            await pilot.pause(0.1)
        await pilot.press("q")
    return ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--iters", type=int, default=1000)
    args = parser.parse_args()
    try:
        config = with_device(validate(RunConfig(iters=args.iters, device=args.device)))
    except ConfigError as error:
        raise SystemExit(f"pilot_check: {error}") from None
    for name, end in asyncio.run(run(config)).items():
        where = config.spec(name).device
        print(f"  {name:<15} {where:<7} {end.status:<8} {end.its_per_s:8.0f} it/s  {end.message}")


if __name__ == "__main__":
    main()
