"""Batch manifests: the exact raw files a batch consumes, and the commit marker (the bookmark)."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from orchestration.errors import UserError
from orchestration.lake import Lake, LakeObject
from orchestration.layout import manifest_uri, raw_root
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
    uri: str
    table: str
    size: int
    etag: str


@dataclass(frozen=True)
class Manifest:
    batch_id: str
    dataset: str
    created_at: str
    files: tuple[ManifestFile, ...]

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})

    def to_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "dataset": self.dataset,
            "created_at": self.created_at,
            "files": [asdict(f) for f in self.files],
        }

    @classmethod
    def from_json(cls, payload: dict, source: str) -> Manifest:
        try:
            files = tuple(
                ManifestFile(
                    uri=str(f["uri"]),
                    table=str(f["table"]),
                    size=int(f["size"]),
                    etag=str(f["etag"]),
                )
                for f in payload["files"]
            )
            return cls(
                batch_id=check_batch_id(str(payload["batch_id"])),
                dataset=str(payload["dataset"]),
                created_at=str(payload["created_at"]),
                files=files,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"corrupted manifest {source}: {exc!r}") from exc


def read_manifest(lake: Lake, uri: str) -> Manifest:
    return Manifest.from_json(lake.read_json(uri), uri)


def read_batch_manifest(lake: Lake, batch_id: str) -> Manifest:
    return read_manifest(lake, manifest_uri(lake, batch_id))


def claim(lake: Lake, obj_uri: str, datasets: list[Dataset]) -> tuple[str, str] | None:
    """(dataset, raw table) whose declared folder holds the file; None when none claims it."""
    root = raw_root(lake).rstrip("/") + "/"
    if not obj_uri.startswith(root):
        raise UserError(f"{obj_uri} is not under the raw zone {root}")
    relative = obj_uri[len(root) :]
    for dataset in datasets:
        for table in dataset.raw_tables:
            if relative.startswith(dataset.folder_of(table) + "/"):
                return dataset.name, table.name
    return None


def manifest_file(obj: LakeObject, table: str) -> ManifestFile:
    return ManifestFile(uri=obj.uri, table=table, size=obj.size, etag=obj.etag)
