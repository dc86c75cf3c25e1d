"""The interactive API docs: Swagger UI, served from a pinned package instead of a CDN.

So the docs work without internet access, and their page carries a Content-Security-Policy that
allows only this server's own script, styles and images: no inline script (`static/docs.js`
starts Swagger UI), no other origin.
"""

import html
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

# Images: Swagger UI's icons are data: URIs in its stylesheet. Connections: the OpenAPI
# document and "Try it out" requests, to this server only.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_STATIC = Path(__file__).parent / "static"
# What the page loads, by the name it is served under.
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (Path(str(swagger_ui_path)) / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (
        Path(str(swagger_ui_path)) / "swagger-ui-bundle.js",
        "text/javascript",
    ),
    "favicon-32x32.png": (Path(str(swagger_ui_path)) / "favicon-32x32.png", "image/png"),
    "docs.js": (_STATIC / "docs.js", "text/javascript"),
}
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="icon" href="{assets}/favicon-32x32.png">
</head><body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/docs.js"></script>
</body></html>
"""


def install_docs(app: FastAPI, path: str, openapi_url: str) -> None:
    """Serve the docs page at `path` and what it loads under `path`/assets."""
    assets = f"{path}/assets"
    page = _PAGE.format(
        title=html.escape(f"{app.title} - docs"),
        assets=html.escape(assets),
        openapi_url=html.escape(openapi_url),
    )

    @app.get(path, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP})

    @app.get(assets + "/{name}", include_in_schema=False)
    async def docs_asset(name: str) -> FileResponse:
        if name not in ASSETS:
            raise HTTPException(status_code=404, detail="Not found.")
        file, media_type = ASSETS[name]
        return FileResponse(file, media_type=media_type, headers={"Cache-Control": "max-age=3600"})
