"""Executions on disk, so `sfn-etl executions ...` works across processes.

<home>/executions/<name>/execution.json   describe-execution shape, rewritten at start and end
<home>/executions/<name>/history.jsonl    get-execution-history events, appended as they happen

A crashed process leaves its execution RUNNING with the history up to the crash.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.engine.definition import ACCOUNT, REGION, STATE_MACHINE_NAME

_NAME = re.compile(r"^[0-9A-Za-z_-]{1,80}$")
LIST_FIELDS = ("executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate")


def new_execution_name(now: datetime | None = None) -> str:
    """Unique and time-sortable: 20261125T153012123456Z-9f2c."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{moment}-{secrets.token_hex(2)}"


def execution_arn(name: str, state_machine: str = STATE_MACHINE_NAME) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{state_machine}:{name}"


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class ExecutionStore:
    def __init__(self, home: Path):
        self.root = Path(home) / "executions"

    def create(self, record: dict[str, Any]) -> HistoryWriter:
        name = record["name"]
        if not _NAME.match(name):
            raise UserError(f"invalid execution name {name!r}: up to 80 letters, digits, - or _")
        folder = self.root / name
        try:
            folder.mkdir(parents=True, exist_ok=False)
        except FileExistsError as exc:
            raise UserError(f"an execution named {name!r} already exists") from exc
        self.save(record)
        return HistoryWriter(folder / "history.jsonl")

    def reopen(self, name: str) -> HistoryWriter:
        """Append to the history of an existing execution (a redrive continues it)."""
        return HistoryWriter(self._folder(name) / "history.jsonl")

    def save(self, record: dict[str, Any]) -> None:
        _write_atomically(self.root / record["name"] / "execution.json", record)

    def list(self, status: str | None = None) -> list[dict[str, Any]]:
        """Newest first, as list-executions orders them."""
        if not self.root.is_dir():
            return []
        items = []
        for folder in sorted(self.root.iterdir(), reverse=True):
            record = self._read(folder / "execution.json")
            if record is None or (status and record.get("status") != status):
                continue
            items.append({key: record[key] for key in LIST_FIELDS if key in record})
        return items

    def describe(self, name_or_arn: str) -> dict[str, Any]:
        record = self._read(self._folder(name_or_arn) / "execution.json")
        if record is None:
            raise UserError(f"execution {name_or_arn!r} has no readable execution.json")
        return record

    def history(self, name_or_arn: str) -> list[dict[str, Any]]:
        path = self._folder(name_or_arn) / "history.jsonl"
        if not path.exists():
            return []
        events = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line torn by a crash ends the readable history
        return events

    def _folder(self, name_or_arn: str) -> Path:
        name = name_or_arn.rsplit(":", 1)[-1]
        folder = self.root / name
        if not _NAME.match(name) or not folder.is_dir():
            known = [item["name"] for item in self.list()[:5]]
            hint = f"; latest: {', '.join(known)}" if known else f"; none under {self.root}"
            raise UserError(f"no execution named {name_or_arn!r}{hint}")
        return folder

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None


class HistoryWriter:
    """Appends events as JSON lines; flushed per event so another process can follow along."""

    def __init__(self, path: Path):
        self._handle = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def append(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, default=str, separators=(",", ":"))
        with self._lock:
            self._handle.write(line + "\n")
            self._handle.flush()

    def close(self) -> None:
        with self._lock:
            self._handle.close()


def _write_atomically(path: Path, payload: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, default=str)
        handle.write("\n")
    os.replace(tmp, path)
