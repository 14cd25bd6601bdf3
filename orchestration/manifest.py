"""Batch manifests: the exact raw files a batch consumes, and the commit marker (the bookmark)."""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from orchestration.errors import UserError
from orchestration.lake import MANIFESTS, RAW, Lake, LakeObject

BATCH_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{0,127}$")


def new_batch_id(now: datetime | None = None) -> str:
    """Time-sortable and unique: 20261125T153012Z-9f2c1a."""
    moment = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{moment}-{secrets.token_hex(3)}"


def check_batch_id(batch_id: str) -> str:
    if not BATCH_ID.match(batch_id):
        raise UserError(f"invalid batch id {batch_id!r}: use letters, digits, '_', '.', '-'")
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
    created_at: str
    files: tuple[ManifestFile, ...]

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})

    def to_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
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
                created_at=str(payload["created_at"]),
                files=files,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"corrupted manifest {source}: {exc!r}") from exc


def manifest_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}.json")


def commit_marker_uri(lake: Lake, batch_id: str) -> str:
    return lake.uri(MANIFESTS, f"{batch_id}.committed.json")


def read_manifest(lake: Lake, uri: str) -> Manifest:
    return Manifest.from_json(lake.read_json(uri), uri)


def raw_table_of(lake: Lake, obj_uri: str) -> str:
    """`<raw>/<dataset>/<table>/...` -> table."""
    raw_root = lake.uri(RAW).rstrip("/") + "/"
    if not obj_uri.startswith(raw_root):
        raise UserError(f"{obj_uri} is not under the raw zone {raw_root}")
    parts = obj_uri[len(raw_root) :].split("/")
    if len(parts) < 3:
        raise UserError(f"raw file {obj_uri} is not laid out as raw/<dataset>/<table>/<file>")
    return parts[1]


def manifest_file(lake: Lake, obj: LakeObject) -> ManifestFile:
    return ManifestFile(
        uri=obj.uri, table=raw_table_of(lake, obj.uri), size=obj.size, etag=obj.etag
    )
