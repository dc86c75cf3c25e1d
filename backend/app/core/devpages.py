"""Landing pages for development without a frontend (FRONTEND_URL is the API itself).

OAuth flows end with a redirect to the frontend; when there is none, these pages say what
happened and where to look next, instead of a 404.
"""

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Vaultra</title>
<style>body{{font:16px system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}}
code{{background:#f3f3f3;padding:.1rem .3rem}}</style></head><body>
<h1>Vaultra</h1>{body}
<p>The API and its interactive docs: <a href="/api/v1/docs">/api/v1/docs</a>.</p></body></html>"""


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(request: Request) -> HTMLResponse:
    params = request.query_params
    business = escape(params.get("business_id", ""))
    if params.get("stripe") == "connected":
        body = (
            f"<p>Stripe is connected for business <code>{business}</code>. The backfill runs "
            "now: follow it with <code>GET /api/v1/integrations/stripe/status</code>, then read "
            "<code>/api/v1/readiness</code>, <code>/api/v1/metrics</code> and "
            "<code>/api/v1/recommendations</code>.</p>"
        )
    elif params.get("stripe") == "error":
        reason = escape(params.get("reason", "unknown"))
        body = f"<p>Stripe was not connected (reason: <code>{reason}</code>).</p>"
    else:
        body = "<p>No frontend is running; this is the API server's development page.</p>"
    return HTMLResponse(_PAGE.format(body=body))


@router.get("/auth/callback/google", response_class=HTMLResponse)
async def google_callback_page() -> HTMLResponse:
    # The token (or error) is in the URL fragment, which never reaches the server.
    body = (
        "<p>Google sign-in finished. The token is in this page's URL fragment "
        "(<code>#token=…</code>): use it as <code>Authorization: Bearer …</code>.</p>"
    )
    return HTMLResponse(_PAGE.format(body=body))
