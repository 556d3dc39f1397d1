"""Where torch runs, how it is made deterministic, and which device a trial actually used.

The default is `auto`: CUDA when `torch.cuda.is_available()`, else the CPU. `VERISIM_DEVICE`
(`cpu`, `cuda`, `cuda:N`), when set, is the machine's word and wins over an arm's `device`
parameter, so `VERISIM_DEVICE=cpu` forces the CPU everywhere.

The CPU is the only bit-reproducible device: multithreaded CPU reductions are not associative,
so one thread per process (the seed's practice) and deterministic kernels keep continuous
signals such as decode entropy identical across processes and replays. CUDA gives seed-level,
not bit-level, reproducibility; that is why the device is part of every weight-cache key and
is recorded on every trial's ledger row (`devices_used`, read by the trial process).
"""

from __future__ import annotations

import os

import torch

from proposers.base import ProposerError

DEVICE_ENV = "VERISIM_DEVICE"

_used: set[str] = set()


def resolve_device(name: str | None = "auto") -> torch.device:
    """`cpu`, `cuda`, `cuda:N`, or `auto` (CUDA if present); `VERISIM_DEVICE` overrides all."""
    forced = os.environ.get(DEVICE_ENV, "").strip()
    if forced:
        name = forced
    elif name is None or name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ProposerError(f"device {name!r} is not a torch device: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ProposerError(f"device {name!r} was asked for but CUDA is not available")
    if device.type not in ("cpu", "cuda"):
        raise ProposerError(f"device {name!r}: only cpu and cuda are supported")
    _used.add(device.type)
    return device


def devices_used() -> frozenset[str]:
    """The device types resolved in this process since the last `forget_devices_used()`."""
    return frozenset(_used)


def forget_devices_used() -> None:
    _used.clear()


def configure_torch(device: torch.device, threads: int = 1) -> None:
    """Pin the thread count and, on CPU, deterministic kernels (cheap there, and exact)."""
    if threads < 1:
        raise ProposerError(f"threads must be >= 1, got {threads}")
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
