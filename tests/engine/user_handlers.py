"""A user's own Lambda handlers, mapped by "module:function" in the tests' resources files."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

finished: list[str] = []
"""Names of the slow invocations that ran to their end."""
calls: Counter = Counter()


def double(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"value": event["value"] * 2, "function": context.function_name}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    time.sleep(event["seconds"])
    finished.append(event["tag"])
    return {"late": True}


def broken(event: dict[str, Any], context: Any) -> None:
    raise ValueError(f"cannot take {event}")


def flaky_once(event: dict[str, Any], context: Any) -> dict[str, Any]:
    calls[event["key"]] += 1
    if calls[event["key"]] == 1:
        raise ConnectionError("first call drops")
    return {"attempts": calls[event["key"]]}


def needs_file(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if not Path(event["path"]).exists():
        raise FileNotFoundError(f"{event['path']} has not arrived")
    return {"found": event["path"]}
