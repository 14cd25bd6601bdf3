"""Parked raw files: files that cannot be processed, set aside with their reason.

A parked file stays where it landed in the raw zone, untouched; a marker
(`manifests/_parked/<raw path>.json`, orchestration/core/layout.py) says why it was parked. Extract
never takes a parked file into a batch, so the rest of its dataset flows on; releasing it
(`sfn-etl parked release`) deletes the marker, and the next execution takes the file again.

Who parks: Extract, a file in a folder of its dataset that no raw table is declared for (it is
parked again at once if released where it lies: declare the table or move the file first) and
the files of a batch that failed its dataset's `max_attempts` times; the transform, a file
whose lines are mostly rejected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake, MissingObjectError
from orchestration.core.layout import parked_marker_uri, parked_root
from orchestration.core.manifest import (
    ManifestFile,
    is_raw_path,
    raw_prefixes,
    read_index,
    write_index,
)
from transforms.declaration import Dataset

MARKER_SUFFIX = ".json"


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

    @classmethod
    def of_batch_file(
        cls, file: ManifestFile, dataset: str, reason: str, batch_id: str, lines: int | None = None
    ) -> ParkedFile:
        """A file of a batch's manifest, parked now."""
        return cls(
            path=file.path,
            dataset=dataset,
            table=file.table,
            size=file.size,
            etag=file.etag,
            reason=reason,
            batch_id=batch_id,
            parked_at=now_stamp(),
            lines=lines,
        )

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


def parked_files(lake: Lake, dataset: str | None = None) -> list[ParkedFile]:
    """Every parked file (of one dataset), sorted by path."""
    parked = [
        ParkedFile.from_json(lake.read_json(marker.uri))
        for marker in lake.list(parked_root(lake))
        if marker.uri.endswith(MARKER_SUFFIX)
    ]
    return sorted(
        (p for p in parked if dataset is None or p.dataset == dataset), key=lambda p: p.path
    )


def parked_paths(lake: Lake, dataset: Dataset) -> set[str]:
    """The paths of the parked files in a dataset's raw folders, from one listing of their
    markers (each folder of markers mirrors a raw folder), none read."""
    root = parked_root(lake).rstrip("/") + "/"
    paths = set()
    for prefix in raw_prefixes(dataset):
        for marker in lake.list(root + prefix):
            if marker.uri.endswith(MARKER_SUFFIX):
                paths.add(marker.uri[len(root) : -len(MARKER_SUFFIX)])
    return paths


def read_parked(lake: Lake, path: str) -> ParkedFile:
    """The marker of the raw file at `path`; a UserError naming the path when it is not parked."""
    if not is_raw_path(path):
        raise UserError(f"{path!r} is not a path relative to the raw zone")
    try:
        return ParkedFile.from_json(lake.read_json(parked_marker_uri(lake, path)))
    except MissingObjectError as exc:
        raise UserError(f"{path} is not parked") from exc


def release(lake: Lake, path: str) -> ParkedFile:
    """Delete the marker so the next execution takes the file again, with no failed attempt
    counted against it; the marker as it was."""
    parked = read_parked(lake, path)
    lake.delete(parked_marker_uri(lake, path))
    index = read_index(lake, parked.dataset)
    if index is not None and path in index.attempts:
        attempts = {p: a for p, a in index.attempts.items() if p != path}
        write_index(lake, replace(index, attempts=attempts))
    return parked
