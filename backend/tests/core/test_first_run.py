"""A first run on any port: `vaultra serve` with only PORT set, from another directory, and the
Stripe connection through the built-in sandbox completes (its OAuth redirect, the code exchange
and the webhooks all use the port actually bound, not :8000).

The server runs as a subprocess with an environment of its own: no APP_BASE_URL, FRONTEND_URL or
.env (VAULTRA_ENV_FILE points at nothing, so a developer's backend/.env cannot interfere), and a
private DATA_DIR so the developer's database is untouched. It runs on the embedded defaults:
SQLite, jobs in-process, the sandbox as Stripe.
"""

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import TEST_PASSWORD
from tests.servers import free_port

BACKEND_DIR = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"Vaultra is running at (http://\S+)/ \(API docs: (http://\S+)\)")
# A busy 2-core machine imports the app slowly.
START_SECONDS = 90


def vaultra(*args: str) -> list[str]:
    return [sys.executable, "-c", "from app.cli import main; main()", *args]


def first_run_env(tmp: Path, port: int) -> dict[str, str]:
    """Only PORT, plus what keeps the run private (data folder, no .env) and finds the code."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp),
        "PYTHONPATH": str(BACKEND_DIR),
        "PYTHONUNBUFFERED": "1",
        "DATA_DIR": str(tmp / "data"),
        "VAULTRA_ENV_FILE": str(tmp / "no.env"),
        "PORT": str(port),
    }


@dataclass
class Served:
    url: str
    docs_url: str
    env: dict[str, str]
    workdir: Path
    lines: list[str] = field(default_factory=list)


def serve(workdir: Path, env: dict[str, str]) -> Iterator[Served]:
    """`vaultra db upgrade` then `vaultra serve`, as `make run` does; yields once it answers."""
    subprocess.run(vaultra("db", "upgrade"), cwd=workdir, env=env, check=True, timeout=120)
    process = subprocess.Popen(
        vaultra("serve"),
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + START_SECONDS
        while not (started := next(filter(None, map(STARTED.search, lines)), None)):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "no start-up line:\n" + "".join(lines)
            time.sleep(0.1)
        served = Served(started[1], started[2], env, workdir, lines)
        while True:
            assert process.poll() is None, "".join(lines)
            try:
                httpx.get(f"{served.url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "did not answer:\n" + "".join(lines)
                time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("first-run")
    yield from serve(workdir, first_run_env(workdir, free_port()))


def test_the_start_up_line_gives_the_app_and_its_docs_on_the_port_bound(served: Served) -> None:
    assert served.url == f"http://127.0.0.1:{served.env['PORT']}"
    assert served.docs_url == f"{served.url}/api/v1/docs"
    assert httpx.get(served.docs_url, timeout=10).status_code == 200
    # Development logs are for a person: readable lines, not JSON, and no Stripe/httpx chatter.
    assert not any(line.startswith("{") for line in served.lines)
    assert not [line for line in served.lines if re.match(r"\S+ INFO +(stripe|httpx)\b", line)]
    assert sum("Vaultra is running at" in line for line in served.lines) == 1


def test_the_sandbox_stripe_connection_completes_on_that_port(served: Served) -> None:
    base = served.url
    with httpx.Client(base_url=base, timeout=30) as client:
        email = f"first-run-{time.time_ns()}@example.com"
        signup = {"email": email, "password": TEST_PASSWORD, "name": "First Run"}
        response = client.post("/api/v1/auth/signup", json=signup)
        assert response.status_code == 201, response.text
        headers = {"Authorization": f"Bearer {response.json()['token']}"}
        response = client.post("/api/v1/users/businesses", json={"name": "Shop"}, headers=headers)
        assert response.status_code == 201, response.text
        business = {"business_id": response.json()["id"]}

        # Not connected yet: the score is not "coming shortly", Stripe must be connected first.
        response = client.get("/api/v1/readiness", params=business, headers=headers)
        assert response.status_code == 404
        assert response.json()["code"] == "readiness_not_computed"
        assert response.json()["detail"].startswith("Connect your Stripe account")

        response = client.get(
            "/api/v1/integrations/stripe/connect", params=business, headers=headers
        )
        assert response.status_code == 200, response.text
        authorize = urlsplit(response.json()["url"])
        assert f"{authorize.scheme}://{authorize.netloc}" == base
        query = parse_qs(authorize.query)
        assert query["redirect_uri"] == [f"{base}/api/v1/integrations/stripe/callback"]

        # The sandbox's page (what the browser shows), then the merchant the founder picks.
        page = client.get(f"{authorize.path}?{authorize.query}")
        assert page.status_code == 200, page.text
        href = page.text.split('id="new_store" href="', 1)[1].split('"', 1)[0]
        choice = client.get(href.replace("&amp;", "&"))
        assert choice.status_code == 302, choice.text
        callback = choice.headers["location"]
        assert callback.startswith(f"{base}/api/v1/integrations/stripe/callback?")

        # The app exchanges the code with the sandbox at its own address, then sends the
        # browser back to the dashboard on the same origin.
        done = client.get(callback.removeprefix(base))
        assert done.status_code == 302, done.text
        dashboard = urlsplit(done.headers["location"])
        assert f"{dashboard.scheme}://{dashboard.netloc}" == base
        assert dashboard.path == "/dashboard"
        assert "error" not in parse_qs(dashboard.query), dashboard.query

        deadline = time.monotonic() + 120
        while True:
            response = client.get("/api/v1/readiness", params=business, headers=headers)
            if response.status_code == 200:
                break
            assert response.status_code == 404, response.text
            assert time.monotonic() < deadline, response.text
            time.sleep(0.5)
        assert 0 <= response.json()["score"] <= 100

    # New sandbox activity arrives as webhooks at the same port (the command, like the server,
    # is given only PORT).
    advanced = subprocess.run(
        vaultra("sandbox", "advance", "--days", "3"),
        cwd=served.workdir,
        env=served.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert advanced.returncode == 0, advanced.stdout + advanced.stderr
    delivered = re.search(r"delivered (\d+), failed (\d+)", advanced.stdout)
    assert delivered is not None, advanced.stdout
    assert int(delivered[1]) > 0
    assert int(delivered[2]) == 0


def test_port_zero_serves_on_a_free_port_and_says_which(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("port-zero")
    for served in serve(workdir, first_run_env(workdir, 0)):
        port = int(urlsplit(served.url).port or 0)
        assert port > 0
        response = httpx.get(f"{served.url}/api/v1/integrations/stripe/connect", timeout=10)
        assert response.status_code == 401  # served, and reached at the URL it printed
