"""Metrics on their own port, and what the error reporter lets out (app/core/observability.py)."""

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.core.config import Settings
from app.core.observability import REDACTED, scrub_event
from app.main import create_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample the metrics port serves, by name and labels."""
    response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[Any, float], name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_metrics_port_shows_a_request_and_a_job(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    web = tmp_path / "dist"
    web.mkdir()
    (web / "index.html").write_text("<!doctype html><title>Vaultra</title>")
    application = create_app(
        settings.model_copy(update={"metrics_port": port, "frontend_dist": web})
    )
    async with application.router.lifespan_context(application):
        before = scrape(port)
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            # An id in the path: the series is the route's template, not the path.
            response = await http.get(
                "/api/v1/users/businesses/0b6f0c52-8d8c-4f5e-9a49-3c51f1f4b0de"
            )
            assert response.status_code == 401
            assert (await http.get("/api/v1/no/such/route-3f9a")).status_code == 404
            assert (await http.get("/")).status_code == 200  # a web app page
        await application.state.queue.enqueue("prune_job_runs")
        await application.state.queue.join()
        after = scrape(port)
    # The API's own port serves no metrics: the ingress routes only that one.
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        assert (await http.get("/metrics")).status_code == 404

    route = "/api/v1/users/businesses/{business_id}"
    key = {"method": "GET", "route": route, "status": "401"}
    count = "vaultra_http_request_duration_seconds_count"
    assert (value(after, count, **key) or 0) - (value(before, count, **key) or 0) == 1
    bucket = value(after, "vaultra_http_request_duration_seconds_bucket", **key, le="+Inf")
    assert bucket is not None
    assert bucket >= 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert (value(after, count, **unmatched) or 0) >= 1
    assert (value(after, count, method="GET", route="<web>", status="200") or 0) >= 1
    job = {"job": "prune_job_runs", "status": "succeeded"}
    runs = "vaultra_job_runs_total"
    assert (value(after, runs, **job) or 0) - (value(before, runs, **job) or 0) == 1
    durations = "vaultra_job_duration_seconds_count"
    assert (value(after, durations, job="prune_job_runs") or 0) >= 1
    # The gauges read from the database are there from the first scrape.
    assert value(after, "vaultra_webhook_oldest_unprocessed_age_seconds") == 0
    assert value(after, "vaultra_sync_stale_businesses") == 0
    assert not any("3c51f1f4b0de" in str(labels) for _, labels in after)


async def test_no_metrics_port_no_server(settings: Settings) -> None:
    port = free_port()
    application = create_app(settings)
    async with application.router.lifespan_context(application), httpx.AsyncClient() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_scrubber_drops_bodies_tokens_and_emails() -> None:
    live_key = "sk_live_" + "51Hx0abcdEFGH"  # built here so no live-looking key is committed
    event: dict[str, Any] = {
        "message": f"login failed for ada@example.com with {live_key}",
        "request": {
            "url": "https://api.vaultra.com/api/v1/auth/google/callback?code=4/0Abc&state=x",
            "method": "POST",
            "data": {"password": "correct horse battery staple", "email": "ada@example.com"},
            "cookies": {"session": "abc"},
            "query_string": "code=4/0Abc",
            "headers": {
                "Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
                "Stripe-Signature": "t=1,v1=deadbeef",
                "User-Agent": "curl/8",
            },
        },
        "user": {"id": "42", "email": "ada@example.com", "ip_address": "203.0.113.9"},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "token vtr_pat_AbCdEf123 rejected; whsec_abc123 did not verify",
                    "stacktrace": {
                        "frames": [
                            {
                                "vars": {
                                    "password": "hunter2-hunter2",
                                    "api_key": "plain-looking-key",
                                    "count": 3,
                                    "code": "oauth-grant-7f3c",
                                    "error_code": "stripe_unavailable",
                                    "note": "mail bob@corp.example",
                                    "url": "postgresql://vaultra:s3cret@db:5432/vaultra",
                                }
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": "sent digest to carol@example.org"}]},
    }
    scrubbed = scrub_event(event)
    text = repr(scrubbed)
    for secret in (
        "ada@example.com",
        "bob@corp.example",
        "carol@example.org",
        "sk_live_",
        "vtr_pat_",
        "whsec_",
        "eyJ",
        "hunter2",
        "plain-looking-key",
        "s3cret",
        "correct horse",
        "4/0Abc",
        "deadbeef",
        "oauth-grant-7f3c",
        "203.0.113.9",
    ):
        assert secret not in text, secret
    request = scrubbed["request"]
    for dropped in ("data", "cookies", "query_string"):
        assert dropped not in request
    assert request["url"] == "https://api.vaultra.com/api/v1/auth/google/callback"
    assert request["headers"]["Authorization"] == REDACTED
    assert request["headers"]["User-Agent"] == "curl/8"
    assert scrubbed["user"] == {"id": "42"}
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame["count"] == 3  # what is not sensitive stays, for debugging
    assert frame["error_code"] == "stripe_unavailable"
    assert frame["code"] == REDACTED  # an OAuth grant
    assert frame["note"] == f"mail {REDACTED}"
    assert scrubbed["exception"]["values"][0]["type"] == "ValueError"


def test_sentry_starts_only_with_a_dsn_and_scrubs_what_it_sends() -> None:
    import sentry_sdk
    from sentry_sdk.transport import Transport

    from app.core.observability import init_error_reporting

    assert init_error_reporting(None, environment="test", release=None) is False
    sent: list[dict[str, Any]] = []

    class Capture(Transport):
        def capture_envelope(self, envelope: Any) -> None:
            for item in envelope.items:
                if item.type == "event":
                    sent.append(item.payload.json)

    try:
        assert init_error_reporting(
            "https://public@sentry.invalid/1", environment="test", release="abc"
        )
        client = sentry_sdk.get_client()
        client.transport = Capture(client.options)
        try:
            raise RuntimeError("charge for dora@example.com with rk_test_ZZZ999 failed")
        except RuntimeError as error:
            sentry_sdk.capture_exception(error)
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)
    assert sent, "the event was not sent"
    text = repr(sent)
    assert "dora@example.com" not in text
    assert "rk_test_ZZZ999" not in text
    assert "RuntimeError" in text


MULTIPROCESS_SCRIPT = """
import multiprocessing, sys
import httpx

def work(n):
    from app.core import observability
    for _ in range(n):
        observability.observe_job("x", "succeeded", 0.1)
    observability.WEBHOOK_OLDEST_UNPROCESSED.set(n)

if __name__ == "__main__":
    processes = [multiprocessing.Process(target=work, args=(n,)) for n in (2, 3)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    from app.core.observability import MetricsServer
    server = MetricsServer(0, "127.0.0.1")
    print(httpx.get(f"http://127.0.0.1:{server.port}/metrics").text)
    server.close()
"""


def test_several_server_processes_share_one_metrics_port(tmp_path: Path) -> None:
    """`vaultra serve --workers N` with PROMETHEUS_MULTIPROC_DIR: the process holding the port
    serves every process's counts (summed) and the gauges' maximum. Run in a fresh interpreter:
    prometheus_client reads the variable when it is imported."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    script = tmp_path / "several.py"
    script.write_text(MULTIPROCESS_SCRIPT)
    backend = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=backend,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(shared), "PYTHONPATH": str(backend)},
    )
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(result.stdout)
        for sample in family.samples
    }
    assert value(samples, "vaultra_job_runs_total", job="x", status="succeeded") == 5
    assert value(samples, "vaultra_webhook_oldest_unprocessed_age_seconds") == 3
