"""GET /users/me and GET /readiness with a valid JWT vs a bare `SELECT 1` endpoint, with wrk,
on PostgreSQL.

Also measures the machine's ceiling: the same answer as /users/me from a bare ASGI app
(api_ceiling_app.py). Goals at 64 connections (issue 14): /users/me throughput at least 0.5
times the `SELECT 1` baseline, and its p99 at most 4 times the ceiling's p99 from the same run.
`GET /readiness` (called on every dashboard view) is measured for the record, for a business
connected to the sandbox's healthy SaaS merchant (730 days of data).

Run: backend/.venv/bin/python bench/api_latency.py [--connections 64] [--duration 15]
     [--pool-size N]
Needs `wrk` (Debian: apt-get install wrk) and PostgreSQL on 127.0.0.1.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import httpx
from common import machine, postgres_database, server

MERCHANT = "healthy_saas"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, connections: int, duration: int, headers: dict[str, str]) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    for name, value in headers.items():
        command[1:1] = ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * UNITS[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def connect_sample_merchant(base: str, headers: dict[str, str], business_id: str) -> None:
    """The browser's consent round trip by HTTP (sandbox page -> merchant -> callback), then
    waits for the backfill and the first score."""
    consent = httpx.get(
        f"{base}/api/v1/integrations/stripe/connect",
        params={"business_id": business_id},
        headers=headers,
    ).json()["url"]
    page = httpx.get(consent).text
    href = page.split(f'id="{MERCHANT}" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    callback = urlsplit(httpx.get(urljoin(consent, href)).headers["location"])
    httpx.get(f"{base}{callback.path}?{callback.query}")
    deadline = time.monotonic() + 180
    while (
        httpx.get(
            f"{base}/api/v1/readiness", params={"business_id": business_id}, headers=headers
        ).status_code
        != 200
    ):
        if time.monotonic() > deadline:
            sys.exit("no readiness score within 3 minutes")
        time.sleep(1)


def measure_app(
    url: str, env: dict[str, str], connections: int, duration: int
) -> tuple[dict[str, dict[str, float]], str]:
    """The baseline, GET /users/me and GET /readiness on the real app; also the user's token."""
    with server("bench.api_app:create_bench_app", {"DATABASE_URL": url, **env}) as base:
        signup = httpx.post(
            f"{base}/api/v1/auth/signup",
            json={"email": "bench@example.com", "password": "a long bench password", "name": "B"},
        )
        token = signup.json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        business_id = httpx.post(
            f"{base}/api/v1/users/businesses", json={"name": "Bench Co"}, headers=auth
        ).json()["id"]
        connect_sample_merchant(base, auth, business_id)
        readiness = f"{base}/api/v1/readiness?business_id={business_id}"
        # Warm every path so the first figures aren't connection set-up.
        run_wrk(f"{base}/bench/select1", connections, 3, {})
        run_wrk(f"{base}/api/v1/users/me", connections, 3, auth)
        run_wrk(readiness, connections, 3, auth)
        results = {
            "baseline SELECT 1": run_wrk(f"{base}/bench/select1", connections, duration, {}),
            "GET /users/me": run_wrk(f"{base}/api/v1/users/me", connections, duration, auth),
            "GET /readiness": run_wrk(readiness, connections, duration, auth),
        }
    return results, token


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument(
        "--pool-size", type=int, default=None, help="DATABASE_POOL_SIZE (default: the app's)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    data = tempfile.mkdtemp(prefix="vaultra-bench-")
    env = {"APP_ENV": "test", "JWT_SECRET": "b" * 64, "DATA_DIR": data}
    if args.pool_size is not None:
        env |= {"DATABASE_POOL_SIZE": str(args.pool_size), "DATABASE_MAX_OVERFLOW": "0"}
    with postgres_database() as url:
        results, token = measure_app(url, env, args.connections, args.duration)
        # After the app has stopped, so the two pools never hold connections at once.
        with server(
            "bench.api_ceiling_app:app", {"DATABASE_URL": url, **env}, factory=False
        ) as bare:
            run_wrk(f"{bare}/", args.connections, 3, {"Authorization": f"Bearer {token}"})
            results["ceiling (bare ASGI)"] = run_wrk(
                f"{bare}/",
                args.connections,
                args.duration,
                {"Authorization": f"Bearer {token}"},
            )
    shutil.rmtree(data, ignore_errors=True)

    me, baseline, ceiling = (
        results["GET /users/me"],
        results["baseline SELECT 1"],
        results["ceiling (bare ASGI)"],
    )
    throughput = me["rps"] / baseline["rps"]
    tail = me["p99"] / ceiling["p99"]
    print(f"date: {datetime.now(UTC):%Y-%m-%d}  machine: {machine()}")
    pool = f"pool {args.pool_size}" if args.pool_size else "default pool (10 + 10 overflow)"
    admission = os.environ.get("MAX_CONCURRENT_REQUESTS", "default")
    print(
        f"connections: {args.connections}, duration: {args.duration}s, 1 uvicorn worker,"
        f" PostgreSQL, {pool}, MAX_CONCURRENT_REQUESTS={admission}"
    )
    for name, result in results.items():
        print(
            f"{name:20} {result['rps']:8.0f} req/s  p50 {result['p50']:6.1f} ms"
            f"  p99 {result['p99']:6.1f} ms  non-2xx {result['errors']:.0f}"
        )
    print(f"/users/me throughput: {throughput:.2f}x baseline (goal >= 0.5)")
    print(f"/users/me p99: {tail:.2f}x the ceiling's p99 (goal <= 4)")
    errors = sum(result["errors"] for result in results.values())
    print("goal met" if throughput >= 0.5 and tail <= 4 and not errors else "goal NOT met")


if __name__ == "__main__":
    main()
