"""`python -m stripe_sandbox serve|advance|generate|merchants --db PATH ...`"""

import argparse
from datetime import UTC, datetime

from stripe_sandbox.cli import advance_clock, generate_merchants, serve
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.merchants import MERCHANTS, merchant_account_id, sandbox_now

# Vaultra's Connect callback under `make run`.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8000/api/v1/integrations/stripe/callback"


def _config(args: argparse.Namespace) -> SandboxConfig:
    start = datetime.fromisoformat(args.start) if args.start else None
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    return SandboxConfig(
        db_path=args.db,
        webhook_url=args.webhook_url,
        rate_limit=args.rate_limit,
        latency_ms=args.latency_ms,
        error_status=args.error_status,
        error_burst=args.error_burst,
        error_period=args.error_period,
        seed=args.seed,
        size=args.size,
        start=start,
        redirect_uris=tuple(args.redirect_uri or [DEFAULT_REDIRECT_URI]),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m stripe_sandbox")
    parser.add_argument("--db", default="stripe_sandbox.db", help="the sandbox's SQLite file")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size", type=int, default=None, help="charges per merchant")
    parser.add_argument("--start", default=None, help="initial clock, ISO 8601 (default: now)")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--rate-limit", type=float, default=None, help="requests/s per key")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument(
        "--redirect-uri",
        action="append",
        help=f"where OAuth codes may go; repeatable (default: {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument("--error-status", type=int, default=None, help="429 or 5xx: a storm")
    parser.add_argument("--error-burst", type=int, default=3, help="failed requests in a row")
    parser.add_argument("--error-period", type=int, default=10, help="...of every this many")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="run the HTTP sandbox")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=12111)
    advance_cmd = commands.add_parser("advance", help="move the clock, deliver webhooks")
    advance_cmd.add_argument("--days", type=float, required=True)
    generate_cmd = commands.add_parser("generate", help="generate merchants now, not lazily")
    generate_cmd.add_argument("merchants", nargs="*", help="merchant keys (default: all)")
    commands.add_parser("merchants", help="list the sample merchants and their account ids")
    args = parser.parse_args(argv)
    config = _config(args)

    if args.command == "serve":
        serve(config, args.host, args.port)
    elif args.command == "advance":
        result = advance_clock(config, args.days)
        print(
            f"clock: {result.now.isoformat()}  events: {result.events_created}  "
            f"delivered: {result.delivered}  failed: {result.failed}  new: {result.objects_created}"
        )
    elif args.command == "generate":
        for key, account in generate_merchants(config, args.merchants or None).items():
            print(f"{key}\t{account}")
    else:
        print(f"clock: {sandbox_now(config).isoformat()}")
        for merchant in MERCHANTS:
            print(f"{merchant.key}\t{merchant_account_id(config, merchant.key)}\t{merchant.name}")


if __name__ == "__main__":
    main()
