"""UserText: what user text may hold, and what it becomes; and figures written in prose."""

import re
from typing import Annotated

import pytest
from pydantic import BaseModel, ValidationError

from app.core.text import UserText, format_percent, plural


class Form(BaseModel):
    name: Annotated[str, UserText(max_length=5)]
    note: Annotated[str, UserText(max_length=20, multiline=True)] | None = None


def _error(**fields: object) -> dict[str, object]:
    with pytest.raises(ValidationError) as excinfo:
        Form.model_validate({"name": "ok", **fields})
    [error] = excinfo.value.errors()
    return {"field": error["loc"][0], "message": error["msg"]}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "a\x00b"}, "must not contain control characters (found U+0000 at position 1)"),
        ({"name": "\x1b[31m"}, "must not contain control characters (found U+001B"),
        ({"name": "a\x7fb"}, "must not contain control characters (found U+007F"),
        ({"name": "a\x85b"}, "must not contain control characters (found U+0085"),
        ({"name": "a\ud800"}, "must not contain unpaired surrogates (found U+D800"),
        ({"name": "a\tb"}, "must be a single line: no tabs"),
        ({"name": "a\nb"}, "must be a single line: no line breaks"),
        ({"name": "a\rb"}, "must not contain control characters (found U+000D"),
        ({"name": "a\u2028b"}, "must be a single line: no line breaks"),
        ({"note": "line\x00"}, "must not contain control characters (found U+0000"),
        ({"note": "bell\x07"}, "must not contain control characters (found U+0007"),
    ],
)
def test_control_characters_are_refused_with_the_field_named(
    fields: dict[str, str], message: str
) -> None:
    error = _error(**fields)
    assert error["field"] == next(iter(fields))
    assert str(error["message"]).startswith(message)


def test_multiline_text_keeps_tabs_and_newlines_and_unifies_line_ends() -> None:
    form = Form(name="ok", note="\r\n one\r\n\ttwo\rthree \n")
    assert form.note == "one\n\ttwo\nthree"


def test_text_is_nfc_normalised_and_stripped() -> None:
    decomposed = "  Zoe\u0301  "
    assert Form(name=decomposed).name == "Zo\u00e9"


def test_lengths_count_code_points_after_normalisation() -> None:
    # Six code points that compose to three fit a five-character field...
    assert Form(name="e\u0301" * 3).name == "\u00e9" * 3
    # ...and three that NFC expands to six do not (U+0958 has no composed form).
    assert _error(name="\u0958" * 3)["message"] == "String should have at most 5 characters"
    assert _error(name="   ")["message"] == "String should have at least 1 character"
    assert _error(name=5)["message"] == "Input should be a valid string"


def test_the_json_schema_states_the_rules() -> None:
    properties = Form.model_json_schema()["properties"]
    name = properties["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 5)
    single_line = re.compile(name["pattern"])
    multi_line = re.compile(properties["note"]["anyOf"][0]["pattern"])
    assert single_line.match("Zoë & Co")
    assert multi_line.match("a\n\tb")
    assert not single_line.match("a\tb")
    assert not single_line.match("a\nb")
    assert not multi_line.match("a\x00b")


def test_percent_formatting() -> None:
    assert format_percent(0.0065) == "0.65%"
    assert format_percent(0.018) == "1.8%"
    assert format_percent(0.01) == "1%"
    assert format_percent(0.123) == "12%"
    assert format_percent(0.0) == "0%"
    assert format_percent(-0.0001) == "-0.01%"
    assert format_percent(-0.00001) == "0%"
    assert format_percent(0.05, signed=True) == "+5%"
    assert format_percent(0.0, signed=True) == "+0%"
    assert format_percent(-0.35, signed=True) == "-35%"


def test_plural() -> None:
    assert plural(1, "customer") == "1 customer"
    assert plural(0, "customer") == "0 customers"
    assert plural(2500, "customer") == "2,500 customers"
    assert plural(1.5, "day") == "1.5 days"
