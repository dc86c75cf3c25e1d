"""Share links for founders (under /api/v1), and the lender's side: /r/<token>, its PDF,
/verify and the published key. The lender's pages are rendered here, not by the web app: they
need no account and no JavaScript, and must never leak the token (no third-party requests, no
referrer)."""

import contextlib
import uuid
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from redis.asyncio import Redis
from starlette.datastructures import UploadFile

from app.auth.access import CurrentBusiness, ManagedBusiness
from app.auth.dependencies import ClientIP, CurrentUser
from app.core.config import Settings
from app.core.deps import RedisDep, SessionDep, SettingsDep
from app.core.errors import error_responses, raises
from app.reports import pdf, ratelimit, service
from app.reports.exceptions import ReportNotReady, ShareGone, ShareNotFound
from app.reports.models import ReportShare
from app.reports.render import PAGE_CSP, render, report_html
from app.reports.schemas import ReportKey, ShareCreate, ShareCreated, ShareList, ShareRead
from app.reports.signing import ReportSigner, get_signer
from app.users import service as users_service
from app.users.exceptions import BusinessRoleRequired
from app.users.models import MANAGER_ROLES
from app.users.service import BusinessAccess

router = APIRouter(tags=["reports"])
pages = APIRouter(include_in_schema=False)

PDF_SIZE = Query(description="Page size of the PDF.")
# What every lender-facing response carries: not indexed, not cached, no referrer.
PAGE_HEADERS = {
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": PAGE_CSP,
}
# The PDF a lender may upload to /verify; a report is ~30 to 80 KB.
MAX_UPLOAD_BYTES = 900 * 1024


async def get_report_signer(settings: SettingsDep) -> ReportSigner:
    return get_signer(settings)


Signer = Annotated[ReportSigner, Depends(get_report_signer)]


def _link(settings: Settings, token: str) -> str:
    return f"{settings.frontend_url.rstrip('/')}/r/{token}"


def _verify_url(settings: Settings) -> str:
    return f"{settings.app_base_url.rstrip('/')}/verify"


# --- The founder's API ------------------------------------------------------------------


@router.post(
    "/reports/shares",
    response_model=ShareCreated,
    status_code=201,
    responses=error_responses(409),
)
async def create_share(
    session: SessionDep,
    settings: SettingsDep,
    signer: Signer,
    user: CurrentUser,
    access: ManagedBusiness,
    client_ip: ClientIP,
    body: ShareCreate,
) -> ShareCreated:
    """A link to a frozen, signed report for a lender (owner or admin). The link holds a
    256-bit token that is stored only hashed: it is in this response and nowhere else."""
    share, token = await service.create_share(
        session,
        signer,
        access.business,
        user.id,
        body,
        service.client_hash(settings, client_ip),
        verify_url=_verify_url(settings),
    )
    read = service.share_read(share)
    return ShareCreated(**read.model_dump(), url=_link(settings, token))


@router.get("/reports/shares", response_model=ShareList)
async def list_shares(session: SessionDep, access: CurrentBusiness) -> ShareList:
    """The business's links, newest first, with their views; never their tokens."""
    shares = await service.list_shares(session, access.id)
    return ShareList(business_id=access.id, shares=[service.share_read(s) for s in shares])


@raises(ShareNotFound)
async def get_member_share(
    session: SessionDep, user: CurrentUser, share_id: uuid.UUID
) -> tuple[ReportShare, BusinessAccess]:
    share = await service.get_share(session, share_id)
    access = (
        None
        if share is None
        else await users_service.get_access(session, user.id, share.business_id)
    )
    if share is None or access is None:
        raise ShareNotFound()
    return share, access


@raises(BusinessRoleRequired)
async def get_managed_share(
    found: Annotated[tuple[ReportShare, BusinessAccess], Depends(get_member_share)],
) -> ReportShare:
    share, access = found
    if access.role not in MANAGER_ROLES:
        raise BusinessRoleRequired()
    return share


@router.delete("/reports/shares/{share_id}", response_model=ShareRead)
async def revoke_share(
    session: SessionDep,
    settings: SettingsDep,
    client_ip: ClientIP,
    share: Annotated[ReportShare, Depends(get_managed_share)],
) -> ShareRead:
    """Revoke a link (owner or admin): it answers 410 from now on, and its verification code
    says revoked. Revoking twice is harmless."""
    await service.revoke_share(session, share, service.client_hash(settings, client_ip))
    return service.share_read(share)


@router.get(
    "/reports/shares/{share_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The signed report"}},
)
async def download_share_pdf(
    settings: SettingsDep,
    signer: Signer,
    found: Annotated[tuple[ReportShare, BusinessAccess], Depends(get_member_share)],
    size: Annotated[pdf.PageSize, PDF_SIZE] = "A4",
) -> Response:
    """The frozen report as a PDF, for any member of the business (whatever the link's state)."""
    share, _ = found
    body = await _share_pdf(settings, share, size)
    return Response(body, media_type="application/pdf", headers=_pdf_headers(share.code, size))


async def _share_pdf(settings: Settings, share: ReportShare, size: pdf.PageSize) -> bytes:
    payload = service.frozen_payload(share)

    def make() -> bytes:
        return pdf.render_pdf(
            payload,
            canonical=share.payload,
            signature=share.signature,
            code=share.code,
            size=size,
            verify_url=_verify_url(settings),
        )

    # WeasyPrint is CPU-bound (~0.3 s): off the event loop.
    return await anyio.to_thread.run_sync(pdf.cached_pdf, (str(share.id), size), make)


def _pdf_headers(code: str, size: str) -> dict[str, str]:
    return {
        **PAGE_HEADERS,
        "Content-Disposition": f'attachment; filename="vaultra-report-{code}-{size}.pdf"',
    }


# --- The lender's side --------------------------------------------------------------------


@pages.get("/.well-known/vaultra-report-key", response_model=ReportKey)
async def report_key(signer: Signer) -> JSONResponse:
    """The public key that verifies every report's signature (JWK, Ed25519)."""
    return JSONResponse(signer.jwk(), headers={"Cache-Control": "public, max-age=3600"})


def _page(html: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


async def _limited(
    redis: Redis | None, settings: Settings, token: str | None, client: str
) -> HTMLResponse | None:
    """The 429 page when the token or the client address is over its per-minute limit."""
    keys = [(f"client:{client[:32]}", settings.report_rate_per_client)]
    if token is not None:
        keys.append((f"token:{service.hash_token(token)[:32]}", settings.report_rate_per_token))
    wait = 0
    for key, limit in keys:
        wait = max(wait, await ratelimit.hit(redis, key, limit))
    if not wait:
        return None
    html = render(
        "message.html",
        heading="Too many requests",
        message=f"Please wait {wait} seconds and try again.",
    )
    return _page(html, 429, {"Retry-After": str(wait)})


def _unavailable(error: ShareNotFound | ShareGone) -> HTMLResponse:
    if isinstance(error, ShareGone):
        return _page(render("gone.html", reason=error.reason), 410)
    html = render(
        "message.html",
        heading="No report at this link",
        message="Check the link you were given, or ask the business for a new one.",
    )
    return _page(html, 404)


@pages.get("/r/{token}.pdf")
async def lender_pdf(
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    client_ip: ClientIP,
    token: str,
    size: Annotated[pdf.PageSize, PDF_SIZE] = "A4",
) -> Response:
    client = service.client_hash(settings, client_ip)
    limited = await _limited(redis, settings, token, client)
    if limited is not None:
        return limited
    try:
        share = await service.open_share(session, token)
    except (ShareNotFound, ShareGone) as error:
        return _unavailable(error)
    await service.record_access(session, share, client, "download")
    body = await _share_pdf(settings, share, size)
    return Response(body, media_type="application/pdf", headers=_pdf_headers(share.code, size))


@pages.get("/r/{token}")
async def lender_page(
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    client_ip: ClientIP,
    token: str,
) -> HTMLResponse:
    client = service.client_hash(settings, client_ip)
    limited = await _limited(redis, settings, token, client)
    if limited is not None:
        return limited
    try:
        share = await service.open_share(session, token)
    except (ShareNotFound, ShareGone) as error:
        return _unavailable(error)
    await service.record_access(session, share, client, "view")
    frozen = service.frozen_payload(share)
    payload, live = frozen, False
    if share.live:
        # No current figures (Stripe disconnected and its data deleted): the signed ones.
        with contextlib.suppress(ReportNotReady):
            payload, live = await service.live_payload(session, share), True
    html = report_html(
        payload,
        code=share.code,
        live=live,
        signed_at=frozen["generated_at"],
        pdf_links={"A4": f"/r/{token}.pdf?size=A4", "Letter": f"/r/{token}.pdf?size=Letter"},
        verify_url=_verify_url(settings),
    )
    return _page(html)


@pages.get("/verify")
async def verify_page(
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    signer: Signer,
    client_ip: ClientIP,
    code: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    if not code:
        return _page(render("verify.html", result=None, code_input=""))
    limited = await _limited(redis, settings, None, service.client_hash(settings, client_ip))
    if limited is not None:
        return limited
    result = await service.verify_code(session, signer, code)
    return _verdict_page(result, code_input=code)


@pages.post("/verify")
async def verify_upload(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    signer: Signer,
    client_ip: ClientIP,
) -> HTMLResponse:
    limited = await _limited(redis, settings, None, service.client_hash(settings, client_ip))
    if limited is not None:
        return limited
    form = await request.form(max_files=1, max_fields=4)
    upload = form.get("pdf")
    if not isinstance(upload, UploadFile):
        return _verdict_page(_failure("no_file", "Choose the report's PDF to upload."), status=400)
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES or not data.startswith(b"%PDF"):
        return _verdict_page(
            _failure("not_a_report", "That file is not a Vaultra report PDF."), status=400
        )
    try:
        signed, text = await anyio.to_thread.run_sync(pdf.extract, data)
    except pdf.PdfUnreadable:
        return _verdict_page(_failure("unreadable", "That PDF could not be read."), status=400)
    if signed is None:
        return _verdict_page(
            _failure(
                "no_signed_data",
                "This PDF carries no Vaultra signature: it was not made by Vaultra, or it was "
                "re-saved without its embedded report data.",
            )
        )
    result = await service.verify_signed(
        session, signer, signed["payload"], str(signed.get("signature", ""))
    )
    if not result.ok or result.payload is None or result.code is None:
        return _verdict_page(result)
    matches, diff = pdf.printed_figures_match(
        result.payload, result.code, text, _verify_url(settings)
    )
    if not matches:
        edited = _failure(
            "figures_edited",
            "The signature is Vaultra's, but the figures printed in this PDF are not the ones "
            "Vaultra signed: the PDF was edited.",
            code=result.code,
        )
        return _verdict_page(edited, details=diff[:10], show_payload=result.payload)
    return _verdict_page(result)


def _failure(reason: str, message: str, code: str | None = None) -> service.Verification:
    return service.Verification(False, reason, message, code=code)


def _verdict_page(
    result: service.Verification,
    *,
    code_input: str = "",
    status: int = 200,
    details: list[str] | None = None,
    show_payload: dict[str, Any] | None = None,
) -> HTMLResponse:
    html = render(
        "verify.html",
        result=result,
        p=result.payload if result.ok else show_payload,
        details=details,
        code_input=code_input,
    )
    return _page(html, status)
