"""Recommendation endpoints.

`PATCH /recommendations/{id}` answers 404 when no recommendation has that id and 403 when
it belongs to a business the caller is not a member of, like every business-scoped endpoint
(ids are random UUIDs, so the 403 reveals nothing guessable).
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from app.auth.access import CurrentBusiness, resolve_business
from app.auth.dependencies import CurrentUser
from app.core.deps import SessionDep
from app.core.errors import error_responses, raises
from app.recommendations import service
from app.recommendations.exceptions import RecommendationNotFound
from app.recommendations.models import Priority, Recommendation, Status
from app.recommendations.schemas import (
    RecommendationList,
    RecommendationRead,
    RecommendationUpdate,
)
from app.users.exceptions import BusinessAccessDenied

router = APIRouter(prefix="/recommendations", tags=["recommendations"])


@raises(RecommendationNotFound, BusinessAccessDenied)
async def get_member_recommendation(
    session: SessionDep, user: CurrentUser, recommendation_id: uuid.UUID
) -> Recommendation:
    rec = await service.get_recommendation(session, recommendation_id)
    if rec is None:
        raise RecommendationNotFound()
    await resolve_business(session, user, rec.business_id)
    return rec


MemberRecommendation = Annotated[Recommendation, Depends(get_member_recommendation)]


@router.get("", response_model=RecommendationList)
async def list_recommendations(
    session: SessionDep,
    access: CurrentBusiness,
    status: Status | None = None,
    priority: Priority | None = None,
) -> RecommendationList:
    """The business's recommendations, high priority and largest score impact first."""
    recommendations = await service.list_recommendations(
        session, access.id, status=status, priority=priority
    )
    return RecommendationList(recommendations=recommendations)


@router.patch(
    "/{recommendation_id}", response_model=RecommendationRead, responses=error_responses(409)
)
async def update_recommendation(
    session: SessionDep, rec: MemberRecommendation, body: RecommendationUpdate
) -> RecommendationRead:
    """Accept or dismiss a recommendation, or undo either with `"status": "open"`; a
    resolved one answers 409."""
    updated = await service.update_status(session, rec, body.status)
    return RecommendationRead.model_validate(updated)
