"""Logs carrying the request id, with credentials redacted: JSON lines for a log pipeline
(production), or one readable line per record on a console (development)."""

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from app.core.request_context import current_request_id

if TYPE_CHECKING:
    from app.core.config import Settings

# `color_message` is uvicorn's copy of the message with ANSI colour codes.
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
}


REDACTED = "[redacted]"
# What a credential looks like wherever it turns up in a log line: a message, an exception
# (a driver's error may quote a statement's values), a field. Group 1, when there is one, is
# kept: it names the kind (a scheme, a key's name) and the rest goes.
_CREDENTIALS = tuple(
    re.compile(pattern, flags)
    for pattern, flags in (
        # JWTs: base64url JSON header ('{"' is "eyJ"), payload and signature.
        (r"\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*", 0),
        # Authorization header values.
        (r"\b(bearer\s+|basic\s+)[^\s'\",;]+", re.IGNORECASE),
        # Vaultra personal access tokens.
        (r"\bvtr_pat_[\w-]+", 0),
        # argon2 and bcrypt password hashes.
        (r"\$argon2(?:id|i|d)\$[\w$=,+/.-]+", 0),
        (r"\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}", 0),
        # Stripe secret, restricted and publishable keys, webhook secrets, OAuth refresh tokens
        # and codes; OpenAI, Pinecone and Google client secrets.
        (r"\b(?:sk|rk|pk)_(?:test|live)_\w+", 0),
        (r"\bwhsec_\w+", 0),
        (r"\b(?:rt|ac)_[A-Za-z0-9]{16,}", 0),
        (r"\bsk-[\w-]{16,}", 0),
        (r"\bpcsk_\w+", 0),
        (r"\bGOCSPX-[\w-]+", 0),
        # Hex digests of 256 bits or more (token hashes).
        (r"\b[0-9a-fA-F]{64,}\b", 0),
        # The password in a URL (a database or Redis DSN).
        (r"(://[^/\s:@'\"]*:)[^/\s@'\"]+(?=@)", 0),
        # key=value and "key": "value" pairs whose name says secret.
        (
            r"((?:password|passwd|secret|api_?key|token)['\"]?\s*[:=]\s*['\"]?)[^\s'\",&}]+",
            re.IGNORECASE,
        ),
    )
)


def redact(text: str) -> str:
    for pattern in _CREDENTIALS:
        text = pattern.sub(_keep_kind, text)
    return text


def _keep_kind(match: re.Match[str]) -> str:
    return (match.group(1) or "") + REDACTED if match.re.groups else REDACTED


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, exception and string fields with credentials redacted.

    A handler's filter sees every record the handler writes, whichever logger made it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in vars(record).items():
            if key not in _RESERVED and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info or record.exc_text:
            # The text RedactingFilter left, if it ran.
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """`05:41:07 INFO  vaultra  started env=development db=sqlite [request id]`: the time (UTC),
    the level, the logger, the message and the caller's fields, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        fields = " ".join(
            f"{key}={value}" for key, value in vars(record).items() if key not in _RESERVED
        )
        line = f"{stamp} {record.levelname:<7} {record.name:<8} {record.getMessage()}"
        if fields:
            line += f"  {fields}"
        request_id = current_request_id()
        if request_id:
            line += f"  [{request_id}]"
        if record.exc_info or record.exc_text:
            line += "\n" + (record.exc_text or self.formatException(record.exc_info))  # type: ignore[arg-type]
        return line


# Each HTTP request these libraries make is an INFO line: below WARNING they are noise, unless
# LOG_LEVELS asks for them.
QUIET_LOGGERS = ("stripe", "httpx", "httpcore")


def configure_logging(
    level: str = "INFO",
    stream: TextIO | None = None,
    *,
    log_format: str = "json",
    levels: Mapping[str, str] | None = None,
) -> None:
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(ConsoleFormatter() if log_format == "console" else JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    levels = levels or {}
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(levels.get(name, "WARNING"))
    for name, named_level in levels.items():
        logging.getLogger(name).setLevel(named_level.upper())
    # uvicorn's own access log would duplicate ours, without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def configure_app_logging(settings: "Settings", stream: TextIO | None = None) -> None:
    """LOG_LEVEL, LOG_FORMAT and LOG_LEVELS, as every entry point applies them."""
    configure_logging(
        settings.log_level,
        stream,
        log_format=settings.log_format or "json",
        levels=settings.log_levels,
    )
