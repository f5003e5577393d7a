"""Provides the validated run settings: sizes, iterations, dtype, seed, per-trainer lr and init."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TypeVar

TRAINERS = ("numpy", "torch-manual", "torch-autograd", "torch-optim")
OPTIMIZERS = ("adam", "sgd", "momentum", "rmsprop")
DTYPES = ("float32", "float64")
INITS = ("normal", "default")
SEED_MAX = 2**32 - 1  # numpy's and torch's generators take far more; this is what we promise
GRAPHS = ("auto", "on", "off")  # CUDA graphs for the torch trainers; auto: on for CUDA devices
MATMUL_PRECISIONS = ("highest", "high")  # torch.set_float32_matmul_precision; high: TF32

# The seed's three programs: numpy and torch-manual by hand with N(0, 1) weights and no bias,
# torch-autograd with normal_ weights on nn.Linear, torch-optim with PyTorch's own init and Adam.
SEED_LR = {"numpy": 1e-6, "torch-manual": 1e-6, "torch-autograd": 1e-6, "torch-optim": 1e-4}
SEED_INIT = {"numpy": "normal", "torch-manual": "normal", "torch-autograd": "normal"}
SEED_BIAS = {"numpy": False, "torch-manual": False}


class ConfigError(ValueError):
    """Bad input: the message says what is wrong and what is accepted."""


@dataclass(frozen=True)
class TrainerSpec:
    """Everything one trainer needs to know about its own run."""

    name: str
    lr: float
    optimizer: str
    init: str
    bias: bool
    dtype: str
    device: str
    seed: int
    graphs: bool = False  # K steps per CUDA graph replay (resolved from the run's --graphs)
    matmul_precision: str = "highest"
    init_scale: float = 1.0  # multiplies the start weights w1, w2 (not the biases)


@dataclass(frozen=True)
class RunConfig:
    """One run: which trainers, the network's sizes and how each trainer is set up."""

    trainers: tuple[str, ...] = TRAINERS
    iters: int = 1000
    n: int = 64
    d_in: int = 1000
    hidden: int = 100
    d_out: int = 10
    lr: dict[str, float] = field(default_factory=dict)
    optimizer: str = "adam"
    init: str | None = None
    no_bias: bool = False
    same_start: bool = False
    dtype: str | None = None
    seed: int = 0
    device: str = "cpu"
    init_from: Path | None = None
    log_every: int = 10
    graphs: str = "auto"
    matmul_precision: str = "highest"
    sweep: tuple[tuple[str, tuple[float, ...]], ...] = ()  # (name, values) per axis, engine/sweep
    init_seed: int | None = None  # the weights' seed for every trainer, instead of one from seed
    init_scale: float = 1.0

    @property
    def torch_trainers(self) -> tuple[str, ...]:
        """The chosen trainers that run on torch, and so on the run's device: all but numpy."""
        return tuple(name for name in self.trainers if name != "numpy")

    @property
    def member_count(self) -> int:
        """How many members each trainer trains at once: 1 without a sweep."""
        return math.prod(len(values) for _, values in self.sweep)

    def with_changes(self, **changes: object) -> RunConfig:
        """Returns a validated copy with the given fields replaced.

        The memory check asks only for what the change adds: this run's arrays are already held.
        """
        from engine.memory import check_memory, host_bytes

        new = validate(replace(self, **changes), fits_here=False)  # type: ignore[arg-type]
        check_memory(new, held=host_bytes(self))
        return new

    def spec(self, name: str) -> TrainerSpec:
        """Resolves one trainer's settings from the run's and the seed's defaults."""
        return TrainerSpec(
            name=name,
            lr=self.lr.get(name, SEED_LR[name]),
            # the other three step by hand with plain SGD: the choice is torch-optim's alone
            optimizer=self.optimizer if name == "torch-optim" else "sgd",
            init=self.init or ("normal" if self.same_start else SEED_INIT.get(name, "default")),
            bias=not self.no_bias and (self.same_start or SEED_BIAS.get(name, True)),
            dtype=self.trainer_dtype(name),
            device="cpu" if name == "numpy" else self.device,
            seed=self.weights_seed(name),
            init_scale=self.init_scale,
            graphs=name != "numpy" and uses_graphs(self.graphs, self.device),
            matmul_precision="highest" if name == "numpy" else self.matmul_precision,
        )

    def weights_seed(self, name: str) -> int:
        """The seed of a trainer's start weights: --init-seed, or one derived from --seed."""
        if self.init_seed is not None:
            return self.init_seed
        return self.seed if self.same_start else self.seed + 1 + TRAINERS.index(name)

    def trainer_dtype(self, name: str) -> str:
        """numpy in float64 and torch in float32 as in the seed; one dtype for all when asked."""
        if self.dtype:
            return self.dtype
        if self.same_start:  # MPS has no float64: all in float32 there, so they still compare
            return "float32" if self.device.startswith("mps") else "float64"
        return "float64" if name == "numpy" else "float32"

    def specs(self) -> list[TrainerSpec]:
        """The specs of the selected trainers, in the order they were chosen."""
        return [self.spec(name) for name in self.trainers]


def validate(config: RunConfig, fits_here: bool = True) -> RunConfig:
    """Checks every setting and returns the config unchanged, or raises ConfigError.

    fits_here=False skips the memory check, for a past run that is only looked at.
    """
    _check_names("trainer", config.trainers, TRAINERS)
    if not config.trainers:
        raise ConfigError(f"no trainer chosen; accepted: {', '.join(TRAINERS)}")
    if twice := repeated(config.trainers):  # two panels, runs and records of one name
        raise ConfigError(
            f"--trainers names {twice[0]} {twice[1]}; accepted: {', '.join(TRAINERS)}, each once"
        )
    _check_names("optimizer", [config.optimizer], OPTIMIZERS)
    _check_names("dtype", [config.dtype] if config.dtype else [], DTYPES)
    _check_names("init", [config.init] if config.init else [], INITS)
    _check_names("graphs setting", [config.graphs], GRAPHS)
    _check_names("matmul precision", [config.matmul_precision], MATMUL_PRECISIONS)
    check_device_features(config)
    for label, value in _counts(config).items():
        check_positive_int(label, value)
    check_seed(config.seed)
    for name, lr in config.lr.items():
        _check_names("trainer", [name], TRAINERS)
        check_lr(f"learning rate of {name}", lr)
    check_lr("init scale", config.init_scale)
    if config.sweep or config.init_seed is not None:
        from engine.sweep.spec import check_sweep

        check_sweep(config)
    if fits_here:
        from engine.memory import check_memory

        check_memory(config)
    return config


def uses_graphs(graphs: str, device: str) -> bool:
    """Whether the torch trainers run captured in CUDA graphs: on, or auto on a CUDA device."""
    return graphs == "on" or (graphs == "auto" and device.startswith("cuda"))


def check_device_features(config: RunConfig) -> None:
    """Refuses CUDA graphs off CUDA, and float64 torch trainers on MPS (which has no float64)."""
    if config.graphs == "on" and not config.device.startswith("cuda"):
        raise ConfigError(
            f"--graphs on needs a CUDA device, not {config.device!r}; accepted: auto, off"
        )
    if config.device.startswith("mps") and any(
        config.trainer_dtype(name) == "float64" for name in config.torch_trainers
    ):
        raise ConfigError(
            "MPS has no float64 (the gradient check and --dtype float64 need it); "
            "use --dtype float32, or --device cpu"
        )


def _counts(config: RunConfig) -> dict[str, int]:
    return {
        "iterations": config.iters,
        "n": config.n,
        "d_in": config.d_in,
        "hidden": config.hidden,
        "d_out": config.d_out,
        "log interval": config.log_every,
    }


def _check_names(kind: str, names: Iterable[str], accepted: tuple[str, ...]) -> None:
    for name in names:
        if name not in accepted:
            raise ConfigError(f"unknown {kind} {name!r}; accepted: {', '.join(accepted)}")


Value = TypeVar("Value", bound=Hashable)


def repeated(values: Iterable[Value]) -> tuple[Value, str] | None:
    """The first value given more than once, with how often ("twice", "3 times"), or None."""
    for value, count in Counter(values).items():
        if count > 1:
            return value, "twice" if count == 2 else f"{count} times"
    return None


def check_positive_int(label: str, value: object) -> int:
    """Returns value when it is a whole number above zero, else raises ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{label} must be a whole number above 0, got {value!r}")
    return value


def check_seed(value: object) -> int:
    """Returns value when it is a whole number from 0 to SEED_MAX, else raises ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= SEED_MAX:
        raise ConfigError(f"seed must be a whole number from 0 to {SEED_MAX}, got {value!r}")
    return value


def check_lr(label: str, value: object) -> float:
    """Returns value as a float when it is a finite number above zero, else raises ConfigError.

    Text is read as a number first ("1e-4"), so typed and parsed values pass the same check.
    """
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = math.nan
    if isinstance(number, bool) or not isinstance(number, (int, float)) or \
            not math.isfinite(number) or number <= 0:  # fmt: skip
        raise ConfigError(f"{label} must be a finite number above 0 (e.g. 1e-4), got {value!r}")
    return float(number)


# The settings whose whole effect is in the trainers' resolved specs; any other change (sizes,
# data seed, iterations, a loaded start, and whatever is added later) concerns every trainer.
PER_TRAINER = frozenset(
    {"lr", "optimizer", "init", "no_bias", "same_start", "dtype", "device", "trainers", "graphs",
     "matmul_precision", "init_seed", "init_scale"}
)  # fmt: skip


def changed_trainers(old: RunConfig, new: RunConfig) -> list[str]:
    """The trainers a change of settings restarts: those whose own spec or shared data changed."""
    names = [item.name for item in fields(RunConfig) if item.name not in PER_TRAINER]
    if any(getattr(old, name) != getattr(new, name) for name in names):
        return list(new.trainers)
    return [name for name in new.trainers if old.spec(name) != new.spec(name)]
