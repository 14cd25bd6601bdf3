"""Reading a user's JSON file of settings, with errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in `path`; `what` names the file in errors ("prices file", say)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read the {what} {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise UserError(f"{what} {path} is not JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(document, dict):
        raise UserError(f"{what} {path} must hold a JSON object")
    return document
