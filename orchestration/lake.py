"""The lake: one root URI (a local folder or s3://bucket/prefix) laid out in zones.

Every component addresses data through this module so the local layout and the S3 layout are
the same keys under a different root. Small objects (manifests, reports, summaries) are read and
written here; bulk data is read and written by Spark or pyarrow at `uri()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from orchestration.errors import UserError

RAW = "raw"
MANIFESTS = "manifests"
CURATED = "curated"
QUARANTINE = "quarantine"
VALIDATION = "validation"
ZONES = (RAW, MANIFESTS, CURATED, QUARANTINE, VALIDATION)

LOCAL_BUCKET = "local-lake"
"""Bucket name under which the local engine exposes a local lake to `aws-sdk:s3` tasks."""


class LakeError(UserError):
    """A lake object is missing, unreadable or not writable; the message names the URI."""


@dataclass(frozen=True)
class LakeObject:
    uri: str
    size: int
    etag: str | None
    """The S3 ETag, or locally the content's MD5 when listed with checksums (None without)."""


@dataclass(frozen=True)
class Lake:
    """`zone_roots` moves a zone elsewhere (AWS: the raw zone in its own bucket); by default a
    zone is the folder of its name under `root`."""

    root: str
    zone_roots: dict[str, str] = field(default_factory=dict)

    @property
    def is_s3(self) -> bool:
        return self.root.startswith("s3://")

    def uri(self, *parts: str) -> str:
        parts = tuple(p.strip("/") for p in parts if p)
        if not parts:
            return self.root
        if parts[0] in self.zone_roots:
            return "/".join((self.zone_roots[parts[0]].rstrip("/"), *parts[1:]))
        return "/".join((self.root.rstrip("/"), *parts))

    def bucket_key(self, *parts: str) -> tuple[str, str]:
        """(bucket, key) of an object, as an `aws-sdk:s3` task addresses it."""
        uri = self.uri(*parts)
        if self.is_s3:
            return split_s3_uri(uri)
        return LOCAL_BUCKET, os.path.relpath(uri, self.root)

    # -- small objects -------------------------------------------------------------------

    def read_text(self, uri: str) -> str:
        try:
            if uri.startswith("s3://"):
                bucket, key = split_s3_uri(uri)
                body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
                return body.decode("utf-8")
            return Path(uri).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise LakeError(f"missing: {uri}") from exc
        except UnicodeDecodeError as exc:
            raise LakeError(f"not UTF-8 text: {uri}") from exc
        except Exception as exc:
            if type(exc).__name__ == "NoSuchKey":
                raise LakeError(f"missing: {uri}") from exc
            raise

    def read_json(self, uri: str) -> Any:
        text = self.read_text(uri)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise LakeError(f"not valid JSON: {uri} (line {exc.lineno}: {exc.msg})") from exc

    def write_text(self, uri: str, text: str) -> None:
        """Write atomically: a reader sees the old object or the new one, never a torn one."""
        if uri.startswith("s3://"):
            bucket, key = split_s3_uri(uri)
            _s3().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"))
            return
        path = Path(uri)
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            raise LakeError(f"cannot write {uri}: {exc.strerror or exc}") from exc

    def write_json(self, uri: str, payload: Any) -> None:
        self.write_text(uri, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")

    def exists(self, uri: str) -> bool:
        if uri.startswith("s3://"):
            bucket, key = split_s3_uri(uri)
            response = _s3().list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
            return any(o["Key"] == key for o in response.get("Contents", []))
        return Path(uri).exists()

    def list(self, prefix_uri: str, checksums: bool = False) -> list[LakeObject]:
        """Every object below a prefix, sorted by URI; hidden and `_`-prefixed names skipped.

        On S3 the etag is the object's ETag, free with the listing. Locally it is the MD5 of
        the content, read only with `checksums=True` (Extract's bookmark: a file is new data
        when its content changed, whatever its inode or mtime — a lake copied or restored from
        a backup is not new data); otherwise it is None and listing reads no file."""
        if prefix_uri.startswith("s3://"):
            bucket, key = split_s3_uri(prefix_uri)
            key = f"{key.rstrip('/')}/" if key.strip("/") else ""
            objects = []
            paginator = _s3().get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=key):
                for item in page.get("Contents", []):
                    if _is_hidden(item["Key"][len(key) :]):
                        continue
                    objects.append(
                        LakeObject(
                            uri=f"s3://{bucket}/{item['Key']}",
                            size=item["Size"],
                            etag=item["ETag"].strip('"'),
                        )
                    )
            return sorted(objects, key=lambda o: o.uri)
        base = Path(prefix_uri)
        if not base.exists():
            return []
        objects = []
        for path in base.rglob("*"):
            if path.is_file() and not _is_hidden(str(path.relative_to(base))):
                etag = _md5(path) if checksums else None
                objects.append(LakeObject(uri=str(path), size=path.stat().st_size, etag=etag))
        return sorted(objects, key=lambda o: o.uri)


URI_REWRITES = ((r"^file:/*", "/"), (r"^s3[an]://", "s3://"))
"""(pattern, replacement) pairs that make a URI as Spark or Hadoop names it the lake's URI:
file:/… and file:///… are plain paths, s3a:// and s3n:// are s3://. The patterns mean the same in
Python's `re` and Java's regex (Spark's regexp_replace), and the replacements hold no group
references, so `normalize_uri` and the Spark column form of it
(jobs.transformation.inputs.normalized_uri_column) apply the very same rules."""


def normalize_uri(uri: str) -> str:
    """Spark reports local files as file:/… or file:///…; compare them as plain paths."""
    for pattern, replacement in URI_REWRITES:
        uri = re.sub(pattern, replacement, uri)
    return uri


def split_s3_uri(uri: str) -> tuple[str, str]:
    """(bucket, key) of s3://bucket/key; the key has no leading slash and may be empty."""
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.lstrip("/")


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_hidden(relative: str) -> bool:
    return any(part.startswith((".", "_")) for part in relative.split("/"))


def _s3():
    import boto3

    return boto3.client("s3")
