"""Request bodies over the limit get 413 before they are read: the JSON API's 1 MiB, the Stripe
webhook's 5 MiB. Over a real socket, so that "before they are read" is what is tested."""

import json
import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from tests.servers import serve_in_thread

MIB = 1024 * 1024
FIFTY_MB = 50 * MIB


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, int]]:
    with serve_in_thread(create_app(settings)) as url:
        parts = urlsplit(url)
        assert parts.hostname
        assert parts.port
        yield parts.hostname, parts.port


def _read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[int, dict[str, object]]:
    """Status and JSON body of the response on `sock`."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        body += sock.recv(65536)
    return int(lines[0].split()[1]), json.loads(body[:length])


def _request_head(path: str, host: str, *headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    "path", ["/api/v1/auth/signup", "/api/v1/webhooks/stripe", "/mcp", "/api/v1/nowhere"]
)
def test_a_declared_length_over_the_limit_is_refused_before_any_byte_is_sent(
    served: tuple[str, int], path: str
) -> None:
    host, port = served
    with socket.create_connection((host, port)) as sock:
        sock.sendall(_request_head(path, host, f"Content-Length: {FIFTY_MB}"))
        status, body = _read_response(sock)
    assert status == 413
    assert body["code"] == "payload_too_large"
    assert str(5 * MIB if "webhooks" in path else MIB) in str(body["detail"])


def test_a_chunked_body_is_refused_once_it_passes_the_limit(served: tuple[str, int]) -> None:
    """No Content-Length: the server counts, and answers while the client is still sending."""
    host, port = served
    chunk = b"x" * 65536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    with socket.create_connection((host, port)) as sock:
        sock.sendall(_request_head("/api/v1/auth/signup", host, "Transfer-Encoding: chunked"))
        deadline = time.monotonic() + 30
        while sent < FIFTY_MB and time.monotonic() < deadline:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer came
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        status, body = _read_response(sock)
    assert status == 413
    assert body["code"] == "payload_too_large"
    # Answered long before the 50 MB were sent (what remains is in flight in socket buffers).
    assert sent < FIFTY_MB // 2


async def test_limits_per_route(client: httpx.AsyncClient) -> None:
    over_json_limit = b"[" + b"0," * (MIB // 2) + b"0]"
    response = await client.post(
        "/api/v1/auth/signup",
        content=over_json_limit,
        headers={"Content-Type": "application/json", "X-Request-ID": "too-big"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.headers["X-Request-ID"] == "too-big"
    # A webhook delivery may be larger: this one reaches the signature check.
    response = await client.post("/api/v1/webhooks/stripe", content=over_json_limit)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
