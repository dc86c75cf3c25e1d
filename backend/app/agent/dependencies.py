import uuid
from typing import Annotated

from fastapi import Depends, Path

from app.agent import service
from app.agent.exceptions import ConversationNotFound
from app.agent.models import Conversation
from app.auth.dependencies import CurrentUser
from app.core.deps import SessionDep
from app.core.errors import raises
from app.users.exceptions import BusinessAccessDenied


@raises(ConversationNotFound, BusinessAccessDenied)
async def get_owned_conversation(
    session: SessionDep, user: CurrentUser, conversation_id: Annotated[uuid.UUID, Path()]
) -> Conversation:
    """The caller's conversation (404 otherwise), about a business the caller still belongs to."""
    return await service.get_conversation(session, user.id, conversation_id)


OwnedConversation = Annotated[Conversation, Depends(get_owned_conversation)]
