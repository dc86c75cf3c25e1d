"""Every module's tables, imported for Alembic and for test set-up."""

from app.auth import models as auth_models
from app.core.db import Base
from app.stripe import models as stripe_models
from app.users import models as users_models

__all__ = ["Base", "auth_models", "stripe_models", "users_models"]
