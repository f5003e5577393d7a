"""Provides the equivalence margin: how far correct implementations drift apart, by dtype.

Run: python -m bench.equivalence_margin [--iters 1000] [--device cpu] [--matmul-precision high]
Same start, plain SGD at lr 1e-6 for all four, the seed's sizes, every iteration compared with
numpy's: the largest relative difference with and without the rounding floor the equivalence
panel uses, against the panel's tolerance. With --matmul-precision high on CUDA (TF32 matmuls) the
float32 row measures the margin behind engine/equivalence.py's TF32_TOLERANCE.
"""

from __future__ import annotations

import argparse

import numpy as np

from engine.config import TRAINERS, RunConfig, validate
from engine.data import make_start
from engine.equivalence import relative_differences, tolerance
from engine.trainers import build_trainer


def losses(config: RunConfig, name: str) -> np.ndarray:
    """Every iteration's loss of one trainer."""
    trainer = build_trainer(config, config.spec(name), make_start(config))
    return np.array(trainer.read_losses([trainer.step() for _ in range(config.iters)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iters", type=int, default=1000)
    parser.add_argument("--device", default="cpu", help="where the torch trainers run")
    parser.add_argument("--matmul-precision", default="highest", help="highest, or high (TF32)")
    args = parser.parse_args()
    print(f"{'dtype':<8} {'trainer':<15} {'no floor':>9} {'floor':>9} {'tolerance':>9}")
    for dtype in ("float64", "float32"):
        config = validate(RunConfig(iters=args.iters, same_start=True, optimizer="sgd",
                                    dtype=dtype, device=args.device, graphs="off",
                                    matmul_precision=args.matmul_precision,
                                    lr=dict.fromkeys(TRAINERS, 1e-6)))  # fmt: skip
        reference = losses(config, "numpy")
        for name in TRAINERS[1:]:
            other = losses(config, name)
            with np.errstate(invalid="ignore"):
                plain = np.abs(reference - other) / np.maximum(np.abs(reference), np.abs(other))
            floored = relative_differences(reference, other, dtype)
            print(f"{dtype:<8} {name:<15} {np.nanmax(plain):>9.1e} {floored.max():>9.1e} "
                  f"{tolerance(dtype, args.matmul_precision, args.device):>9.0e}")  # fmt: skip
        print(
            f"{dtype:<8} loss: {reference[0]:.3g} at iteration 0, {reference[-1]:.3g} at the last"
        )


if __name__ == "__main__":
    main()
