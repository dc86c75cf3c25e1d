"""Text in and out: the one constrained string type for user text (names, titles, messages,
search queries), and how figures read in the sentences Vaultra writes back.

PostgreSQL's text types cannot hold NUL (the driver raises, and the request was a 500), and
other control characters are never meaningful in a name and only garble what is shown back.
Lone surrogates cannot be encoded as UTF-8 at all. So user text is checked once, here, before
it reaches a service:

- NUL and every other control character (Unicode category Cc) is refused, except tab and
  newline in multi-line text, where CR LF and lone CR become LF first (browsers send CR LF);
- lone surrogates (Cs) are refused; so are the line and paragraph separators (U+2028,
  U+2029) in single-line text;
- the text is normalised to NFC, so the same name typed on two keyboards is one string, and
  surrounding whitespace is stripped;
- the length limits apply last, in code points (what PostgreSQL's `varchar(n)` counts), to
  the normalised text: NFC can lengthen a string (U+0958 becomes two code points).

Use it as `Annotated[str, UserText(max_length=...)]`; an error names the field and the
offending character, and the API answers 400.

Figures in prose (`format_percent`, `plural`; money is `app.core.money`) are shared by the
score's explanations, the funding criteria, recommendations, alerts and the offline agent, so
a dispute ratio reads "0.65%" and a month count "1 complete month" wherever it appears.
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

# Written as regex escapes, so the OpenAPI document (JSON) can carry the same patterns.
_CONTROL = r"\x00-\x08\x0b-\x1f\x7f-\x9f"
_MULTILINE_REFUSED = _CONTROL
_SINGLE_LINE_REFUSED = _CONTROL + r"\t\n\u2028\u2029"
_SURROGATES = r"\ud800-\udfff"
_REFUSED = {
    False: re.compile(f"[{_SINGLE_LINE_REFUSED}{_SURROGATES}]"),
    True: re.compile(f"[{_MULTILINE_REFUSED}{_SURROGATES}]"),
}
_NEWLINES = re.compile(r"\r\n?")


@dataclass(frozen=True, slots=True)
class UserText:
    """Pydantic metadata for a `str` that a user typed; see the module docstring."""

    max_length: int
    min_length: int = 1
    multiline: bool = False

    def __get_pydantic_core_schema__(
        self, source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        if source is not str:
            raise TypeError(f"UserText annotates str, not {source!r}")
        return core_schema.no_info_before_validator_function(
            self.clean,
            core_schema.str_schema(
                strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        refused = _MULTILINE_REFUSED if self.multiline else _SINGLE_LINE_REFUSED
        json_schema["pattern"] = f"^[^{refused}]*$"
        return json_schema

    def clean(self, value: Any) -> Any:
        """Refuse what no user text may hold and normalise the rest (lengths come after)."""
        if not isinstance(value, str):
            return value  # the string schema reports the type
        if self.multiline:
            value = _NEWLINES.sub("\n", value)
        refused = _REFUSED[self.multiline].search(value)
        if refused is not None:
            char = refused.group()
            raise PydanticCustomError(
                "forbidden_character",
                "{problem} (found U+{code} at position {position})",
                {
                    "problem": _problem(char),
                    "code": f"{ord(char):04X}",
                    "position": refused.start(),
                },
            )
        return unicodedata.normalize("NFC", value)


def _problem(char: str) -> str:
    if char == "\t":
        return "must be a single line: no tabs"
    if char in "\n\u2028\u2029":
        return "must be a single line: no line breaks"
    if "\ud800" <= char <= "\udfff":
        return "must not contain unpaired surrogates"
    return "must not contain control characters"


def format_percent(ratio: float, signed: bool = False) -> str:
    """``0.0065`` -> ``"0.65%"``, ``0.018`` -> ``"1.8%"``, ``0.12`` -> ``"12%"``."""
    pct = ratio * 100
    text = f"{pct:.0f}" if abs(pct) >= 10 else f"{pct:.2f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    if signed and pct >= 0:
        text = "+" + text
    return text + "%"


def plural(n: float, word: str) -> str:
    """``plural(2500, "customer")`` -> ``"2,500 customers"``."""
    number = f"{int(n):,}" if float(n).is_integer() else f"{n:,.1f}"
    return f"{number} {word}" if n == 1 else f"{number} {word}s"
