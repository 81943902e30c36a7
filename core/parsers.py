"""API body parsing with limits checked before and while the JSON parser runs.

- Depth: Python's json module recurses per nesting level, so a body nested 50,000 deep
  raised RecursionError (a 500). The depth is counted first, skipping strings, and a body
  nested deeper than MAX_JSON_DEPTH is refused.
- Numbers: an integer beyond 64 bits (no id, count or amount is that large) overflowed the
  database driver, and 1e400 became float infinity; both are refused while parsing, as are
  NaN and Infinity (not JSON).
- Control characters: a string holding one (\u000b, \u001f; not tab or line breaks) is
  refused, naming where it is (core.text); in form and multipart bodies too (their fields,
  not the uploaded files).
- Messages: the parser's own ("Expecting value: line 1 column 6 (char 5)") are English and
  name Python internals; the refusal says, in the portal's language, where the body is wrong.
Every refusal is a 400 ParseError in the API error format.
"""

from __future__ import annotations

import json
import math
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from .errors import DomainError
from .text import CONTROL_CHARACTERS_MESSAGE, control_character_paths

MAX_JSON_DEPTH = 32
INT_LIMIT = 2**63 - 1  # PostgreSQL bigint
_TOKENS = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    depth = 0
    for match in _TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def _number_out_of_range() -> ParseError:
    return ParseError(
        _("请求数据中的数值超出范围；账号、编码等长数字请以字符串提交。"),
        code="number_out_of_range",
    )


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > INT_LIMIT:
        raise _number_out_of_range()
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _number_out_of_range()
    return value


def _not_json_constant(name: str):
    raise ParseError(
        _("请求数据含有 %(name)s，它不是有效的 JSON 数值。") % {"name": name}, code="parse_error"
    )


def parse_json_body(body: bytes, charset: str = "utf-8"):
    """The body as JSON, or a ParseError that says what is wrong with it."""
    limit = getattr(settings, "API_MAX_JSON_DEPTH", MAX_JSON_DEPTH)
    if json_depth_exceeds(body, limit):
        raise ParseError(
            _("请求数据嵌套层级过深（最多 %(limit)d 层）。") % {"limit": limit}, code="too_deep"
        )
    try:
        text = body.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ParseError(
            _("请求数据不是 %(charset)s 编码的文本。") % {"charset": charset.upper()},
            code="parse_error",
        ) from exc
    try:
        data = json.loads(
            text,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_not_json_constant,
        )
    except json.JSONDecodeError as exc:
        raise ParseError(
            _("请求数据不是有效的 JSON（第%(line)d行第%(column)d列附近有误）。")
            % {"line": exc.lineno, "column": exc.colno},
            code="parse_error",
        ) from exc
    if data is None:
        raise ParseError(_("请求数据为空（null）；请提交 JSON 对象。"), code="parse_error")
    refuse_control_characters_in(data)
    return data


def refuse_control_characters_in(data) -> None:
    """A 400 naming the fields (up to 20) whose text holds a control character."""
    if paths := control_character_paths(data):
        message = str(CONTROL_CHARACTERS_MESSAGE)
        raise DomainError(
            f"{paths[0]}: {message}",
            code="control_characters",
            detail={path: [message] for path in paths[:20]},
        )


def _form_fields(query_dict) -> dict:
    return {key: values[0] if len(values) == 1 else values for key, values in query_dict.lists()}


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        charset = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return parse_json_body(body, charset)


class CheckedFormParser(FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        refuse_control_characters_in(_form_fields(data))
        return data


class CheckedMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        refuse_control_characters_in(_form_fields(parsed.data))
        return parsed
