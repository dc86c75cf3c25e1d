"""JSON log lines: one object per record, with the caller's fields and none of the console's."""

import json
import logging

from app.core.logging import JsonFormatter


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
