"""The fixed CPU loop every bench times in the same run (`ref_s`), so figures compare
across machines."""

from __future__ import annotations

import time


def ref_s() -> float:
    started = time.perf_counter()
    x = 0
    for i in range(3_000_000):
        x = (x * 31 + i) % 1000003
    return time.perf_counter() - started
