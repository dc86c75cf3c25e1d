"""Lender report PDF generation: 24 months of data, every section, A4 and Letter.

Run: backend/.venv/bin/python bench/report_pdf.py [--runs 10]
No database: the payload is built in memory with the shape `reports.service.build_payload`
gives (8 score components, 14 summary metrics, 24 months, 9 dispute figures, 4 funding options),
so the figure is the PDF's own cost. Goal: generation <= 2 s. Baselines from the same run: the
HTML alone (Jinja, what the page costs), and a one-page WeasyPrint document (the library's floor:
fonts, layout, PDF writing). Also the cached path a repeated download takes.
"""

import argparse
import statistics
import sys
import time
from typing import Any

from common import BACKEND, machine

sys.path.insert(0, str(BACKEND))

from app.reports import pdf
from app.reports.render import report_html
from app.reports.service import DISPUTE_METRICS, DISPUTE_THRESHOLDS, SUMMARY_METRICS
from app.reports.signing import canonical_json, verification_code

EXPLANATION = (
    "Average monthly revenue of $41,250 over the last 3 months, 2 of the last 6 months at or "
    "above $10,000; revenue-based lenders typically look for $10,000/month for 6+ months."
)


def payload() -> dict[str, Any]:
    months = []
    for i in range(24):
        year, month = 2024 + (i + 11) // 12, (i + 11) % 12 + 1
        gross = 2_500_000 + i * 137_511 + (i % 5) * 91_000
        months.append(
            {
                "month": f"{year}-{month:02d}",
                "gross": gross,
                "net": gross - 61_000 - i * 1_001,
                "refunds": 52_345 + i * 17,
                "disputes": i % 4,
                "charges": 900 + i * 11,
            }
        )
    components = [
        {
            "key": f"c{i}",
            "label": f"Component {i}",
            "score": 60.0 + i * 4.5,
            "weight": 0.125,
            "display": f"${(i + 1) * 1_234:,}/month",
            "status": "helps",
            "explanation": EXPLANATION,
        }
        for i in range(8)
    ]
    return {
        "version": 1,
        "business": "Fern & Fig Outfitters",
        "currency": "usd",
        "generated_at": "2026-12-03T06:00:00+00:00",
        "data_as_of": "2026-12-03T05:00:00+00:00",
        "connected_on": "2024-11-20",
        "sections": ["score", "metrics", "revenue", "disputes", "funding"],
        "score": {
            "score": 78,
            "tier": "ready",
            "model_version": "1.0",
            "capped_by": None,
            "components": components,
        },
        "metrics": dict.fromkeys(SUMMARY_METRICS, 0.0123) | {"history_start": "2024-11-20"},
        "revenue": months,
        "disputes": {
            "ratios": dict.fromkeys(DISPUTE_METRICS, 0.0042),
            "thresholds": list(DISPUTE_THRESHOLDS),
        },
        "funding": [
            {
                "name": f"Option {i}",
                "type": "merchant_cash_advance",
                "eligible": i % 2 == 0,
                "unmet": ["Needs $100,000 of annual revenue; currently $80,000."] * (i % 2),
            }
            for i in range(4)
        ],
        "share_id": "00000000-0000-0000-0000-000000000000",
        "expires_at": "2026-12-17T06:00:00+00:00",
        "key_id": "bench",
    }


def timed(fn: Any, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    data = payload()
    canonical = canonical_json(data)
    code = verification_code("bench-signature")
    url = "https://vaultra.example/verify"

    def make(size: pdf.PageSize) -> bytes:
        return pdf.render_pdf(
            data,
            canonical=canonical,
            signature="bench-signature",
            code=code,
            size=size,
            verify_url=url,
        )

    from weasyprint import HTML

    started = time.perf_counter()
    first = make("A4")
    cold = (time.perf_counter() - started) * 1000
    print(machine())
    print(f"first PDF in the process (fonts loaded): {cold:.0f} ms, {len(first) / 1024:.0f} KB")
    rows = {
        "baseline: HTML only (Jinja)": timed(
            lambda: report_html(data, code=code, print_mode=True, verify_url=url), args.runs
        ),
        "baseline: one-page WeasyPrint document": timed(
            lambda: HTML(string="<p>Hello</p>").write_pdf(), args.runs
        ),
        "report PDF, A4": timed(lambda: make("A4"), args.runs),
        "report PDF, Letter": timed(lambda: make("Letter"), args.runs),
        "report PDF, cached": timed(
            lambda: pdf.cached_pdf(("bench", "A4"), lambda: make("A4")), args.runs
        ),
    }
    print(f"{'case':42} {'median ms':>10} {'max ms':>10}")
    for name, values in rows.items():
        print(f"{name:42} {statistics.median(values):10.1f} {max(values):10.1f}")
    worst = max(cold, *rows["report PDF, A4"], *rows["report PDF, Letter"])
    print(f"goal <= 2000 ms: worst {worst:.0f} ms {'met' if worst <= 2000 else 'NOT met'}")


if __name__ == "__main__":
    main()
