from app.core.errors import AppError, Conflict, NotFound, TooManyRequests


class ShareNotFound(NotFound):
    # Also a share of a business the caller is not a member of: existence never leaks.
    code = "report_share_not_found"
    detail = "No such share link."


class ShareGone(AppError):
    """The link expired or was revoked: 410, and the page says which, nothing else."""

    status_code = 410
    code = "report_share_gone"
    detail = "This report link is no longer available."

    def __init__(self, reason: str) -> None:
        self.reason = reason  # "expired" or "revoked"
        super().__init__(
            f"This report link {'has expired' if reason == 'expired' else 'has been revoked'}."
        )


class ReportNotReady(Conflict):
    code = "report_not_ready"
    detail = "There is no readiness score to share yet: connect Stripe and wait for the first one."


class ReportRateLimited(TooManyRequests):
    code = "report_rate_limited"
