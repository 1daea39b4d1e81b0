"""What the benchmarks report about the machine they ran on."""

from __future__ import annotations

import os
import platform
from typing import Any

__all__ = ["load_average", "machine_info"]


def load_average() -> float | None:
    """The 1-minute load average: above the core count, other work shared the CPUs."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def machine_info() -> dict[str, Any]:
    """CPU counts, Python, platform and the load average when the benchmark started."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_1m_at_start": load_average(),
    }
