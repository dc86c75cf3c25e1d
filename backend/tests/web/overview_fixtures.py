"""Businesses connected to the web server's Stripe sandbox, for browser tests that need a score.

The sandbox's sample merchants are shared by the whole session and one merchant belongs to one
business at a time, so every connection made here is disconnected again on exit (the merchant
then moves to whichever business connects it next).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from tests.web.helpers import WebUser


def authorize_url(user: WebUser, business_id: str) -> str:
    """Where "Connect Stripe" sends the browser: the sandbox's consent page."""
    url: str = user.get("/api/v1/integrations/stripe/connect", business_id=business_id)["url"]
    return url


def connect_merchant(user: WebUser, business_id: str, merchant: str) -> dict[str, str]:
    """The browser's round trip, by HTTP: consent page -> pick `merchant` -> callback. Returns
    the dashboard redirect's query (`stripe=connected`, or `stripe=error&reason=…`)."""
    api = user.api
    consent = authorize_url(user, business_id)
    page = api.get(consent)
    assert page.status_code == 200, page.text
    href = page.text.split(f'id="{merchant}" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    choice = api.get(urljoin(consent, href))
    assert choice.status_code == 302, choice.text
    callback = urlsplit(choice.headers["location"])
    done = api.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.text
    query = parse_qs(urlsplit(done.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}


def wait_for_score(user: WebUser, business_id: str, *, limit: float = 90) -> dict[str, Any]:
    """GET /readiness once it has a score (the backfill, then the metrics, then the score)."""
    deadline = time.monotonic() + limit
    while True:
        response = user.api.get(
            "/api/v1/readiness", params={"business_id": business_id}, headers=user.headers
        )
        if response.status_code == 200:
            body: dict[str, Any] = response.json()
            return body
        assert response.json()["code"] == "readiness_not_computed", response.text
        assert time.monotonic() < deadline, "no score in time"
        time.sleep(0.25)


class SampleMerchants:
    """Connections made through it (HTTP or browser) are disconnected by `close()`."""

    def __init__(self, user: WebUser) -> None:
        self.user = user
        self.linked: list[str] = []

    def connect(self, business_id: str, merchant: str) -> None:
        query = connect_merchant(self.user, business_id, merchant)
        assert query.get("stripe") == "connected", query
        self.linked.append(business_id)

    def track(self, business_id: str) -> None:
        """A connection made in the browser."""
        self.linked.append(business_id)

    def close(self) -> None:
        for business_id in self.linked:
            response = self.user.api.delete(
                "/api/v1/integrations/stripe",
                params={"business_id": business_id},
                headers=self.user.headers,
            )
            assert response.status_code == 200, response.text
        self.linked.clear()


@contextmanager
def sample_merchants(user: WebUser) -> Iterator[SampleMerchants]:
    merchants = SampleMerchants(user)
    try:
        yield merchants
    finally:
        merchants.close()
