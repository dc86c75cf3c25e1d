from app.core.errors import BadRequest, NotFound


class MetricsNotComputed(NotFound):
    code = "metrics_not_computed"
    detail = "Metrics are computed once your Stripe data has synced; check back shortly."


class ReadinessNotComputed(NotFound):
    code = "readiness_not_computed"
    detail = (
        "Your readiness score is computed once your Stripe data has synced; check back shortly."
    )
    # A business with no connected account would wait for ever: it is told what to do instead.
    not_connected_detail = (
        "Connect your Stripe account: your readiness score is computed from its data once it "
        "has synced."
    )

    def __init__(self, *, connected: bool = True) -> None:
        super().__init__(None if connected else self.not_connected_detail)


class InvalidDateRange(BadRequest):
    code = "invalid_date_range"
    detail = "start_date must be on or before end_date."


class DateOutOfRange(BadRequest):
    code = "date_out_of_range"


class DateRangeTooLarge(BadRequest):
    code = "date_range_too_large"


class InvalidOverrides(BadRequest):
    code = "invalid_overrides"
