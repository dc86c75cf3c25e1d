"""The machine's ceiling for GET /users/me: the same answer from a bare ASGI app.

No framework, no middleware, no ORM: the token is checked with PyJWT and the user and its
businesses come back in one query over a raw asyncpg pool, outside any transaction. Nothing
built on the real stack can beat this, so its p99 at N connections bounds what the goal can ask
of this machine with one worker.
"""

import json
import os
import uuid
from typing import Any

import asyncpg
import jwt

QUERY = """
SELECT u.id, u.email, u.name, u.avatar_url, u.created_at,
       b.id AS business_id, b.name AS business_name, m.role
FROM users u
LEFT JOIN user_business_memberships m ON m.user_id = u.id
LEFT JOIN businesses b ON b.id = m.business_id
WHERE u.id = $1
ORDER BY b.created_at, b.id
"""
SECRET = os.environ["JWT_SECRET"]
DSN = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10")) + int(
    os.environ.get("DATABASE_MAX_OVERFLOW", "10")
)
pool: asyncpg.Pool | None = None


async def respond(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global pool
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        pool = await asyncpg.create_pool(DSN, min_size=POOL_SIZE, max_size=POOL_SIZE)
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await pool.close()
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/health":
        await respond(send, 200, b'{"status":"ok"}')
        return
    authorization = dict(scope["headers"]).get(b"authorization", b"").decode()
    try:
        claims = jwt.decode(
            authorization.removeprefix("Bearer "),
            SECRET,
            algorithms=["HS256"],
            options={"require": ["exp", "iat", "user_id", "email"]},
        )
        user_id = uuid.UUID(claims["user_id"])
    except (jwt.PyJWTError, ValueError):
        await respond(send, 401, b'{"detail":"invalid token","code":"invalid_token"}')
        return
    async with pool.acquire() as connection:  # type: ignore[union-attr]
        rows = await connection.fetch(QUERY, user_id)
    user = rows[0]
    body = {
        "id": str(user["id"]),
        "email": user["email"],
        "name": user["name"],
        "avatar_url": user["avatar_url"],
        "created_at": user["created_at"].isoformat(),
        "businesses": [
            {
                "id": str(row["business_id"]),
                "name": row["business_name"],
                "role": row["role"],
            }
            for row in rows
            if row["business_id"] is not None
        ],
    }
    await respond(send, 200, json.dumps(body).encode())
