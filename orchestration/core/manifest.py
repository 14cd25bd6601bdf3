"""Batch manifests: the exact raw files a batch consumes; the commit marker (the bookmark); and
each dataset's index, Extract's compacted view of them."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake, LakeObject, MissingObjectError
from orchestration.core.layout import index_uri, manifest_uri, raw_path
from transforms.declaration import Dataset

BATCH_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,127}$")


def new_batch_id(now: datetime | None = None, dataset: str | None = None) -> str:
    """Time-sortable and unique: 20261125T153012Z-9f2c1a, or 20261125T153012Z-9f2c1a-tpch for
    one dataset's batch."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    suffix = f"-{dataset}" if dataset else ""
    return f"{moment}-{secrets.token_hex(3)}{suffix}"


def check_batch_id(batch_id: object, name: str = "batch id") -> str:
    """The one check of a batch id (1-128 of letters, digits, '_', '.', '-', starting with a
    letter or digit): it names folders and objects in the lake, and the warehouse inlines it as
    a SQL literal (orchestration.warehouse.base.validate_batch_id). `name` is how the message
    calls it."""
    if not isinstance(batch_id, str) or not BATCH_ID.match(batch_id):
        raise UserError(f"invalid {name} {batch_id!r}: use letters, digits, '_', '.', '-'")
    return batch_id


@dataclass(frozen=True)
class ManifestFile:
    path: str
    """Relative to the raw zone (orchestration.core.layout.raw_path): a lake moved elsewhere keeps
    the meaning of its manifests."""
    table: str
    size: int
    etag: str


@dataclass(frozen=True)
class Manifest:
    batch_id: str
    dataset: str
    created_at: str
    files: tuple[ManifestFile, ...]
    previous_batch_id: str | None = None
    """The dataset's last committed batch when this one was made (None before the first): its
    transform report says where the dataset's persisted state is."""

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})

    def to_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "dataset": self.dataset,
            "created_at": self.created_at,
            "previous_batch_id": self.previous_batch_id,
            "files": [asdict(f) for f in self.files],
        }

    @classmethod
    def from_json(cls, payload: dict, source: str, lake: Lake) -> Manifest:
        """Reads manifests written before files were named by path, too: their absolute `uri`
        becomes the path in `lake`'s raw zone."""
        try:
            files = tuple(
                ManifestFile(
                    path=_file_path(f, source, lake),
                    table=str(f["table"]),
                    size=int(f["size"]),
                    etag=str(f["etag"]),
                )
                for f in payload["files"]
            )
            previous = payload.get("previous_batch_id")
            return cls(
                batch_id=check_batch_id(str(payload["batch_id"])),
                dataset=str(payload["dataset"]),
                created_at=str(payload["created_at"]),
                files=files,
                previous_batch_id=None if previous is None else check_batch_id(str(previous)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"corrupted manifest {source}: {exc!r}") from exc


def _file_path(entry: dict, source: str, lake: Lake) -> str:
    if "path" not in entry and "uri" in entry:
        try:
            return raw_path(lake, str(entry["uri"]))
        except ValueError as exc:
            raise UserError(f"manifest {source}: {exc}") from exc
    path = str(entry["path"])
    if not is_raw_path(path):
        raise ValueError(f"file path {path!r} is not relative to the raw zone")
    return path


def is_raw_path(path: str) -> bool:
    """Whether `path` names a file inside the raw zone: relative, and never climbing out of it
    (a path names markers to write and delete, too)."""
    return bool(path) and not path.startswith("/") and ".." not in path.split("/")


def read_manifest(lake: Lake, uri: str) -> Manifest:
    return Manifest.from_json(lake.read_json(uri), uri, lake)


def read_batch_manifest(lake: Lake, batch_id: str) -> Manifest:
    return read_manifest(lake, manifest_uri(lake, batch_id))


def claim(lake: Lake, obj_uri: str, datasets: list[Dataset]) -> tuple[str, str] | None:
    """(dataset, raw table) whose declared folder holds the file; None when none claims it."""
    try:
        path = raw_path(lake, obj_uri)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    return claimer(datasets)(path)


def claimer(datasets: list[Dataset]) -> Callable[[str], tuple[str, str] | None]:
    """`claim` of files named by their path relative to the raw zone, the declared folders
    worked out once for the many files of a listing."""
    folders = [
        (dataset.folder_of(table) + "/", dataset.name, table.name)
        for dataset in datasets
        for table in dataset.raw_tables
    ]

    def claim_path(path: str) -> tuple[str, str] | None:
        for folder, dataset, table in folders:
            if path.startswith(folder):
                return dataset, table
        return None

    return claim_path


def raw_prefixes(dataset: Dataset) -> list[str]:
    """The raw folders that hold a dataset's files, none inside another: its own prefix
    `<dataset>` (where a folder no raw table is declared for is a stray) and each declared
    folder outside it."""
    prefixes = [dataset.name]
    for folder in sorted(dataset.folder_of(t) for t in dataset.raw_tables):
        if not any(folder == p or folder.startswith(p + "/") for p in prefixes):
            prefixes.append(folder)
    return prefixes


def manifest_file(lake: Lake, obj: LakeObject, table: str) -> ManifestFile:
    return ManifestFile(path=raw_path(lake, obj.uri), table=table, size=obj.size, etag=obj.etag)


@dataclass(frozen=True)
class Attempts:
    """The failed batches that held one file, with the same content, since it last committed."""

    etag: str
    count: int
    last_error: str
    batches: tuple[str, ...]


@dataclass(frozen=True)
class DatasetIndex:
    """Extract's compacted view of a dataset's history (`manifests/_index/<dataset>.json`), so
    that a run reads the same few objects however many batches came before it. Paths are
    relative to the raw zone, like the manifests'."""

    dataset: str
    consumed: dict[str, str] = field(default_factory=dict)
    """path -> etag of every file a committed batch consumed (the latest content committed)."""
    open_batches: tuple[str, ...] = ()
    """Batches Extract made whose outcome (commit or failure marker) it has not seen yet."""
    last_committed: str | None = None
    attempts: dict[str, Attempts] = field(default_factory=dict)
    """path -> failed attempts of files not committed yet."""
    checksums: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    """Locally, path -> (size, mtime_ns, md5) of the files listed last: only a new or changed
    file is read to hash it. Empty on S3, whose ETags come with the listing."""

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "consumed": self.consumed,
            "open_batches": list(self.open_batches),
            "last_committed": self.last_committed,
            "attempts": {path: asdict(a) for path, a in self.attempts.items()},
            "checksums": {path: list(c) for path, c in self.checksums.items()},
        }

    @classmethod
    def from_json(cls, payload: dict, source: str) -> DatasetIndex:
        try:
            last = payload["last_committed"]
            return cls(
                dataset=str(payload["dataset"]),
                consumed={str(p): str(e) for p, e in payload["consumed"].items()},
                open_batches=tuple(check_batch_id(b) for b in payload["open_batches"]),
                last_committed=None if last is None else check_batch_id(last),
                attempts={
                    str(path): Attempts(
                        etag=str(a["etag"]),
                        count=int(a["count"]),
                        last_error=str(a["last_error"]),
                        batches=tuple(check_batch_id(b) for b in a["batches"]),
                    )
                    for path, a in payload["attempts"].items()
                },
                checksums={
                    str(path): (int(size), int(mtime_ns), str(md5))
                    for path, (size, mtime_ns, md5) in payload["checksums"].items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError, UserError) as exc:
            raise UserError(
                f"corrupted index {source}: {exc!r}; delete it and the next extract rebuilds it "
                "from the committed manifests"
            ) from exc


def read_index(lake: Lake, dataset: str) -> DatasetIndex | None:
    """The dataset's index; None when there is none yet."""
    uri = index_uri(lake, dataset)
    try:
        payload = lake.read_json(uri)
    except MissingObjectError:
        return None
    return DatasetIndex.from_json(payload, uri)


def write_index(lake: Lake, index: DatasetIndex) -> None:
    # Compact, not indented like the lake's other JSON: an index holds an entry per raw file
    # ever consumed, only machines read it, and json writes it 10x faster without indent.
    text = json.dumps(index.to_json(), sort_keys=True, separators=(",", ":"))
    lake.write_text(index_uri(lake, index.dataset), text + "\n")
