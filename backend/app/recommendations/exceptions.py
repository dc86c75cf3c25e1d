from app.core.errors import Conflict, NotFound


class RecommendationNotFound(NotFound):
    code = "recommendation_not_found"
    detail = "No such recommendation."


class RecommendationResolved(Conflict):
    code = "recommendation_resolved"
    detail = "This recommendation no longer applies: its condition has cleared."
