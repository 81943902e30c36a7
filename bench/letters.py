"""Approval letters: naive (one WeasyPrint call per letter) vs batched (one call, split).

Usage: .venv/bin/python bench/letters.py [N] [--naive-sample K] [--profile]

The naive path is timed on a sample of K single-letter renders (default 5) and its rate taken
from their median, to keep the run short; the batched path renders all N letters at once,
three times, and takes the median. The last line is machine-readable.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xianyang_portal.settings.local")

import django  # noqa: E402

django.setup()

from reviews.letters.render import (  # noqa: E402
    LetterContent,
    render_letter_pdf,
    render_letter_pdfs,
)

POLICY_TITLE = "咸阳市全面推动科技创新和制造业深度融合加快发展新质生产力的若干措施"
COUNTIES = ("秦都", "渭城", "兴平", "三原", "泾阳", "乾县", "礼泉", "永寿", "彬州", "长武")
TRADES = ("精密机械", "新材料", "电子信息", "生物医药", "智能装备", "新能源", "食品加工")
FORMS = ("有限公司", "股份有限公司", "科技有限公司", "集团有限公司")


def sample_letters(n: int) -> list[LetterContent]:
    """N realistic, distinct letters: different names, numbers, facts and amounts."""
    letters = []
    for i in range(n):
        county = COUNTIES[i % len(COUNTIES)]
        trade = TRADES[i % len(TRADES)]
        code = f"{i:04d}BENCH{(i * 7919) % 10**7:07d}"
        letters.append(
            LetterContent(
                number=f"咸工信奖〔2026〕{i + 1}号",
                organisation_name=f"咸阳{county}{trade}第{i + 1}{FORMS[i % len(FORMS)]}",
                uscc=f"91610400MA6X{i:05d}X",
                policy_document="咸工信发〔2025〕70号",
                policy_title=POLICY_TITLE,
                measure_number=1 + i % 30,
                measure_title="支持企业梯度培育",
                clause_title="对首次认定的国家级专精特新“小巨人”企业给予一次性奖励",
                facts=(
                    ("认定类别", "国家级专精特新“小巨人”企业"),
                    ("认定文号", f"工信部企业函〔2025〕{100 + i}号"),
                    ("认定日期", f"2025年{1 + i % 12}月{1 + i % 28}日"),
                    ("所属县市区", f"{county}区"),
                ),
                amount=Decimal(50_000 + 1_250 * i) + Decimal("0.50") * (i % 2),
                issued_on=date(2026, 1, 5) + timedelta(days=i % 20),
                issuer="咸阳市工业和信息化局",
                verification_code=code,
                verify_url=f"https://hqzc.xianyang.gov.cn/verify/{code}/",
            )
        )
    return letters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200)
    parser.add_argument("--naive-sample", type=int, default=5, metavar="K")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile one batched run")
    args = parser.parse_args()
    letters = sample_letters(args.n)

    # Warm-up: template loading, font configuration, Pango caches.
    render_letter_pdfs(letters[:2])

    sample = letters[: max(1, min(args.naive_sample, args.n))]
    naive_times = []
    naive_sizes = []
    for letter in sample:
        started = time.perf_counter()
        pdf = render_letter_pdf(letter)
        naive_times.append(time.perf_counter() - started)
        naive_sizes.append(len(pdf))
    naive_median = statistics.median(naive_times)
    naive_per_s = 1 / naive_median
    print(
        f"naive: render_letter_pdf timed on a sample of {len(sample)} of {args.n} letters "
        f"(not all N, to keep the run short); per-letter median {naive_median * 1000:.0f} ms, "
        f"min {min(naive_times) * 1000:.0f} ms, max {max(naive_times) * 1000:.0f} ms; "
        f"PDF size median {statistics.median(naive_sizes) / 1024:.0f} KiB"
    )

    batch_times = []
    pdfs: list[bytes] = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        pdfs = render_letter_pdfs(letters)
        batch_times.append(time.perf_counter() - started)
    if len(pdfs) != args.n:
        raise SystemExit(f"batched path returned {len(pdfs)} PDFs for {args.n} letters")
    batch_median = statistics.median(batch_times)
    batched_per_s = args.n / batch_median
    sizes = [len(pdf) for pdf in pdfs]
    print(
        f"batched: render_letter_pdfs on all {args.n} letters, {args.repeats} runs "
        f"({', '.join(f'{t:.2f} s' for t in batch_times)}), median {batch_median:.2f} s "
        f"= {batch_median / args.n * 1000:.1f} ms per letter"
    )
    print(
        f"batched PDF size per letter: median {statistics.median(sizes) / 1024:.0f} KiB, "
        f"min {min(sizes) / 1024:.0f} KiB, max {max(sizes) / 1024:.0f} KiB"
    )

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        render_letter_pdfs(letters)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())

    print(
        f"letters: n={args.n} naive_per_s={naive_per_s:.3g} batched_per_s={batched_per_s:.3g} "
        f"ratio={batched_per_s / naive_per_s:.3g}"
    )


if __name__ == "__main__":
    main()
