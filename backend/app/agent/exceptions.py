from app.core.errors import NotFound, ServiceUnavailable


class LLMUnavailable(ServiceUnavailable):
    code = "llm_unavailable"
    detail = (
        "The language model did not answer (timeout, rate limit or server error). "
        "Your message is saved; please try again shortly."
    )


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    detail = "No such conversation."


class ToolFailure(Exception):
    """A tool refused or could not answer; the message is shown to the model or MCP client."""


class KnowledgeDocumentNotFound(NotFound):
    code = "knowledge_document_not_found"
    detail = "No knowledge-base document has this id."
