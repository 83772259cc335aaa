"""Which int8 runtime ``SUMMARIZER_BACKEND=auto`` runs a convertible model with on a CPU: a rule by
CPU vendor and memory, from measurements (docs/speed.md, "Which int8 runtime auto runs";
``python -m bench.int8`` and ``python -m bench.speed``).

- **Intel CPUs: CTranslate2 int8.** CTranslate2 computes with Intel MKL on ``GenuineIntel`` CPUs only
  (oneDNN elsewhere, its ``cpu/backend.cc``); on an Intel Xeon (AVX-512 VNNI, AMX) it was the faster
  runtime at batch 8, 1.4-1.5x torch dynamic int8 (Marian 271 against 176 tokens/s, BART 66 against 48).
- **AMD CPUs: torch dynamic int8, where memory allows.** On AMD EPYCs (AVX-512 VNNI) torch int8 was
  faster in-process in most runs (1.1-1.46x; bench.int8 2026-12-07: 1.15x as a script runs it,
  1.23x as the service runs it), and once the service ran torch on one thread
  (``models.inference.torch_thread``) also served over HTTP at 8 clients. It holds the fp32
  checkpoint's memory and more (peak PSS 2.4-4.9x CTranslate2's; bart-large-cnn 4,075 MB for 1,625 MB
  of fp32 weights), so it is chosen only when every worker's models fit in half the memory the
  process may use at :data:`TORCH_INT8_BYTES_PER_WEIGHT_BYTE` x their weights + :data:`TORCH_INT8_OVERHEAD`
  each; else CTranslate2, at about half the memory or less.
- **Any other CPU (another vendor, ARM): CTranslate2 int8**, unmeasured here, for its memory.

GPUs are not decided here: ``auto`` runs CTranslate2 with ``int8_float16`` on a GPU.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

# torch int8's peak PSS per byte of fp32 weights, and per model on top (measured: bart-large-cnn
# 4,075 MB for 1,625 MB of weights, 2.5; the Marian shape of bench.speed 1,075 MB for about 300 MB)
TORCH_INT8_BYTES_PER_WEIGHT_BYTE = 2.6
TORCH_INT8_OVERHEAD = 500 * 2**20
MEMORY_SHARE = 0.5  # the share of the process's memory that torch int8's estimate may take
WEIGHT_FILES = ("*.safetensors", "*.bin")


@dataclass(frozen=True)
class Host:
    """What the rule reads of the machine."""

    vendor: str  # /proc/cpuinfo's vendor_id ("" where there is none)
    memory_bytes: int  # memory the process may use: the cgroup v2 limit, else the machine's
    workers: int  # worker processes, each loading its own models


def read_host(workers: int, proc: str = "/proc", cgroup_root: str = "/sys/fs/cgroup") -> Host:
    """The CPU vendor and memory of this machine (a container's cgroup memory limit, where set)."""
    vendor = ""
    memory = 0
    try:
        for line in Path(proc, "cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "vendor_id":
                vendor = value.strip()
                break
        for line in Path(proc, "meminfo").read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = Path(cgroup_root, "memory.max").read_text(encoding="ascii").strip()
        if limit != "max":
            memory = min(memory, int(limit)) if memory else int(limit)
    except (OSError, ValueError):
        pass
    return Host(vendor=vendor, memory_bytes=memory, workers=max(1, workers))


def weights_bytes(path: Path) -> int:
    """The size of a checkpoint folder's weight files (safetensors, else PyTorch ``.bin``)."""
    for pattern in WEIGHT_FILES:
        files = list(Path(path).glob(pattern))
        if files:
            return sum(f.stat().st_size for f in files)
    return 0


def torch_int8_estimate(weights: list[int], workers: int) -> int:
    """Bytes torch int8 would hold: every worker loads every model."""
    return workers * sum(int(TORCH_INT8_BYTES_PER_WEIGHT_BYTE * w) + TORCH_INT8_OVERHEAD for w in weights)


def choose_int8(weights: list[int], host: Host, torch_installed: bool | None = None) -> tuple[str, str]:
    """``("ctranslate2" | "transformers-int8", reason)`` for CPU models of ``weights`` bytes each (the
    convertible models this process will load) on ``host``."""
    gib = 2**30
    if host.vendor == "GenuineIntel":
        return "ctranslate2", ("auto: CTranslate2 int8 on an Intel CPU, where it computes with MKL and was the faster "
                               "int8 runtime (1.4-1.5x torch int8; docs/speed.md)")
    if host.vendor != "AuthenticAMD":
        return "ctranslate2", (f"auto: CTranslate2 int8 on a CPU of vendor {host.vendor or 'unknown'} (not measured "
                               f"here; the int8 runtime with the least memory; docs/speed.md)")
    if torch_installed is None:
        torch_installed = importlib.util.find_spec("torch") is not None
    if not torch_installed:
        return "ctranslate2", "auto: CTranslate2 int8 (torch is not installed)"
    need = torch_int8_estimate(weights, host.workers)
    room = MEMORY_SHARE * host.memory_bytes
    if need > room:
        return "ctranslate2", (f"auto: CTranslate2 int8 on an AMD CPU: torch int8, faster there (1.15-1.46x), would "
                               f"need about {need / gib:.1f} GiB for {host.workers} worker(s), over half of the "
                               f"{host.memory_bytes / gib:.1f} GiB this process may use (docs/speed.md)")
    return "transformers-int8", (f"auto: torch dynamic int8 on an AMD CPU, where it was faster than CTranslate2 int8 "
                                 f"(1.15-1.46x at batch 8), its memory (about {need / gib:.1f} GiB for "
                                 f"{host.workers} worker(s)) within half of the {host.memory_bytes / gib:.1f} GiB "
                                 f"this process may use (docs/speed.md)")
