"""JSON log lines: one object per record, with the caller's fields and none of the console's,
and no credentials."""

import io
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import jwt
import pytest
from sqlalchemy import text

from app.core.db import Database
from app.core.logging import ConsoleFormatter, JsonFormatter, configure_logging
from app.core.security import hash_password
from tests.conftest import TEST_PASSWORD


def format_record(message: str, **extra: object) -> dict[str, object]:
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, message, None, None)
    record.__dict__.update(extra)
    line: dict[str, object] = json.loads(JsonFormatter().format(record))
    return line


def test_extra_fields_are_kept() -> None:
    line = format_record("request", method="GET", status=200)
    assert line["message"] == "request"
    assert line["method"] == "GET"
    assert line["status"] == 200


def test_uvicorns_coloured_copy_of_the_message_is_dropped() -> None:
    line = format_record(
        "Finished server process [1]", color_message="Finished server process [\x1b[36m%d\x1b[0m]"
    )
    assert line["message"] == "Finished server process [1]"
    assert "color_message" not in line


@contextmanager
def captured_log() -> Iterator[io.StringIO]:
    """What the app's log handler (configure_logging's) writes meanwhile."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def test_credentials_are_redacted_from_messages_fields_and_exceptions() -> None:
    jwt_token = jwt.encode({"user_id": "u"}, "k" * 40, algorithm="HS256")
    password_hash = hash_password("correct horse battery staple")
    credentials = [
        jwt_token,
        password_hash,
        "vtr_pat_Zx3kd93ndKD93ndk3-_a",
        "sk_" + "live_51Habcdefghijklmnop",  # split: no live-looking key in the repository
        "rk_test_51Habcdefghijklmnop",
        "whsec_0123456789abcdefABCDEF",
        "hunter2-db-password",
        "b" * 64,
    ]
    configure_logging("INFO")
    log = logging.getLogger("vaultra.test")
    with captured_log() as output:
        log.info("Authorization: Bearer %s", jwt_token)
        log.warning("refresh", extra={"stored": password_hash, "key": credentials[3]})
        log.info("token %s, restricted %s", credentials[2], credentials[4])
        try:
            raise ValueError(f"signature {credentials[5]} digest {credentials[7]}")
        except ValueError:
            log.exception("failed at postgresql://vaultra:%s@db:5432/vaultra", credentials[6])
    written = output.getvalue()
    lines = [json.loads(line) for line in written.splitlines()]
    assert len(lines) == 4
    assert lines[0]["message"] == "Authorization: Bearer [redacted]"
    assert lines[1]["stored"] == "[redacted]"
    assert "postgresql://vaultra:[redacted]@db" in lines[3]["message"]
    assert "ValueError: signature [redacted] digest [redacted]" in lines[3]["exc"]
    for credential in credentials:
        assert credential not in written


@pytest.mark.usefixtures("app")
async def test_a_failed_sign_up_logs_neither_the_email_nor_the_password_hash(
    client: httpx.AsyncClient, db: Database
) -> None:
    """The database refuses the new user (a trigger stands in for any failure): the statement's
    values, which hold the email and the argon2 hash, stay out of the log."""
    email = f"private-{uuid.uuid4().hex[:8]}@example.com"
    async with refusing_inserts_into_users(db):
        with captured_log() as output:
            response = await client.post(
                "/api/v1/auth/signup",
                json={"email": email, "password": TEST_PASSWORD, "name": "Private Person"},
            )
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    written = output.getvalue()
    assert "refused_by_the_test" in written  # the failure itself is logged
    assert email not in written
    assert "$argon2" not in written
    assert "Private Person" not in written


@asynccontextmanager
async def refusing_inserts_into_users(db: Database) -> AsyncIterator[None]:
    if db.dialect == "postgresql":
        create = [
            "CREATE FUNCTION refuse_for_test() RETURNS trigger LANGUAGE plpgsql"
            " AS $$ BEGIN RAISE EXCEPTION 'refused_by_the_test'; END $$",
            "CREATE TRIGGER refuse_for_test BEFORE INSERT ON users"
            " FOR EACH ROW EXECUTE FUNCTION refuse_for_test()",
        ]
        drop = ["DROP TRIGGER refuse_for_test ON users", "DROP FUNCTION refuse_for_test()"]
    else:
        # Not RAISE(): SQLite reports that as a constraint violation, which sign-up answers.
        create = [
            "CREATE TRIGGER refuse_for_test BEFORE INSERT ON users"
            " BEGIN INSERT INTO refused_by_the_test VALUES (1); END"
        ]
        drop = ["DROP TRIGGER refuse_for_test"]
    async with db.engine.begin() as connection:
        for statement in create:
            await connection.execute(text(statement))
    try:
        yield
    finally:
        async with db.engine.begin() as connection:
            for statement in drop:
                await connection.execute(text(statement))


def test_the_console_format_is_one_readable_line_with_the_fields() -> None:
    record = logging.LogRecord("vaultra", logging.INFO, __file__, 1, "started", None, None)
    record.__dict__.update(env="development", db="sqlite")
    line = ConsoleFormatter().format(record)
    assert "\n" not in line
    assert not line.startswith("{")
    assert "INFO" in line
    assert "started" in line
    assert "env=development db=sqlite" in line


def test_stripe_and_httpx_are_quiet_below_warning_unless_asked() -> None:
    try:
        configure_logging("INFO", io.StringIO(), log_format="console")
        for name in ("stripe", "httpx"):
            assert not logging.getLogger(name).isEnabledFor(logging.INFO)
            assert logging.getLogger(name).isEnabledFor(logging.WARNING)
        configure_logging("INFO", io.StringIO(), levels={"stripe": "INFO"})
        assert logging.getLogger("stripe").isEnabledFor(logging.INFO)
        assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    finally:
        configure_logging("INFO")
