"""`vaultra serve`, the command the container image and `make run` start the API with."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.servers import free_port

SPOOFED = "198.51.100.7"
# Not uvicorn's default (127.0.0.1), and given in a .env file, which only the settings read.
PROXY = "127.0.0.3"


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]

    def log_lines(self) -> list[dict[str, object]]:
        """The JSON log lines written so far (stops the server)."""
        self.process.terminate()
        output = self.process.communicate(timeout=15)[0].decode()
        return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = free_port()
    workdir = tmp_path_factory.mktemp("serve")
    (workdir / ".env").write_text(f"FORWARDED_ALLOW_IPS={PROXY}\n")
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(workdir / "data"),
        "REDIS_URL": "",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # a busy machine imports slowly
        while True:
            assert process.poll() is None, process.communicate()[0].decode()
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "vaultra serve did not start"
                time.sleep(0.2)
        yield Served(url, process)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)


def test_serve_answers_on_the_given_port(served: Served) -> None:
    response = httpx.get(f"{served.url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(served: Served) -> None:
    """127.0.0.1 is a client like any other: its X-Forwarded-For is ignored, and the login
    throttle and the log see 127.0.0.1. The configured proxy is trusted to name the client."""
    headers = {"X-Forwarded-For": SPOOFED}
    for source, request_id in (("127.0.0.1", "from-untrusted"), (PROXY, "from-proxy")):
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(transport=transport, base_url=served.url, timeout=5) as client:
            response = client.get("/health", headers=headers | {"X-Request-ID": request_id})
        assert response.status_code == 200
    clients = {
        line["request_id"]: line["client"]
        for line in served.log_lines()
        if line.get("message") == "request" and "request_id" in line
    }
    assert clients["from-untrusted"] == "127.0.0.1"
    assert clients["from-proxy"] == SPOOFED
