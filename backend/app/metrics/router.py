from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.access import CurrentBusiness
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import error_responses
from app.metrics import service
from app.metrics.exceptions import MetricsNotComputed
from app.metrics.schemas import (
    Granularity,
    MetricHistoryRead,
    MetricsRead,
    ReadinessHistoryRead,
    ReadinessRead,
    SimulateRequest,
    SimulationRead,
)
from app.stripe.config import data_now

router = APIRouter()
_HISTORY_DAY = (
    f"From {service.HISTORY_FIRST_DAY} to {service.HISTORY_LAST_DAY}; "
    "the range is inclusive and limited per granularity."
)


@router.get(
    "/metrics", response_model=MetricsRead, tags=["metrics"], responses=error_responses(404)
)
async def read_metrics(session: SessionDep, access: CurrentBusiness) -> MetricsRead:
    """The latest metrics snapshot of the business."""
    metrics = await service.get_latest_metrics(session, access.id)
    if metrics is None:
        raise MetricsNotComputed()
    return metrics


@router.get("/metrics/history", response_model=MetricHistoryRead, tags=["metrics"])
async def read_metric_history(
    session: SessionDep,
    settings: SettingsDep,
    access: CurrentBusiness,
    start_date: Annotated[date | None, Query(description=_HISTORY_DAY)] = None,
    end_date: Annotated[
        date | None, Query(description=_HISTORY_DAY + " Defaults to today.")
    ] = None,
    granularity: Granularity = Granularity.day,
) -> MetricHistoryRead:
    """Daily, weekly (Monday-Sunday) or monthly totals from the daily rollups."""
    return await service.get_metric_history(
        session,
        access.business,
        start_date=start_date,
        end_date=end_date,
        granularity=granularity,
        today=data_now(settings).date(),
    )


@router.get(
    "/readiness", response_model=ReadinessRead, tags=["readiness"], responses=error_responses(404)
)
async def read_readiness(session: SessionDep, access: CurrentBusiness) -> ReadinessRead:
    """The funding-readiness score, its components, funding options and trend."""
    return await service.get_readiness(session, access.business)


@router.get("/readiness/history", response_model=ReadinessHistoryRead, tags=["readiness"])
async def read_readiness_history(
    session: SessionDep,
    access: CurrentBusiness,
    limit: Annotated[int, Query(ge=1, le=365)] = 30,
) -> ReadinessHistoryRead:
    """Stored scores, newest first."""
    scores = await service.get_readiness_history(session, access.id, limit)
    return ReadinessHistoryRead(business_id=access.id, scores=scores)


@router.post(
    "/readiness/simulate",
    response_model=SimulationRead,
    tags=["readiness"],
    responses=error_responses(404),
)
async def simulate_readiness(
    session: SessionDep, access: CurrentBusiness, body: SimulateRequest
) -> SimulationRead:
    """What-if: the score with some metrics replaced. Nothing is saved."""
    return await service.simulate_readiness(session, access.business, body.overrides)
