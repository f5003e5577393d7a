"""Provides the seeded training data, each trainer's initial weights, and .npz loading."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.config import ConfigError, RunConfig, TrainerSpec


@dataclass(frozen=True)
class Dataset:
    """The batch every trainer fits: x (N, D_in) and y (N, D_out), float64."""

    x: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class Params:
    """A network's weights in numpy orientation (y = relu(x @ w1 + b1) @ w2 + b2), float64."""

    w1: np.ndarray
    w2: np.ndarray
    b1: np.ndarray | None = None
    b2: np.ndarray | None = None


@dataclass(frozen=True)
class Start:
    """The data and, when loaded from a file, the one set of weights every trainer starts from."""

    data: Dataset
    params: Params | None = None


def make_data(config: RunConfig) -> Dataset:
    """Draws x and y from standard normals, once per run, from the run's seed."""
    rng = np.random.default_rng(config.seed)
    x = rng.standard_normal((config.n, config.d_in))
    y = rng.standard_normal((config.n, config.d_out))
    return Dataset(x, y)


def make_start(config: RunConfig) -> Start:
    """The run's shared data: loaded from --init-from, or drawn from the seed."""
    if config.init_from is not None:
        return load_start(config.init_from)
    return Start(make_data(config))


def initial_params(spec: TrainerSpec, d_in: int, hidden: int, d_out: int) -> Params:
    """Draws a trainer's starting weights.

    `normal` draws weights from N(0, 1) as the seed's programs do; `default` draws them as
    torch.nn.Linear does, from U(-1/sqrt(fan_in), 1/sqrt(fan_in)). Biases, when present, always
    take nn.Linear's init, as in the seed (normal_ there touches only the weights).
    """
    rng = np.random.default_rng([spec.seed, 1])
    w1 = _draw_weight(rng, spec.init, d_in, hidden)
    w2 = _draw_weight(rng, spec.init, hidden, d_out)
    if not spec.bias:
        return Params(w1, w2)
    b1 = rng.uniform(-1, 1, hidden) / np.sqrt(d_in)
    b2 = rng.uniform(-1, 1, d_out) / np.sqrt(hidden)
    return Params(w1, w2, b1, b2)


def _draw_weight(rng: np.random.Generator, init: str, fan_in: int, fan_out: int) -> np.ndarray:
    if init == "normal":
        return rng.standard_normal((fan_in, fan_out))
    return rng.uniform(-1, 1, (fan_in, fan_out)) / np.sqrt(fan_in)


def load_start(path: Path) -> Start:
    """Loads x, y, w1, w2 and optional b1, b2 from an .npz file, checking shapes and values.

    Raises:
        ConfigError: the file is missing, corrupt, incomplete, mis-shaped or not finite.
    """
    arrays = _read_npz(path)
    missing = [key for key in ("x", "y", "w1", "w2") if key not in arrays]
    if missing:
        raise ConfigError(f"{path}: missing array(s) {', '.join(missing)}; needs x, y, w1, w2")
    if ("b1" in arrays) != ("b2" in arrays):
        raise ConfigError(f"{path}: has only one of b1, b2; give both biases or neither")
    x, y, w1, w2 = (arrays[key] for key in ("x", "y", "w1", "w2"))
    b1, b2 = arrays.get("b1"), arrays.get("b2")
    _check_shapes(path, x, y, w1, w2, b1, b2)
    return Start(Dataset(x, y), Params(w1, w2, b1, b2))


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):  # a plain .npy is one array
            raise ConfigError(f"{path}: one array, not an .npz archive; save x, y, w1, w2 "
                              "together with numpy.savez")  # fmt: skip
        with loaded as npz:
            arrays = {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; give an .npz with x, y, w1, w2") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        if isinstance(error, ConfigError):
            raise
        why = f" ({error.strerror})" if isinstance(error, OSError) and error.strerror else ""
        raise ConfigError(f"{path}: not a readable .npz file{why}; save x, y, w1, w2 together "
                          "with numpy.savez") from None  # fmt: skip
    for key, array in arrays.items():
        if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
            raise ConfigError(f"{path}: array {key} is {array.dtype}; real numbers are needed")
        if not np.all(np.isfinite(array)):
            raise ConfigError(f"{path}: array {key} holds NaN or inf; all values must be finite")
    # C-ordered: files from older versions hold transposed (Fortran-ordered) torch weights
    return {key: np.asarray(array, np.float64, order="C") for key, array in arrays.items()}


def _check_shapes(
    path: Path,
    x: np.ndarray,
    y: np.ndarray,
    w1: np.ndarray,
    w2: np.ndarray,
    b1: np.ndarray | None,
    b2: np.ndarray | None,
) -> None:
    if x.ndim != 2 or y.ndim != 2 or w1.ndim != 2 or w2.ndim != 2:
        raise ConfigError(f"{path}: x, y, w1, w2 must be 2-D arrays")
    n, d_in = x.shape
    hidden, d_out = w2.shape
    expected = {"y": (n, d_out), "w1": (d_in, hidden), "b1": (hidden,), "b2": (d_out,)}
    actual = {"y": y.shape, "w1": w1.shape, "b1": _shape(b1), "b2": _shape(b2)}
    for key, shape in expected.items():
        if actual[key] is not None and actual[key] != shape:
            raise ConfigError(
                f"{path}: {key} has shape {actual[key]}, expected {shape} "
                f"(x is {x.shape}, w2 is {w2.shape})"
            )
    if min(n, d_in, hidden, d_out) == 0:
        raise ConfigError(f"{path}: arrays must not be empty")


def _shape(array: np.ndarray | None) -> tuple[int, ...] | None:
    return None if array is None else array.shape


def sizes_of(start: Start) -> dict[str, int]:
    """The network sizes a loaded start implies."""
    n, d_in = start.data.x.shape
    assert start.params is not None
    hidden, d_out = start.params.w2.shape
    return {"n": n, "d_in": d_in, "hidden": hidden, "d_out": d_out}
