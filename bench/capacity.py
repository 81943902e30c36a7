"""The capacity plan for Shaanxi (docs/deploy.md), computed from the benches' last lines.

Usage (from the repository root), with each bench's output saved to a file:
    .venv/bin/python bench/scale.py  > bench/out/scale.txt
    .venv/bin/python bench/burst.py  > bench/out/burst.txt
    .venv/bin/python bench/letters.py > bench/out/letters.txt
    .venv/bin/python bench/capacity.py bench/out/scale.txt bench/out/burst.txt bench/out/letters.txt

It prints the "Per-core figures" and "Arithmetic" sections of docs/deploy.md in Markdown.
The load assumptions are the table in docs/deploy.md ("Load assumed"), repeated below as
constants; every figure the plan rests on is either one of them or a bench figure.

Per-core figures, and why they are conservative:
- web: a reviewer's queue page or API (the worst of them, at 100,000 applications) costs
  its single-user p95 of one core; one core then serves 1000 / p95_ms requests a second.
  The p95 exceeds the mean service time, so this under-states what a core does.
- deadline burst: bench/burst.py runs USERS complete submissions (create, 1 MB upload,
  submit) at once on the bench machine's cores; they all end within p95_s (95 % of them, the
  rest a little later), so a core completes at least 0.95 × USERS / (p95_s × cores) a second.
- letters: bench/letters.py's letter_ms is one letter in the real task path on one core.
Each figure was measured on a core whose reference loop took ref_s; a production core is
assumed no faster (ref_s on the servers is to be checked: scale the figures by the ratio).
"""

from __future__ import annotations

import math
import os
import re
import sys
from pathlib import Path

# Load assumed (docs/deploy.md, "Load assumed").
ENTERPRISES = 100_000
APPLICATIONS_PER_YEAR = 40_000
PEAK_HOUR_SUBMISSIONS = 2_000
REQUESTS_PER_SUBMISSION = 60
STAFF_AND_PUBLIC_FACTOR = 2.1  # staff and the public add about as much again at a deadline
HPA_CPU_TARGET = 0.65
LARGEST_NOTICE_LETTERS = 5_000
LETTER_DEADLINE_S = 600  # the largest notice's letters within ten minutes
LETTERS_PER_YEAR = 24_000


def last_line(path: Path, prefix: str) -> dict[str, float]:
    lines = [line for line in path.read_text().splitlines() if line.startswith(prefix + ":")]
    if not lines:
        raise SystemExit(f"{path}: no line starting with {prefix}:")
    return {key: float(value) for key, value in re.findall(r"(\w+)=([\d.]+)", lines[-1])}


def web_autoscaler() -> dict:
    """minReplicas and maxReplicas of the web HPA in deploy/k8s/web.yaml."""
    import yaml

    path = Path(__file__).resolve().parent.parent / "deploy" / "k8s" / "web.yaml"
    for doc in yaml.safe_load_all(path.read_text()):
        if doc and doc.get("kind") == "HorizontalPodAutoscaler":
            return doc["spec"]
    raise SystemExit(f"{path}: no HorizontalPodAutoscaler")


def plan(scale: dict, burst: dict, letters: dict, cores: int) -> str:
    out = []
    web_ms = max(scale["queue_p95_ratio"], scale["api_p95_ratio"]) * scale["hello_p95_ms"]
    web_rps_core = 1000 / web_ms
    burst_core = 0.95 * burst["users"] / (burst["p95_s"] * cores)
    letter_s = letters["letter_ms"] / 1000

    out.append("### Per-core figures\n")
    out.append("| figure | value | from |\n|---|---|---|")
    out.append(
        f"| web, reviewer queue page/API at {scale['rows']:,.0f} applications | "
        f"p95 {web_ms:.1f} ms → **{web_rps_core:.0f} req/s per core** | `bench/scale.py`: "
        f"hello_p95_ms={scale['hello_p95_ms']} × worst ratio "
        f"{max(scale['queue_p95_ratio'], scale['api_p95_ratio'])}, ref_s={scale['ref_s']} |"
    )
    out.append(
        f"| deadline burst (create + 1 MB upload + submit) | "
        f"**{burst_core:.1f} submissions/s per core** | `bench/burst.py`: users="
        f"{burst['users']:.0f}, p95_s={burst['p95_s']}, on {cores} cores, "
        f"ref_s={burst['ref_s']} |"
    )
    out.append(
        f"| letter, real task path | **{letters['letter_ms']:.1f} ms per letter per core** "
        f"({1 / letter_s:.0f} a second), two processes {letters['two_process_speedup']}× one | "
        f"`bench/letters.py`, ref_s={letters['ref_s']} |"
    )

    peak_rps = PEAK_HOUR_SUBMISSIONS * REQUESTS_PER_SUBMISSION / 3600
    planned_rps = peak_rps * STAFF_AND_PUBLIC_FACTOR
    web_cores = planned_rps / web_rps_core
    hpa = web_autoscaler()
    web_pods = max(hpa["minReplicas"], math.ceil(web_cores / HPA_CPU_TARGET))
    headroom = hpa["maxReplicas"] / web_pods
    submissions_s = PEAK_HOUR_SUBMISSIONS / 3600
    burst_cores = submissions_s / burst_core
    notice_core_s = LARGEST_NOTICE_LETTERS * letter_s
    letter_cores = max(1, math.ceil(notice_core_s / LETTER_DEADLINE_S))
    letter_replicas = max(2, math.ceil(letter_cores / 2))

    out.append("\n### Arithmetic\n")
    out.append(
        f"**Web.** Peak enterprise traffic = {PEAK_HOUR_SUBMISSIONS:,} submissions × "
        f"{REQUESTS_PER_SUBMISSION} requests / 3,600 s = {peak_rps:.1f} req/s; with staff and "
        f"the public (× {STAFF_AND_PUBLIC_FACTOR}) **{planned_rps:.0f} req/s**. Priced at the "
        f"reviewer queue's cost, the dearest page: {planned_rps:.0f} / {web_rps_core:.0f} = "
        f"{web_cores:.2f} cores busy; at the HPA's {HPA_CPU_TARGET:.0%} CPU target "
        f"{web_cores / HPA_CPU_TARGET:.2f} cores → **{web_pods} web pods** of 1 CPU "
        f"(deploy/k8s/web.yaml: `minReplicas: {hpa['minReplicas']}`, one per node, is the floor; "
        f"`maxReplicas: {hpa['maxReplicas']}` leaves {headroom:.1f}× headroom"
        + (")." if headroom >= 1.5 else "): **too little, raise maxReplicas**.")
    )
    out.append(
        f"\n**Deadline burst.** {PEAK_HOUR_SUBMISSIONS:,} submissions in the peak hour = "
        f"{submissions_s:.2f} a second; at {burst_core:.1f} per core that is "
        f"{burst_cores:.2f} cores, inside the web pods above."
    )
    out.append(
        f"\n**Letters.** The largest notice: {LARGEST_NOTICE_LETTERS:,} × "
        f"{letters['letter_ms']:.1f} ms = {notice_core_s:.0f} core-seconds; within "
        f"{LETTER_DEADLINE_S} s that needs {letter_cores} core(s) → **{letter_replicas} letter "
        f"workers × concurrency 2** (they finish it in {notice_core_s / (letter_replicas * 2):.0f} s"
        f" if two processes give 2×; at the measured {letters['two_process_speedup']}× in "
        f"{notice_core_s / (letter_replicas * letters['two_process_speedup']):.0f} s). A year's "
        f"{LETTERS_PER_YEAR:,} letters are {LETTERS_PER_YEAR * letter_s / 60:.0f} core-minutes."
    )
    return "\n".join(out)


def main() -> None:
    scale_file, burst_file, letters_file = (Path(arg) for arg in sys.argv[1:4])
    cores = int(os.environ.get("BENCH_CORES", os.cpu_count() or 1))
    print(
        plan(
            last_line(scale_file, "scale"),
            last_line(burst_file, "burst"),
            last_line(letters_file, "letters"),
            cores,
        )
    )


if __name__ == "__main__":
    main()
