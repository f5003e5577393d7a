"""Provides which devices exist (CPU, each CUDA GPU with name and memory, MPS) and device checks."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from engine.config import ConfigError, RunConfig
from engine.memory import check_fits, estimated_bytes


@dataclass(frozen=True)
class DeviceInfo:
    """One place the torch trainers can run."""

    id: str
    name: str
    memory_bytes: int | None = None

    @property
    def label(self) -> str:
        """How a person reads it: id, name and memory."""
        memory = f", {self.memory_bytes / 2**30:.0f} GiB" if self.memory_bytes else ""
        return f"{self.id}: {self.name}{memory}"


def cpu_name() -> str:
    """The processor's model name where the system tells it, with its core count."""
    name = platform.processor() or platform.machine() or "CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            models = [line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line]
        name = models[0] if models else name
    except OSError:
        pass
    return f"{name} ({os.cpu_count() or 1} cores)"


def list_devices() -> list[DeviceInfo]:
    """CPU first, then each CUDA GPU, then MPS where torch can see one."""
    import torch

    devices = [DeviceInfo("cpu", cpu_name())]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            devices.append(DeviceInfo(f"cuda:{index}", props.name, props.total_memory))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(DeviceInfo("mps", "Apple Metal (MPS)"))
    return devices


def resolve_device(name: str, devices: list[DeviceInfo] | None = None) -> str:
    """Turns cpu, cuda, cuda:N or mps into a device that exists, or raises ConfigError."""
    name = name.strip().lower()
    devices = list_devices() if devices is None else devices
    ids = [device.id for device in devices]
    wanted = "cuda:0" if name == "cuda" else name
    if wanted in ids:
        return wanted
    if not (name in ("cpu", "cuda", "mps") or (name.startswith("cuda:") and name[5:].isdigit())):
        raise ConfigError(f"unknown device {name!r}; accepted: cpu, cuda, cuda:N, mps")
    if name.startswith("cuda") and not any(id.startswith("cuda") for id in ids):
        raise ConfigError(f"device {name!r} is not available: no CUDA device was found; use cpu")
    raise ConfigError(f"device {name!r} is not available; available: {', '.join(ids)}")


def check_device_memory(config: RunConfig, running: RunConfig | None = None) -> None:
    """Refuses sizes whose torch arrays would not fit in the chosen CUDA device's free memory.

    Args:
        running: the run these settings replace; what it holds on the same device is counted
            as free, since its trainers stop first.
    """
    if not config.device.startswith("cuda"):
        return
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(config.device))
    held = 0
    if running is not None and running.device == config.device:
        held = estimated_bytes(running, running.torch_trainers)
    need = estimated_bytes(config, config.torch_trainers)
    check_fits(config, need, int(free), config.device, held)
