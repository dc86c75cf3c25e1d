"""Web vitals of the built web app, in headless Chromium against `make run`'s server.

What a founder feels, page by page: JavaScript shipped (gzipped), Largest Contentful Paint on
localhost, the time from picking a sample merchant to the score on the dashboard, the what-if
simulator's round trip and the assistant's first streamed token. Every figure is printed beside a
same-run baseline (the API call the page waits for, or an empty page), because these machines are
noisy.

    backend/.venv/bin/python bench/web_vitals.py [--merchant healthy_saas] [--repeat 20]

It serves the embedded default (`vaultra serve` on SQLite, in-process jobs, the Stripe sandbox,
the offline assistant) from a throwaway data directory, with the build in frontend/dist (run
`make run` or `make test-web` first).
"""

import argparse
import gzip
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from common import BACKEND, ROOT, free_port, machine
from playwright.sync_api import Page, sync_playwright

VAULTRA = BACKEND / ".venv" / "bin" / "vaultra"
DIST = ROOT / "frontend" / "dist"
PASSWORD = "correct horse battery staple"
JS_BUDGET_KB = 100.0
# Pages of Web app I and II; the ones not built yet answer 404 and are skipped.
PAGES = (
    "/",
    "/auth/signup",
    "/auth/login",
    "/onboarding/business",
    "/onboarding/stripe-connect",
    "/dashboard",
    "/dashboard/metrics",
    "/dashboard/recommendations",
    "/dashboard/funding",
    "/dashboard/agent",
    "/dashboard/knowledge",
    "/settings",
)
# Records the page's LCP candidates as they come; read after the page settles.
LCP_OBSERVER = """
window.__lcp = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__lcp = entry.startTime;
}).observe({ type: "largest-contentful-paint", buffered: true });
"""


@contextmanager
def make_run_server() -> Iterator[str]:
    """`vaultra serve` as `make run` starts it, on a free port and a throwaway SQLite file."""
    data = Path(tempfile.mkdtemp(prefix="vaultra-vitals-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATA_DIR": str(data),
        "DATABASE_URL": f"sqlite+aiosqlite:///{data / 'vaultra.db'}",
        "APP_BASE_URL": base,
        "FRONTEND_URL": base,
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [str(VAULTRA), "db", "upgrade"], cwd=BACKEND, env=env, check=True, capture_output=True
    )
    process = subprocess.Popen(
        [str(VAULTRA), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=BACKEND,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
        shutil.rmtree(data, ignore_errors=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def js_gzipped_kb(page: Page, path: str) -> tuple[float, int]:
    """(KB of JavaScript the page loads, gzipped; HTTP status of the page)."""
    bodies: dict[str, bytes] = {}

    def keep(response: Any) -> None:
        if response.request.resource_type == "script" and response.ok:
            bodies[response.url] = response.body()

    page.on("response", keep)
    try:
        response = page.goto(path, wait_until="networkidle")
    finally:
        page.remove_listener("response", keep)
    size = sum(len(gzip.compress(body, compresslevel=9)) for body in bodies.values())
    return size / 1024, response.status if response else 0


def lcp_ms(page: Page, path: str, settled: str | None = None) -> float:
    """LCP of a fresh load; `settled` is a selector the page shows once its data is in."""
    page.goto(path, wait_until="load")
    if settled:
        page.wait_for_selector(settled, timeout=30_000)
    page.wait_for_timeout(300)  # LCP is final after the last large paint
    return float(page.evaluate("window.__lcp"))


def api_ms(api: httpx.Client, path: str, headers: dict[str, str], repeat: int) -> float:
    """Median time of an API call the page makes, measured in the same run."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        api.get(path, headers=headers).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def sign_up(api: httpx.Client) -> str:
    response = api.post(
        "/api/v1/auth/signup",
        json={
            "email": f"vitals-{uuid.uuid4().hex[:8]}@example.com",
            "password": PASSWORD,
            "name": "Vitals Founder",
        },
    )
    response.raise_for_status()
    return str(response.json()["token"])


def connect_and_time(page: Page, api: httpx.Client, token: str, merchant: str) -> tuple[str, float]:
    """Creates a business, connects `merchant` in the browser; seconds from the click on the
    sample merchant to the score visible on the dashboard."""
    headers = {"Authorization": f"Bearer {token}"}
    business = api.post("/api/v1/users/businesses", json={"name": "Vitals Co"}, headers=headers)
    business.raise_for_status()
    business_id = str(business.json()["id"])
    page.goto(f"/onboarding/stripe-connect?business_id={business_id}")
    page.get_by_role("button", name="Connect Stripe").click()
    page.wait_for_selector(f"#{merchant}")
    started = time.perf_counter()
    page.click(f"#{merchant}")
    page.wait_for_selector('[role="meter"][aria-valuenow]', timeout=120_000)
    return business_id, time.perf_counter() - started


def what_if_ms(page: Page, business_id: str, repeat: int) -> list[float]:
    """From a change of the dispute-ratio input to the simulated score redrawn (debounce in)."""
    page.goto(f"/dashboard/funding?business_id={business_id}")
    field = page.get_by_label("Dispute ratio", exact=False).first
    meter = page.get_by_role("meter", name="Simulated readiness score")
    meter.wait_for()
    times = []
    for i in range(repeat):
        before = meter.get_attribute("aria-valuenow")
        target = "0" if i % 2 == 0 else "2"
        started = time.perf_counter()
        field.fill(target)
        try:
            page.wait_for_function(
                "([el, before]) => el.getAttribute('aria-valuenow') !== before",
                arg=[meter.element_handle(), before],
                timeout=5_000,
            )
        except Exception:
            continue
        times.append((time.perf_counter() - started) * 1000)
    return times


def first_token_ms(page: Page, business_id: str, repeat: int) -> list[float]:
    """From "Send" to the first characters of the answer in the page (offline assistant)."""
    times = []
    for _ in range(repeat):
        page.goto(f"/dashboard/agent?business_id={business_id}")
        box = page.get_by_label("Message")
        box.fill("What's hurting my readiness?")
        count = page.locator("article").count()
        started = time.perf_counter()
        page.get_by_role("button", name="Send").click()
        page.wait_for_function(
            "(n) => { const a = document.querySelectorAll('article');"
            " return a.length > n && a[a.length - 1].textContent.trim().length > 0; }",
            arg=count,
            timeout=10_000,
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchant", default="healthy_saas")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    if not (DIST / "index.html").exists():
        sys.exit("no frontend build: run `make run` or `make test-web` first")
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("Debian's chromium is needed: apt-get install chromium")
    print(f"# web vitals — {machine()}")
    with (
        make_run_server() as base,
        httpx.Client(base_url=base, timeout=30) as api,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800})
        context.add_init_script(LCP_OBSERVER)
        page = context.new_page()
        token = sign_up(api)
        headers = {"Authorization": f"Bearer {token}"}
        page.goto("/")
        page.evaluate("(t) => localStorage.setItem('vaultra_token', t)", token)

        business_id, seconds = connect_and_time(page, api, token, args.merchant)
        print(
            f"\nclick on {args.merchant} -> score on the dashboard: {seconds:.1f} s (goal ≤ 10 s)"
        )
        page.evaluate("(b) => localStorage.setItem('vaultra_current_business_id', b)", business_id)

        print("\n| page | status | JS gzipped | LCP |")
        print("|---|---|---|---|")
        for path in PAGES:
            weight, status = js_gzipped_kb(page, path)
            if status == 404:
                print(f"| `{path}` | 404 (not built) | | |")
                continue
            settled = '[role="meter"][aria-valuenow]' if path == "/dashboard" else None
            lcps = [lcp_ms(page, path, settled) for _ in range(5)]
            verdict = "✓" if weight <= JS_BUDGET_KB else "✗"
            print(
                f"| `{path}` | {status} | {weight:.1f} KB {verdict} | "
                f"{statistics.median(lcps):.0f} ms |"
            )
        readiness = api_ms(
            api, f"/api/v1/readiness?business_id={business_id}", headers, args.repeat
        )
        empty = api_ms(api, "/health", {}, args.repeat)
        print(f"\nsame run: GET /readiness {readiness:.1f} ms median; GET /health {empty:.1f} ms")

        simulated = what_if_ms(page, business_id, args.repeat)
        if simulated:
            print(
                f"what-if, input -> simulated score: p50 {percentile(simulated, 0.5):.0f} ms, "
                f"p95 {percentile(simulated, 0.95):.0f} ms over {len(simulated)} "
                f"(goal p95 ≤ 300 ms)"
            )
        tokens = first_token_ms(page, business_id, args.repeat)
        print(
            f"assistant, Send -> first token: p50 {percentile(tokens, 0.5):.0f} ms, "
            f"p95 {percentile(tokens, 0.95):.0f} ms (goal p95 ≤ 300 ms)"
        )
        browser.close()


if __name__ == "__main__":
    main()
