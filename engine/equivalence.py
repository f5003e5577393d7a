"""Provides the equivalence check: does each trainer's loss follow numpy's, step by step?"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from engine.config import RunConfig
from engine.history import LossLog

# Relative difference two correct implementations stay within, by the looser dtype of the two.
TOLERANCE = {"float64": 1e-9, "float32": 1e-4}
# float32 with --matmul-precision high: TF32 matmuls round their inputs to a 10-bit mantissa
# (about 5e-4 relative per rounding, ~1e-3 per matmul against fp32's ~1e-7), and the training
# trajectories carry those differences on as they do fp32's. PROVISIONAL, not measured: ten
# times the per-op error, until `python -m bench.equivalence_margin --device cuda
# --matmul-precision high` has measured the margin on a GPU.
TF32_TOLERANCE = 1e-2


def tolerance(dtype: str, matmul_precision: str = "highest", device: str = "cpu") -> float:
    """The relative difference allowed for a dtype; TF32's for float32 with precision high on
    a CUDA device (elsewhere the setting leaves float32 matmuls as they are)."""
    if dtype == "float32" and matmul_precision == "high" and device.startswith("cuda"):
        return TF32_TOLERANCE
    return TOLERANCE[dtype]


NOT_SAME_START = (
    "same start is off: each trainer draws its own weights from its own seed, numpy runs in "
    "float64 and torch in float32, and numpy and torch-manual have no bias, so the losses differ "
    "from the first iteration. Turn same start on (c, or --same-start) to compare them."
)


@dataclass(frozen=True)
class Comparison:
    """One trainer against the reference, over the logged iterations both have reached."""

    trainer: str
    tolerance: float
    checked: int = 0  # logged iterations compared
    latest_iter: int = 0
    latest: float = 0.0  # relative difference at latest_iter
    worst: float = 0.0  # its maximum so far
    parted_at: int | None = None  # first logged iteration over the tolerance
    expected: tuple[str, ...] = field(default_factory=tuple)  # settings that make them differ

    @property
    def verdict(self) -> str:
        """ "match", "part at iteration N" or "waiting" (nothing to compare yet)."""
        if self.parted_at is not None:
            return f"part at iteration {self.parted_at}"
        return "match" if self.checked else "waiting"


def relative_differences(reference: np.ndarray, other: np.ndarray, dtype: str) -> np.ndarray:
    """|a - b| / max(|a|, |b|, floor), with floor = |first reference loss| * sqrt(eps).

    Below the floor the loss is mostly rounding: as it falls toward zero, the prediction's
    rounding error (eps times its size) stays, and a relative difference would grow without
    meaning anything. Identical values (both inf, say) differ by 0; NaN against anything by inf.
    """
    floor = abs(float(reference[0])) * float(np.sqrt(np.finfo(np.dtype(dtype)).eps))
    with np.errstate(invalid="ignore", over="ignore"):
        scale = np.maximum(np.maximum(np.abs(reference), np.abs(other)), floor)
        diffs = np.abs(reference - other) / scale
    diffs[reference == other] = 0.0
    diffs[np.isnan(diffs)] = np.inf
    return diffs


def compare(
    name: str, reference: LossLog, other: LossLog, dtype: str, allowed: float | None = None
) -> Comparison:
    """Compares the logged iterations both trainers have reached (the same log interval).

    allowed: the tolerance, when not the dtype's own (TF32 matmuls).
    """
    tolerance = TOLERANCE[dtype] if allowed is None else allowed
    count = min(reference.size, other.size)
    if count == 0:
        return Comparison(name, tolerance)
    diffs = relative_differences(reference.losses[:count], other.losses[:count], dtype)
    over = np.flatnonzero(diffs > tolerance)
    parted_at = int(over[0]) * reference.every if len(over) else None
    return Comparison(
        name, tolerance, count, (count - 1) * reference.every, float(diffs[-1]),
        float(diffs.max()), parted_at,
    )  # fmt: skip


def expected_differences(config: RunConfig, reference: str, name: str) -> tuple[str, ...]:
    """Settings that make a trainer differ from the reference by design, not by a bug."""
    ref, spec = config.spec(reference), config.spec(name)
    reasons = []
    if spec.lr != ref.lr:
        reasons.append(f"lr {spec.lr:g} vs {ref.lr:g}")
    if name == "torch-optim" and config.optimizer != "sgd":
        reasons.append(f"{config.optimizer} vs plain SGD")
    return tuple(reasons)


@dataclass(frozen=True)
class Report:
    """The reference trainer and every other's comparison with it, or why there is none."""

    reference: str = ""
    comparisons: tuple[Comparison, ...] = ()
    reason: str = ""


def break_parting(reference: str, name: str, broken: dict[str, int]) -> int | None:
    """Where one of the two diverged or failed and the other did not (there, at least)."""
    ref_at, at = broken.get(reference), broken.get(name)
    if ref_at == at:  # neither broke, or both at the same iteration
        return None
    return min(i for i in (ref_at, at) if i is not None)


def equivalence(
    config: RunConfig, logs: dict[str, LossLog], broken: dict[str, int] | None = None
) -> Report:
    """Compares every trainer's logged losses with numpy's (or the first chosen trainer's).

    `broken` gives the iteration where a trainer diverged or failed: a divergence between two
    logged iterations parts it from a reference that went on.
    """
    if not config.same_start:
        return Report(reason=NOT_SAME_START)
    if len(config.trainers) < 2:
        return Report(reason="only one trainer is chosen: there is nothing to compare it with.")
    reference = "numpy" if "numpy" in config.trainers else config.trainers[0]
    comparisons = []
    for name in config.trainers:
        if name == reference or not {name, reference} <= logs.keys():
            continue
        dtypes = {config.trainer_dtype(reference), config.trainer_dtype(name)}
        dtype = min(dtypes)  # "float32" < "float64"
        allowed = tolerance(dtype, config.matmul_precision, config.device)
        found = compare(name, logs[reference], logs[name], dtype, allowed)
        partings = [at for at in (found.parted_at, break_parting(reference, name, broken or {}))
                    if at is not None]  # fmt: skip
        comparisons.append(
            replace(
                found,
                parted_at=min(partings, default=None),
                expected=expected_differences(config, reference, name),
            )
        )
    return Report(reference, tuple(comparisons))


def family_equivalence(
    config: RunConfig,
    logs: dict[str, list[LossLog]],
    broken: list[dict[str, int]],
) -> Report:
    """A sweep, member by member: each trainer's member k against the reference's member k.

    Each trainer's row is its member that parts first, or else differs most, named in the row.
    broken[k]: where member k of each trainer diverged.
    """
    from engine.sweep.spec import members as sweep_members

    worst: dict[str, Comparison] = {}
    report = Report()
    for member in sweep_members(config):
        k, values = member.index, member.values
        single = replace(config, sweep=(), lr=dict.fromkeys(config.trainers, values["lr"])
                         if "lr" in values else config.lr)  # fmt: skip
        report = equivalence(single, {name: logs[name][k] for name in logs}, broken[k])
        for found in report.comparisons:
            named = replace(found, trainer=f"{found.trainer} (worst: member {k})")
            if found.trainer not in worst or _worse(named, worst[found.trainer]):
                worst[found.trainer] = named
    return replace(report, comparisons=tuple(worst.values()))


def _worse(one: Comparison, other: Comparison) -> bool:
    """Whether one comparison is the worse: it parts earlier, or differs more."""
    if (one.parted_at is None) != (other.parted_at is None):
        return one.parted_at is not None
    if one.parted_at is not None and other.parted_at is not None:
        return one.parted_at < other.parted_at
    return one.worst > other.worst
