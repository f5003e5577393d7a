"""Provides the memory a run's arrays take, what the machine has, and the refusal of sizes that
would not fit there, before anything is allocated."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from engine.config import ConfigError

if TYPE_CHECKING:
    from engine.config import RunConfig


def estimated_bytes(config: RunConfig, names: tuple[str, ...] | None = None) -> int:
    """Bytes the named trainers' arrays take: data, weights, grads, optimizer state, activations."""
    n, d_in, h, d_out = config.n, config.d_in, config.hidden, config.d_out
    per_trainer = n * d_in + n * d_out + 4 * (d_in * h + h * d_out) + 4 * n * h + 3 * n * d_out
    per_trainer *= config.member_count  # a sweep's members each hold all but the data, and more
    chosen = config.trainers if names is None else names
    return sum(
        per_trainer * (8 if config.trainer_dtype(name) == "float64" else 4) for name in chosen
    )


def host_bytes(config: RunConfig) -> int:
    """Bytes the run takes in host memory: the float64 data and start weights, and CPU trainers."""
    n, d_in, h, d_out = config.n, config.d_in, config.hidden, config.d_out
    shared = 8 * (n * d_in + n * d_out + (d_in * h + h * d_out) * config.member_count)
    on_host = config.trainers if config.device == "cpu" else ("numpy",)
    return shared + estimated_bytes(config, tuple(t for t in config.trainers if t in on_host))


def available_bytes() -> int:
    """Memory new allocations can take without swapping: Linux's MemAvailable.

    MemAvailable counts the page cache the kernel would drop; free pages alone (MemFree) do not,
    and fall as the cache grows. Free pages are the fallback where there is no /proc/meminfo.
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62


def check_fits(config: RunConfig, need: int, have: int, where: str, held: int = 0) -> None:
    """Refuses sizes whose arrays would not fit, before anything is allocated.

    Args:
        need: bytes the run takes; held: bytes of it already allocated (a running run's).
    """
    if need - held > have:
        more = (f" ({(need - held) / 2**30:.1f} GiB more than the {held / 2**30:.1f} GiB it holds)"
                if held else "")  # fmt: skip
        members = f" for {config.member_count} sweep members" if config.sweep else ""
        raise ConfigError(
            f"sizes n={config.n} d_in={config.d_in} hidden={config.hidden} d_out={config.d_out} "
            f"need about {need / 2**30:.1f} GiB{more}{members} but {where} has "
            f"{have / 2**30:.1f} GiB available; choose smaller sizes"
            + (" or fewer members" if config.sweep else "")
        )


def check_memory(config: RunConfig, held: int = 0) -> None:
    """Refuses sizes whose arrays would not fit in host memory (held: already allocated)."""
    check_fits(config, host_bytes(config), available_bytes(), "this machine", held)
