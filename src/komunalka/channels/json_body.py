"""JSON bodies of the webhooks, read with a depth limit: a body nested thousands deep would
otherwise end in a RecursionError (a server error) in the parser or later in validation."""

from __future__ import annotations

import json
from typing import Any

# Telegram's and Viber's callbacks nest a few levels (an update, its message, a keyboard's rows)
MAX_DEPTH = 20


def loads_shallow(body: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in `body`; ValueError if it is not JSON or nests deeper than `max_depth`."""
    try:
        value = json.loads(body)
    except RecursionError as exc:
        raise ValueError("nested too deep") from exc
    if depth(value) > max_depth:
        raise ValueError("nested too deep")
    return value


def depth(value: Any) -> int:
    """How deep arrays and objects nest in `value` (0 for a scalar); without recursion."""
    deepest = 0
    todo = [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            todo.extend((inner, level + 1) for inner in item)
    return deepest
