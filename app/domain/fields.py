"""Model fields every domain shares."""

from __future__ import annotations

import functools
import json
from typing import Any

from tortoise import fields

# Tortoise encodes JSON with orjson whenever orjson is installed (the scan stream uses it),
# and orjson refuses values the standard library takes, integers past 64 bits among them: a
# user's JSON must be stored the same way whatever else is installed.
_dumps = functools.partial(json.dumps, separators=(",", ":"))


def json_field(**options: Any) -> fields.JSONField[Any]:
    return fields.JSONField(encoder=_dumps, decoder=json.loads, **options)
