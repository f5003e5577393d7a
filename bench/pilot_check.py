"""Provides a one-shot check of the app on a device: the pilot runs the seed's run and prints it/s.

Run: python -m bench.pilot_check --device cuda
"""

from __future__ import annotations

import argparse
import asyncio

from bench.app_bench import app_ends
from engine.cli import with_device
from engine.config import ConfigError, RunConfig, validate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--iters", type=int, default=1000)
    args = parser.parse_args()
    try:
        config = with_device(validate(RunConfig(iters=args.iters, device=args.device)))
    except ConfigError as error:
        raise SystemExit(f"pilot_check: {error}") from None
    for name, end in asyncio.run(app_ends(config)).items():
        where = config.spec(name).device
        print(f"  {name:<15} {where:<7} {end.status:<8} {end.its_per_s:8.0f} it/s  {end.message}")
        if end.status != "done":
            raise SystemExit(f"pilot_check: {name} ended {end.status}")


if __name__ == "__main__":
    main()
