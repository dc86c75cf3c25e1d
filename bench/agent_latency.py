"""Agent latency on PostgreSQL: offline chat, local retrieval, and GET /readiness as baseline.

Run: backend/.venv/bin/python bench/agent_latency.py [--requests 200]
Needs PostgreSQL on 127.0.0.1 (BENCH_POSTGRES_URL). Requests are sent one at a time, so the
figures are single-request latencies; goals: chat p95 <= 150 ms, retrieval p95 <= 20 ms.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import httpx
from common import BACKEND, machine, postgres_database, server

sys.path.insert(0, str(BACKEND))

from app.agent.knowledge import DEFAULT_QUESTIONS_PATH
from app.agent.knowledge.evaluation import load_questions
from app.agent.retrieval.local import LocalRetriever
from app.core.db import Database
from app.metrics import service as metrics_service
from app.recommendations import service as recommendations_service
from app.stripe.models import IntegrationAccount, StripeCharge, StripeDispute, StripePayout
from app.users import service as users_service

QUESTIONS = [
    "What's hurting my funding readiness score?",
    "How do I reduce chargebacks?",
    "Am I eligible for revenue-based financing?",
    "Why did my score drop?",
    "Are my payouts healthy?",
    "Is my revenue stable?",
    "What are my top recommendations?",
    "Could I get a merchant cash advance?",
    "Do I depend too much on a few customers?",
    "Tell me about my business profile",
]


def stripe_rows(business_id: uuid.UUID, until: date) -> list[object]:
    """Nine months of daily sales, weekly payouts, and a burst of disputes last month."""
    rows: list[object] = []
    day, n = until - timedelta(days=270), 0

    def common(prefix: str, when: date) -> dict[str, object]:
        created = datetime(when.year, when.month, when.day, 12, tzinfo=UTC)
        return {
            "business_id": business_id,
            "stripe_id": f"{prefix}_{uuid.uuid4().hex[:16]}",
            "account_id": "acct_bench",
            "created": created,
            "day": when,
            "version_at": created + timedelta(minutes=1),
        }

    while day < until:
        for _ in range(3):
            n += 1
            amount = 20_000 + (n % 9) * 1_500
            rows.append(
                StripeCharge(
                    **common("ch", day),
                    amount=amount,
                    amount_captured=amount,
                    currency="usd",
                    business_amount=amount,  # as the sync stores it
                    status="succeeded",
                    paid=True,
                    captured=True,
                    customer_id=f"cus_{n % 25}",
                )
            )
        if day.weekday() == 0:
            rows.append(
                StripePayout(
                    **common("po", day),
                    amount=400_000,
                    currency="usd",
                    status="paid",
                    arrival_date=day + timedelta(days=2),
                )
            )
        day += timedelta(days=1)
    last_month = until.replace(day=1) - timedelta(days=20)
    for i in range(6):
        rows.append(
            StripeDispute(
                **common("dp", last_month + timedelta(days=i)),
                amount=20_000,
                currency="usd",
                status="needs_response",
                reason="fraudulent",
            )
        )
    return rows


async def seed(url: str, business_id: str) -> None:
    database = Database(url)
    bid = uuid.UUID(business_id)
    try:
        async with database.session() as session:
            session.add(IntegrationAccount(business_id=bid, stripe_user_id="acct_bench"))
            session.add_all(stripe_rows(bid, date.today()))
        for now in (datetime.now(UTC) - timedelta(days=30), datetime.now(UTC)):
            async with database.session() as session:
                business = await users_service.get_business(session, bid)
                assert business is not None
                await metrics_service.compute_metrics(session, business, now=now)
                await metrics_service.compute_readiness(session, business, now=now)
                await recommendations_service.generate_recommendations(session, business, now=now)
    finally:
        await database.dispose()


async def retrieval_latencies(url: str, count: int) -> list[float]:
    database = Database(url)
    retriever = LocalRetriever(database)
    queries = [q.question for q in load_questions(DEFAULT_QUESTIONS_PATH)]
    try:
        await retriever.search(queries[0])  # builds the in-memory index
        timings = []
        for i in range(count):
            started = time.perf_counter()
            await retriever.search(queries[i % len(queries)])
            timings.append((time.perf_counter() - started) * 1000)
        return timings
    finally:
        await database.dispose()


def timed(send: Callable[[int], httpx.Response], count: int) -> list[float]:
    timings = []
    for i in range(count):
        started = time.perf_counter()
        response = send(i)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return timings


def summary(name: str, timings: list[float], goal: float | None) -> str:
    ordered = sorted(timings)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    line = (
        f"{name:32} n={len(timings):4}  mean {statistics.fmean(timings):6.1f} ms  "
        f"p50 {pct(50):6.1f}  p95 {pct(95):6.1f}  p99 {pct(99):6.1f}  max {ordered[-1]:6.1f}"
    )
    if goal is not None:
        line += f"  (goal p95 <= {goal:g} ms: {'met' if pct(95) <= goal else 'MISSED'})"
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    env = {"APP_ENV": "test", "JWT_SECRET": "b" * 64, "OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}

    with postgres_database() as url:
        subprocess.run(
            [str(BACKEND / ".venv" / "bin" / "vaultra"), "kb", "ingest"],
            cwd=BACKEND,
            env={**os.environ, **env, "DATABASE_URL": url},
            check=True,
            capture_output=True,
        )
        with (
            server("app.main:serve_app", {**env, "DATABASE_URL": url}) as base,
            httpx.Client(base_url=base, timeout=30) as http,
        ):
            signup = http.post(
                "/api/v1/auth/signup",
                json={
                    "email": "bench@example.com",
                    "password": "a long bench password",
                    "name": "B",
                },
            )
            headers = {"Authorization": f"Bearer {signup.json()['token']}"}
            business = http.post(
                "/api/v1/users/businesses", json={"name": "Bench Co"}, headers=headers
            ).json()
            asyncio.run(seed(url, business["id"]))

            def chat(i: int) -> httpx.Response:
                body = {"business_id": business["id"], "message": QUESTIONS[i % len(QUESTIONS)]}
                return http.post("/api/v1/agent/chat", json=body, headers=headers)

            def readiness(_: int) -> httpx.Response:
                params = {"business_id": business["id"]}
                return http.get("/api/v1/readiness", params=params, headers=headers)

            timed(chat, 20)  # warm-up: connections, caches, the BM25 index
            timed(readiness, 20)
            baseline = timed(readiness, args.requests)
            chats = timed(chat, args.requests)
            assert "offline" in chat(0).json()["mode"]
        retrieval = asyncio.run(retrieval_latencies(url, args.requests))

    print(f"date: {datetime.now(UTC):%Y-%m-%d}  machine: {machine()}")
    print("PostgreSQL, 1 uvicorn worker, sequential requests over one keep-alive connection")
    print(summary("GET /readiness (baseline)", baseline, None))
    print(summary("POST /agent/chat (offline)", chats, 150))
    print(summary("local retrieval (in-process)", retrieval, 20))


if __name__ == "__main__":
    main()
