"""GET /users/me with a valid JWT vs a bare `SELECT 1` endpoint, with wrk, on PostgreSQL.

Also measures the machine's ceiling: the same answer from a bare ASGI app (api_ceiling_app.py).

Run: backend/.venv/bin/python bench/api_latency.py [--connections 64] [--duration 15]
     [--pool-size N]
Needs `wrk` (Debian: apt-get install wrk) and PostgreSQL on 127.0.0.1.
"""

import argparse
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime

import httpx
from common import machine, postgres_database, server

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


def measure_app(
    url: str, env: dict[str, str], connections: int, duration: int
) -> tuple[dict[str, float], dict[str, float], str]:
    """The baseline and GET /users/me on the real app; also returns the user's token."""
    with server("bench.api_app:app", {"DATABASE_URL": url, **env}) as base:
        signup = httpx.post(
            f"{base}/api/v1/auth/signup",
            json={"email": "bench@example.com", "password": "a long bench password", "name": "B"},
        )
        token = signup.json()["token"]
        httpx.post(
            f"{base}/api/v1/users/businesses",
            json={"name": "Bench Co"},
            headers={"Authorization": f"Bearer {token}"},
        )
        # Warm both paths so the first figures aren't connection set-up.
        run_wrk(f"{base}/bench/select1", connections, 3, {})
        baseline = run_wrk(f"{base}/bench/select1", connections, duration, {})
        me = run_wrk(
            f"{base}/api/v1/users/me",
            connections,
            duration,
            {"Authorization": f"Bearer {token}"},
        )
    return baseline, me, token


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

    env = {"APP_ENV": "test", "JWT_SECRET": "b" * 64}
    if args.pool_size is not None:
        env |= {"DATABASE_POOL_SIZE": str(args.pool_size), "DATABASE_MAX_OVERFLOW": "0"}
    with postgres_database() as url:
        baseline, me, token = measure_app(url, env, args.connections, args.duration)
        # After the app has stopped, so the two pools never hold connections at once.
        with server("bench.api_ceiling_app:app", {"DATABASE_URL": url, **env}) as bare:
            run_wrk(f"{bare}/", args.connections, 3, {"Authorization": f"Bearer {token}"})
            ceiling = run_wrk(
                f"{bare}/",
                args.connections,
                args.duration,
                {"Authorization": f"Bearer {token}"},
            )

    ratio = me["rps"] / baseline["rps"]
    print(f"date: {datetime.now(UTC):%Y-%m-%d}  machine: {machine()}")
    pool = f"pool {args.pool_size}" if args.pool_size else "default pool (10 + 10 overflow)"
    print(
        f"connections: {args.connections}, duration: {args.duration}s, 1 uvicorn worker,"
        f" PostgreSQL, {pool}"
    )
    measured = (
        ("baseline SELECT 1", baseline),
        ("GET /users/me", me),
        ("ceiling (bare ASGI)", ceiling),
    )
    for name, result in measured:
        print(
            f"{name:20} {result['rps']:8.0f} req/s  p50 {result['p50']:6.1f} ms"
            f"  p99 {result['p99']:6.1f} ms  non-2xx {result['errors']:.0f}"
        )
    print(f"throughput ratio: {ratio:.2f}x baseline (goal >= 0.5)  p99 goal <= 50 ms")
    print("goal met" if ratio >= 0.5 and me["p99"] <= 50 and not me["errors"] else "goal NOT met")


if __name__ == "__main__":
    main()
