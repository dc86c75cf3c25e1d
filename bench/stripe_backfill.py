"""Backfill of a large sandbox merchant into PostgreSQL, with `vaultra stripe sync` as a process.

Run: backend/.venv/bin/python bench/stripe_backfill.py [--size 100000] [--merchant seasonal_retail]
     [--latency-ms 0] [--runs limited,unlimited]

1. limited: the sandbox (`vaultra sandbox serve --rate-limit 25`, its own process) allows 25
   requests/s and Vaultra runs with STRIPE_MAX_RPS=25. The lower bound on wall time is
   requests / 25; goal: wall time <= 1.15 x that bound.
2. unlimited: no limit on either side; goal: >= 3,000 objects stored per second.
Both report the sync process's peak RSS (goal <= 300 MB). The generated sandbox file is kept in
--workdir and reused by later runs with the same size and merchant.
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from common import BACKEND, PYTHON, free_port, machine, postgres_database

sys.path.insert(0, str(BACKEND))

from stripe_sandbox import SandboxConfig, connect_merchant, generate

VAULTRA = str(BACKEND / ".venv" / "bin" / "vaultra")
RUNNER = (
    "import atexit, resource, sys\n"
    "atexit.register(lambda: print('peak_rss_kb', resource.getrusage(resource.RUSAGE_SELF)"
    ".ru_maxrss, file=sys.stderr))\n"
    "from app.cli import main\n"
    "sys.argv = ['vaultra', 'stripe', 'sync', '--business-id', sys.argv[1]]\n"
    "main()\n"
)


@contextmanager
def sandbox_server(
    config: SandboxConfig, rate_limit: float | None, latency_ms: int
) -> Iterator[str]:
    port = free_port()
    command = [VAULTRA, "sandbox", "serve", "--port", str(port), "--db", config.db_path,
               "--size", str(config.size), "--latency-ms", str(latency_ms)]  # fmt: skip
    if rate_limit:
        command += ["--rate-limit", str(rate_limit)]
    process = subprocess.Popen(
        command, cwd=BACKEND, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "APP_ENV": "development", "DATA_DIR": str(Path(config.db_path).parent)},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/v1/account", timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                sys.exit("sandbox did not start")
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def seed(url: str, account: str) -> uuid.UUID:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    business = uuid.uuid4()
    now = datetime.now(UTC)
    try:
        await connection.execute(
            "INSERT INTO businesses (id, name, currency, created_at, updated_at)"
            " VALUES ($1, 'Bench Co', 'usd', $2, $2)",
            business, now,
        )  # fmt: skip
        await connection.execute(
            "INSERT INTO integration_accounts (id, business_id, provider, stripe_user_id, livemode,"
            " status, connected_at, sync_state, sync_full, sync_objects, created_at, updated_at)"
            " VALUES ($1, $2, 'stripe', $3, false, 'connected', $4, 'queued', false, 0, $4, $4)",
            uuid.uuid4(), business, account, now,
        )  # fmt: skip
    finally:
        await connection.close()
    return business


async def stored_rows(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    tables = ["stripe_charges", "stripe_refunds", "stripe_disputes", "stripe_payouts",
              "stripe_customers", "stripe_subscriptions"]  # fmt: skip
    try:
        return sum([int(await connection.fetchval(f"SELECT count(*) FROM {t}")) for t in tables])
    finally:
        await connection.close()


def run_sync(
    url: str, business: uuid.UUID, base: str, sandbox: SandboxConfig, rps: float
) -> dict[str, float]:
    env = {
        **os.environ,
        "APP_ENV": "test",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": url,
        "JWT_SECRET": "b" * 64,
        "STRIPE_SECRET_KEY": sandbox.secret_key,
        "STRIPE_CONNECT_CLIENT_ID": sandbox.client_id,
        "STRIPE_WEBHOOK_SECRET": sandbox.webhook_secret,
        "STRIPE_API_BASE": base,
        "STRIPE_CONNECT_BASE": base,
        "STRIPE_MAX_RPS": str(rps),
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(PYTHON), "-c", RUNNER, str(business)],
        check=False,
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"sync failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    summary = re.search(r"(\d+) objects in (\d+) pages, ([\d.]+) s", done.stdout)
    rss = re.search(r"peak_rss_kb (\d+)", done.stderr)
    assert summary, done.stdout
    assert rss, done.stderr
    return {
        "seconds": seconds,
        "objects": float(summary.group(1)),
        "pages": float(summary.group(2)),
        "sync_seconds": float(summary.group(3)),
        "rss_mb": int(rss.group(1)) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--merchant", default="seasonal_retail")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--runs", default="limited,unlimited")
    parser.add_argument("--workdir", default="/tmp/vaultra-bench")
    args = parser.parse_args()

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxConfig(
        db_path=str(workdir / f"sandbox_{args.merchant}_{args.size}.db"), size=args.size
    )
    started = time.perf_counter()
    generate(sandbox, [args.merchant])
    account = connect_merchant(sandbox, args.merchant)
    print(f"{datetime.now(UTC):%Y-%m-%d} — {machine()}")
    ready = time.perf_counter() - started
    print(f"sandbox: {args.merchant}, {args.size} charges, ready in {ready:.0f} s")
    for run in args.runs.split(","):
        limit = 25.0 if run == "limited" else None
        with postgres_database() as url, sandbox_server(sandbox, limit, args.latency_ms) as base:
            business = asyncio.run(seed(url, account))
            result = run_sync(url, business, base, sandbox, limit or 10_000.0)
            rows = asyncio.run(stored_rows(url))
        requests = result["pages"] + 1  # + GET /v1/account
        wall, inside = result["seconds"], result["sync_seconds"]
        line = (
            f"{run}: {result['objects']:.0f} objects ({rows} rows) in {result['pages']:.0f} pages; "
            f"process {wall:.1f} s (sync itself {inside:.1f} s), "
            f"{result['objects'] / wall:.0f} objects/s ({result['objects'] / inside:.0f} in the "
            f"sync); peak RSS {result['rss_mb']:.0f} MB"
        )
        if limit:
            bound = requests / limit
            line += f"; lower bound {bound:.1f} s, ratio {wall / bound:.2f} ({inside / bound:.2f})"
        print(line, flush=True)


if __name__ == "__main__":
    main()
