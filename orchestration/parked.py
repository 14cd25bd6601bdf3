"""Parked raw files: files that cannot be processed, set aside with their reason.

A parked file stays where it landed in the raw zone, untouched; a marker
(`manifests/_parked/<raw path>.json`, orchestration/layout.py) says why it was parked. Extract
never takes a parked file into a batch, so the rest of its dataset flows on; releasing it
(`sfn-etl parked release`) deletes the marker, and the next execution takes the file again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from orchestration.lake import Lake
from orchestration.layout import parked_marker_uri


@dataclass(frozen=True)
class ParkedFile:
    path: str
    """Relative to the raw zone, as manifests name it."""
    dataset: str
    table: str | None
    """The raw table whose folder holds it; None for a folder no raw table is declared for."""
    size: int
    etag: str | None
    reason: str
    batch_id: str | None
    """The batch that parked it; None when Extract parked it before any batch took it."""
    parked_at: str
    lines: int | None = None
    """Data lines the file holds, when a transform read it: the rows reconciliation counts as
    parked."""

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, payload: dict) -> ParkedFile:
        return cls(**{name: payload.get(name) for name in cls.__dataclass_fields__})


def now_stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def park(lake: Lake, parked: ParkedFile) -> str:
    """Write the marker of a parked file; its URI."""
    uri = parked_marker_uri(lake, parked.path)
    lake.write_json(uri, parked.to_json())
    return uri
