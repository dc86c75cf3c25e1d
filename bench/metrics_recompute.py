"""Metrics recompute cost: a full recompute and an incremental one after one new day.

One business with N charges over two years (plus refunds, disputes and payouts in realistic
proportions), bulk-inserted straight into the Stripe tables. Measured, each the median of
a few runs:

- baseline: `SELECT day, count(*), sum(amount) FROM stripe_charges WHERE business_id = $1
  GROUP BY day`;
- full: every daily rollup, the snapshot (customer figures included) and the readiness score;
- incremental: the same after one new day of data (watermarks, one day re-aggregated,
  snapshot from the rollups, customer figures reused, score);
- incremental, month rollover: the first run of a month, when the trailing-12-month customer
  figures move and are recomputed;
- no change: a refresh with nothing new.

Run: backend/.venv/bin/python bench/metrics_recompute.py [--charges 1000000] [--sqlite]
(PostgreSQL on 127.0.0.1 by default; --sqlite uses a temporary SQLite file).
"""

import argparse
import asyncio
import math
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import BACKEND, machine, postgres_database

sys.path.insert(0, str(BACKEND))

from sqlalchemy import func, insert, select, text

from app.core import migrations
from app.core.db import Database
from app.metrics import rollup
from app.metrics import service as metrics_service
from app.stripe import ledger
from app.stripe.models import (
    IntegrationAccount,
    StripeCharge,
    StripeDispute,
    StripePayout,
    StripeRefund,
)
from app.users import service as users_service
from app.users.schemas import BusinessCreate

DAYS = 730
LAST_DAY = date(2025, 6, 14)  # history ends here; the full run happens early on June 15
REASONS = ["fraudulent", "product_not_received", "product_unacceptable", "duplicate", "general"]


def at(day: date, seconds: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


class Generator:
    """Deterministic, realistic-looking Stripe rows for one business."""

    def __init__(self, business_id: uuid.UUID, seed: int = 1) -> None:
        self.business_id = business_id
        self.random = random.Random(seed)  # reproducible data, not secrets
        self.serial = 0

    def _common(self, prefix: str, created: datetime) -> dict[str, Any]:
        self.serial += 1
        return {
            "business_id": self.business_id,
            "stripe_id": f"{prefix}_{self.serial:09d}",
            "account_id": "acct_bench",
            "livemode": False,
            "created": created,
            "day": created.date(),
            "version_at": created + timedelta(minutes=1),
        }

    def day(self, day: date, charges: int, customers: int, last_day: date) -> dict[str, list]:
        r = self.random
        rows: dict[str, list[dict[str, Any]]] = {
            "charges": [],
            "refunds": [],
            "disputes": [],
            "payouts": [],
        }
        for _ in range(charges):
            created = at(day, r.random() * 86_399)
            amount = int(math.exp(r.gauss(math.log(5_000), 0.6)))
            ok = r.random() > 0.03
            eur = r.random() < 0.05
            row = self._common("ch", created) | {
                "amount": amount,
                "amount_captured": amount if ok else 0,
                "amount_refunded": 0,
                "currency": "eur" if eur else "usd",
                "settled_amount": int(amount * 1.08) if eur else None,
                "settled_currency": "usd" if eur else None,
                # As the sync stores it (`store_rows`): the amount in the business's USD.
                "business_amount": int(amount * 1.08) if eur else amount,
                "status": "succeeded" if ok else "failed",
                "paid": ok,
                "captured": ok,
                "refunded": False,
                "disputed": False,
                # Repeat customers: low ids come back far more often.
                "customer_id": f"cus_{int(customers * r.random() ** 3)}",
            }
            rows["charges"].append(row)
            if not ok:
                continue
            if r.random() < 0.03:
                when = min(created + timedelta(days=r.randint(0, 20)), at(last_day, 86_000))
                rows["refunds"].append(
                    self._common("re", when)
                    | {
                        "charge_id": row["stripe_id"],
                        "amount": amount,
                        "currency": "usd",
                        "status": "succeeded",
                    }
                )
            if r.random() < 0.003:
                when = min(created + timedelta(days=r.randint(5, 60)), at(last_day, 86_100))
                rows["disputes"].append(
                    self._common("dp", when)
                    | {
                        "charge_id": row["stripe_id"],
                        "amount": amount,
                        "currency": "usd",
                        "status": r.choice(["needs_response", "under_review", "won", "lost"]),
                        "reason": r.choice(REASONS),
                    }
                )
        payout_at = at(day, 3_600)
        rows["payouts"].append(
            self._common("po", payout_at)
            | {
                "amount": 100_000,
                "currency": "usd",
                "status": "failed" if r.random() < 0.005 else "paid",
                "arrival_date": day + timedelta(days=2),
                "automatic": True,
            }
        )
        return rows


def daily_counts(total: int) -> list[int]:
    """Charges per day over DAYS days: 3% monthly growth and a weekly rhythm."""
    weights = [
        math.exp(0.03 * i / 30)
        * (0.8 if (LAST_DAY - timedelta(days=DAYS - 1 - i)).weekday() >= 5 else 1.05)
        for i in range(DAYS)
    ]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[-1] += total - sum(counts)
    return counts


MODELS = {
    "charges": StripeCharge,
    "refunds": StripeRefund,
    "disputes": StripeDispute,
    "payouts": StripePayout,
}


async def bulk_insert(db: Database, rows: dict[str, list[dict[str, Any]]]) -> None:
    if db.dialect == "postgresql":
        async with db.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            pg = raw.driver_connection
            assert pg is not None
            for name, model in MODELS.items():
                if rows[name]:
                    columns = list(rows[name][0])
                    records = [tuple(row[c] for c in columns) for row in rows[name]]
                    await pg.copy_records_to_table(
                        model.__tablename__, records=records, columns=columns
                    )
            await connection.commit()
        return
    async with db.engine.begin() as connection:
        for name, model in MODELS.items():
            for start in range(0, len(rows[name]), 20_000):
                await connection.execute(insert(model), rows[name][start : start + 20_000])


async def timed(action: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    durations, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await action()
        durations.append((time.perf_counter() - started) * 1000)
    return statistics.median(durations), result


async def bench(url: str, charges: int, runs: int) -> dict[str, Any]:
    db = Database(url)
    async with db.session() as session:
        user = await users_service.create_user(session, email="bench@example.com", name="Bench")
        access = await users_service.create_business(session, user, BusinessCreate(name="Bench"))
        session.add(IntegrationAccount(business_id=access.id, stripe_user_id="acct_bench"))
    business = access.business
    generator = Generator(business.id)
    customers = max(100, charges // 5)

    started = time.perf_counter()
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in MODELS}
    first = LAST_DAY - timedelta(days=DAYS - 1)
    for offset, count in enumerate(daily_counts(charges)):
        for name, rows in generator.day(
            first + timedelta(days=offset), count, customers, LAST_DAY
        ).items():
            pending[name].extend(rows)
        if len(pending["charges"]) >= 200_000:
            await bulk_insert(db, pending)
            pending = {name: [] for name in MODELS}
    await bulk_insert(db, pending)
    # PostgreSQL: VACUUM too, for the visibility map that index-only scans need. Autovacuum
    # (off on the bench box) does it in production: since PostgreSQL 13 inserts trigger it.
    async with db.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        vacuum = "VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"
        await connection.execute(text(vacuum))
    loaded = {}
    async with db.session() as session:
        for name, model in MODELS.items():
            loaded[name] = await session.scalar(select(func.count()).select_from(model))
    setup_seconds = time.perf_counter() - started

    # SELECT day, count(*), sum(amount) FROM stripe_charges WHERE business_id = $1 GROUP BY day
    c = StripeCharge
    baseline_query = (
        select(c.day, func.count(), func.sum(c.amount))
        .where(c.business_id == business.id)
        .group_by(c.day)
    )

    async def baseline() -> None:
        async with db.session() as session:
            (await session.execute(baseline_query)).all()

    def recompute(now: datetime, *, full: bool) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            async with db.session() as session:
                snapshot = await metrics_service.compute_metrics(
                    session, business, now=now, full=full
                )
                score = await metrics_service.compute_readiness(session, business, now=now)
                return snapshot, score

        return run

    async def rollups_only() -> None:
        async with db.session() as session:
            await rollup.update_rollups(session, business.id, "usd", full=True)

    async def customers_only() -> None:
        async with db.session() as session:
            await ledger.customer_figures(
                session, business.id, "usd", date(2024, 6, 1), date(2025, 5, 31)
            )

    # Baseline and full run alternate, so that both see the same moments of a noisy box; the
    # ratio is taken per pair.
    full_run = recompute(at(LAST_DAY, 86_400 + 1_800), full=True)
    await baseline()
    await full_run()
    pairs = []
    for _ in range(runs):
        baseline_once, _ = await timed(baseline, 1)
        full_once, (_, score) = await timed(full_run, 1)
        pairs.append((baseline_once, full_once))
    baseline_ms = statistics.median(b for b, _ in pairs)
    full_ms = statistics.median(f for _, f in pairs)
    ratios = sorted(f / b for b, f in pairs)
    rollups_ms, _ = await timed(rollups_only, runs)
    customers_ms, _ = await timed(customers_only, runs)

    async def add_day(day: date) -> None:
        rows = generator.day(day, charges // DAYS, customers, day)
        await bulk_insert(db, rows)

    incremental = []
    day = LAST_DAY + timedelta(days=1)
    for _ in range(runs):  # June 15, 16, 17 ...: windows shift, customer figures reused
        await add_day(day)
        ms, _ = await timed(recompute(at(day, 86_400 + 1_800), full=False), 1)
        incremental.append(ms)
        day += timedelta(days=1)
    unchanged_ms, _ = await timed(recompute(at(day, 1_800), full=False), runs)
    # The first run in July: the trailing-12-month customer window moves a month.
    await add_day(date(2025, 6, 30))
    rollover_ms, _ = await timed(recompute(at(date(2025, 7, 1), 1_800), full=False), 1)
    await db.dispose()
    return {
        "dialect": db.dialect,
        "rows": loaded,
        "setup_s": setup_seconds,
        "baseline_ms": baseline_ms,
        "full_ms": full_ms,
        "ratios": ratios,
        "rollups_ms": rollups_ms,
        "customers_ms": customers_ms,
        "incremental_ms": statistics.median(incremental),
        "unchanged_ms": unchanged_ms,
        "rollover_ms": rollover_ms,
        "score": (score.score, score.tier) if score else None,
    }


def report(result: dict[str, Any]) -> None:
    rows = ", ".join(f"{count:,} {name}" for name, count in result["rows"].items())
    print(f"{datetime.now(UTC):%Y-%m-%d} · {machine()} · {result['dialect']}")
    print(f"data: {rows} (loaded in {result['setup_s']:.0f} s); score {result['score']}")
    ratios = result["ratios"]
    print(f"baseline GROUP BY day            {result['baseline_ms']:9.1f} ms")
    print(
        f"full recompute (+ readiness)     {result['full_ms']:9.1f} ms  "
        f"({statistics.median(ratios):.2f}x baseline, median of {len(ratios)} pairs; "
        f"{ratios[0]:.2f}-{ratios[-1]:.2f})"
    )
    print(f"  of which: daily rollups        {result['rollups_ms']:9.1f} ms")
    print(f"  of which: 12-month customers   {result['customers_ms']:9.1f} ms")
    print(f"incremental, one new day         {result['incremental_ms']:9.1f} ms")
    print(f"incremental, month rollover      {result['rollover_ms']:9.1f} ms")
    print(f"refresh with nothing new         {result['unchanged_ms']:9.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--charges", type=int, default=None)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            migrations.upgrade(url)
            report(asyncio.run(bench(url, args.charges or 100_000, args.runs)))
        return
    with postgres_database() as url:
        report(asyncio.run(bench(url, args.charges or 1_000_000, args.runs)))


if __name__ == "__main__":
    main()
