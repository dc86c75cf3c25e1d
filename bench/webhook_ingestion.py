"""Webhook ingestion: N signed Stripe events from M concurrent senders against one uvicorn worker
on PostgreSQL, and a baseline endpoint that only inserts the raw body, in the same run.

Run: backend/.venv/bin/python bench/webhook_ingestion.py [--events 20000] [--senders 32]

The events are `charge.succeeded` for a connected account, built by the sandbox's own object
builders (full Stripe shape with its PII, ~4 KB), signed like Stripe's; a tenth are sent twice
(duplicate deliveries). A third pass sends events of an account no business connected (stored,
nothing to enqueue). Jobs go to Redis (`REDIS_URL`, an empty database index that the run
flushes afterwards), as in production where a separate worker processes them, so the API
worker only verifies, minimizes, stores and enqueues. The client is a minimal HTTP/1.1 keep-alive
sender with pre-built requests, so the load generator costs little CPU.
"""

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg
import redis
from common import BACKEND, machine, postgres_database, server

sys.path.insert(0, str(BACKEND))

from stripe_sandbox import fake, objects

SECRET = "whsec_bench_secret"
ACCOUNT = "acct_1BenchConnected0"
REDIS_DB_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def build_events(count: int, account: str = ACCOUNT) -> list[str]:
    now = int(time.time())
    bodies = []
    for index in range(count):
        who = fake.person(index, 7, eu=index % 7 == 0, year=2026)
        charge = objects.charge(
            f"ch_bench{index:014d}", now - 60, 1000 + index % 9000, "usd",
            f"cus_bench{index % 5000:010d}", who, f"fp{index:014d}", f"pm_bench{index:012d}",
            f"pi_bench{index:012d}", f"txn_bench{index:011d}", None, index % 100,
            f"Order #{100000 + index}", {"order_note": fake.note(index, who)},
            "BENCH CO", ships=True,
        )  # fmt: skip
        event = objects.event(
            f"evt_bench{uuid.uuid4().hex[:20]}", account, now - 30, "charge.succeeded", charge, None
        )
        bodies.append(json.dumps(event, separators=(",", ":")))
    return bodies


def requests_for(bodies: list[str], path: str, host: str) -> list[bytes]:
    built = []
    for body in bodies:
        t = int(time.time())
        mac = hmac.new(SECRET.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
        payload = body.encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Stripe-Signature: t={t},v1={mac}\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        built.append(head.encode() + payload)
    return built


async def send_all(
    base: str, requests: list[bytes], senders: int
) -> tuple[float, list[float], dict[int, int]]:
    parts = urlsplit(base)
    shares = [requests[i::senders] for i in range(senders)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def sender(share: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for raw in share:
                started = time.perf_counter()
                writer.write(raw)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(sender(share) for share in shares))
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


async def seed(url: str) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "CREATE TABLE bench_raw_webhooks (id bigserial PRIMARY KEY, body text)"
        )
        business = uuid.uuid4()
        now = datetime.now(UTC)
        await connection.execute(
            "INSERT INTO businesses (id, name, currency, created_at, updated_at)"
            " VALUES ($1, 'Bench Co', 'usd', $2, $2)",
            business, now,
        )  # fmt: skip
        await connection.execute(
            "INSERT INTO integration_accounts (id, business_id, provider, stripe_user_id, livemode,"
            " status, connected_at, sync_state, sync_full, sync_objects, created_at, updated_at)"
            " VALUES ($1, $2, 'stripe', $3, false, 'connected', $4, 'idle', false, 0, $4, $4)",
            uuid.uuid4(), business, ACCOUNT, now,
        )  # fmt: skip
    finally:
        await connection.close()


async def count(url: str, table: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await connection.close()


def report(
    name: str, sent: int, seconds: float, latencies: list[float], statuses: dict[int, int]
) -> None:
    print(
        f"| {name:<28} | {sent:>6} | {sent / seconds:>8.0f} | {percentile(latencies, 50):>6.1f} ms "
        f"| {percentile(latencies, 99):>6.1f} ms | {statistics.fmean(latencies) * 1000:>6.1f} ms "
        f"| {statuses} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--senders", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=1000)
    args = parser.parse_args()

    jobs = redis.Redis.from_url(REDIS_DB_URL)
    if jobs.dbsize():
        sys.exit(f"{REDIS_DB_URL} is not empty; point BENCH_REDIS_URL at an unused database")
    bodies = build_events(args.events + args.warmup)
    warmup, bodies = bodies[: args.warmup], bodies[args.warmup :]
    duplicates = random.Random(1).sample(bodies, len(bodies) // 10)
    sent_bodies = bodies + duplicates
    random.Random(2).shuffle(sent_bodies)
    env = {
        "APP_ENV": "test",
        "JWT_SECRET": "b" * 64,
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_CONNECT_CLIENT_ID": "ca_bench",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "STRIPE_API_BASE": "http://127.0.0.1:9",  # never called: a worker would process the jobs
        "REDIS_URL": REDIS_DB_URL,
        "JOBS_QUEUE_NAME": "vaultra:bench",
    }
    try:
        with postgres_database() as url:
            asyncio.run(seed(url))
            with server("bench.webhook_app:create_bench_app", {"DATABASE_URL": url, **env}) as base:
                host = urlsplit(base).netloc
                print(f"{datetime.now(UTC):%Y-%m-%d} — {machine()}")
                print(
                    f"{len(sent_bodies)} requests ({len(bodies)} unique events), "
                    f"{args.senders} senders"
                )
                print(
                    "| endpoint                     |   sent |  req/s   "
                    "|   p50     |   p99     |  mean     | statuses |"
                )
                unknown = build_events(len(sent_bodies), account="acct_1NobodyConnected0")
                runs = (
                    ("/bench/raw-webhook", "baseline: insert raw body", sent_bodies),
                    ("/api/v1/webhooks/stripe", "webhook, connected account", sent_bodies),
                    ("/api/v1/webhooks/stripe", "webhook, unknown account", unknown),
                )
                for path, name, payloads in runs:
                    asyncio.run(send_all(base, requests_for(warmup, path, host), args.senders))
                    requests = requests_for(payloads, path, host)
                    seconds, latencies, statuses = asyncio.run(
                        send_all(base, requests, args.senders)
                    )
                    report(name, len(requests), seconds, latencies, statuses)
            stored = asyncio.run(count(url, "stripe_events"))
            unique = len(bodies) + len(warmup) + len(unknown)
            print(f"stored events: {stored}, unique sent (incl. warm-up): {unique}")
            raw = asyncio.run(count(url, "bench_raw_webhooks"))
            print(f"raw bodies stored by the baseline: {raw}")
    finally:
        jobs.flushdb()


if __name__ == "__main__":
    main()
