"""Where torch runs and how it is made deterministic.

CPU is the default and the only bit-reproducible device: multithreaded CPU reductions are not
associative, so one thread per process (the seed's practice) keeps continuous signals such as
decode entropy identical across processes; CUDA is used when asked for (or present, with
`device="auto"`) and gives seed-level, not bit-level, reproducibility.
"""

from __future__ import annotations

import os

import torch

from proposers.base import ProposerError

DEVICE_ENV = "VERISIM_DEVICE"


def resolve_device(name: str | None = "cpu") -> torch.device:
    """`cpu`, `cuda`, `cuda:N`, or `auto` (the `VERISIM_DEVICE` env var, else CUDA if present)."""
    if name is None or name == "auto":
        name = os.environ.get(DEVICE_ENV) or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ProposerError(f"device {name!r} is not a torch device: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ProposerError(f"device {name!r} was asked for but CUDA is not available")
    if device.type not in ("cpu", "cuda"):
        raise ProposerError(f"device {name!r}: only cpu and cuda are supported")
    return device


def configure_torch(device: torch.device, threads: int = 1) -> None:
    """Pin the thread count and, on CPU, deterministic kernels (cheap there, and exact)."""
    if threads < 1:
        raise ProposerError(f"threads must be >= 1, got {threads}")
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True)
