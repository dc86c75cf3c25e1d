"""`vaultra serve`, the command the container image and `make run` start the API with."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.servers import free_port


def test_serve_answers_on_the_given_port(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "APP_ENV": "test",
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path),
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve"]
    process = subprocess.Popen(
        [*command, "--port", str(port), "--forwarded-allow-ips", "*"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[0].decode()
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "vaultra serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=15)
