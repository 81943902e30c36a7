"""API body parsing with limits checked before the JSON parser runs.

Python's json module recurses per nesting level: a body nested 50,000 deep raises
RecursionError (a 500). The depth is counted first, skipping strings, and a body nested
deeper than MAX_JSON_DEPTH is refused with a 400 in the API error format.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
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


class LimitedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        limit = getattr(settings, "API_MAX_JSON_DEPTH", MAX_JSON_DEPTH)
        if json_depth_exceeds(body, limit):
            raise ParseError(
                _("请求数据嵌套层级过深（最多 %(limit)d 层）。") % {"limit": limit},
                code="too_deep",
            )
        from io import BytesIO

        return super().parse(BytesIO(body), media_type, parser_context)
