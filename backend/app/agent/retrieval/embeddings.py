from openai import AsyncOpenAI

# OpenAI accepts up to 2048 inputs per request; smaller batches keep each request short.
BATCH_SIZE = 100


class OpenAIEmbedder:
    """Embeddings from OpenAI or any server speaking its `/v1/embeddings` API."""

    def __init__(self, client: AsyncOpenAI, model: str) -> None:
        self.client = client
        self.model = model

    async def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH_SIZE):
            response = await self.client.embeddings.create(
                model=self.model, input=texts[start : start + BATCH_SIZE], encoding_format="float"
            )
            vectors.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        return vectors
