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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from orchestration.core.errors import UserError

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


class MissingObjectError(LakeError):
    """The object does not exist: for a marker or an index, an answer rather than a fault."""


@dataclass(frozen=True)
class LakeObject:
    uri: str
    size: int
    etag: str | None
    """The S3 ETag, or locally the content's MD5 when listed with checksums (None without)."""
    mtime_ns: int | None = None
    """Locally the modification time, which tells a checksum cache the file is unchanged; None
    on S3, whose ETag comes with the listing."""


Checksums = Mapping[str, tuple[int, int, str]]
"""URI -> (size, mtime_ns, md5) of local files hashed before (`Lake.list(known=...)`)."""


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
            raise MissingObjectError(f"missing: {uri}") from exc
        except UnicodeDecodeError as exc:
            raise LakeError(f"not UTF-8 text: {uri}") from exc
        except Exception as exc:
            if type(exc).__name__ == "NoSuchKey":
                raise MissingObjectError(f"missing: {uri}") from exc
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

    def delete(self, uri: str) -> None:
        """Remove one object; a missing one is a MissingObjectError naming it."""
        if uri.startswith("s3://"):
            if not self.exists(uri):
                raise MissingObjectError(f"missing: {uri}")
            bucket, key = split_s3_uri(uri)
            _s3().delete_object(Bucket=bucket, Key=key)
            return
        try:
            Path(uri).unlink()
        except FileNotFoundError as exc:
            raise MissingObjectError(f"missing: {uri}") from exc
        except OSError as exc:
            raise LakeError(f"cannot delete {uri}: {exc.strerror or exc}") from exc

    def list(
        self, prefix_uri: str, checksums: bool = False, known: Checksums | None = None
    ) -> list[LakeObject]:
        """Every object below a prefix, sorted by URI; hidden and `_`-prefixed names skipped.

        On S3 the etag is the object's ETag, free with the listing. Locally it is the MD5 of
        the content, read only with `checksums=True` (Extract's bookmark: a file is new data
        when its content changed, whatever its inode or mtime — a lake copied or restored from
        a backup is not new data); otherwise it is None and listing reads no file. `known`
        spares the reading of files hashed before: one whose size and mtime are those it
        records keeps the recorded MD5."""
        if prefix_uri.startswith("s3://"):
            bucket, key = split_s3_uri(prefix_uri)
            key = f"{key.rstrip('/')}/" if key.strip("/") else ""
            objects = []
            paginator = _s3().get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=key):
                for item in page.get("Contents", []):
                    if not _is_hidden(item["Key"][len(key) :]):
                        objects.append(_s3_object(bucket, item))
            return sorted(objects, key=lambda o: o.uri)
        objects = []
        # os.walk rather than Path.rglob: a stat a file and no Path objects, so listing the
        # tens of thousands of files of a long history stays a fraction of a second.
        for folder, subfolders, names in os.walk(prefix_uri):
            subfolders[:] = [name for name in subfolders if not _is_hidden(name)]
            for name in names:
                if not _is_hidden(name):
                    path = os.path.join(folder, name)
                    objects.append(_local_object(path, checksums, known or {}))
        return sorted(objects, key=lambda o: o.uri)

    def list_children(self, prefix_uri: str) -> tuple[list[str], list[LakeObject]]:
        """The names of the folders directly below a prefix, and the objects directly in it
        (without checksums), each sorted; hidden and `_`-prefixed names skipped. On S3 one
        delimited listing, however much lies deeper."""
        if prefix_uri.startswith("s3://"):
            bucket, key = split_s3_uri(prefix_uri)
            key = f"{key.rstrip('/')}/" if key.strip("/") else ""
            folders, objects = [], []
            paginator = _s3().get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=bucket, Prefix=key, Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    name = common["Prefix"][len(key) :].rstrip("/")
                    if not _is_hidden(name):
                        folders.append(name)
                for item in page.get("Contents", []):
                    if not _is_hidden(item["Key"][len(key) :]):
                        objects.append(_s3_object(bucket, item))
            return sorted(folders), sorted(objects, key=lambda o: o.uri)
        folders, objects = [], []
        if not os.path.isdir(prefix_uri):
            return [], []
        with os.scandir(prefix_uri) as entries:
            for entry in entries:
                if _is_hidden(entry.name):
                    continue
                if entry.is_dir():
                    folders.append(entry.name)
                elif entry.is_file():
                    objects.append(_local_object(entry.path, False, {}))
        return sorted(folders), sorted(objects, key=lambda o: o.uri)


def _s3_object(bucket: str, item: dict[str, Any]) -> LakeObject:
    return LakeObject(
        uri=f"s3://{bucket}/{item['Key']}", size=item["Size"], etag=item["ETag"].strip('"')
    )


def _local_object(path: str, checksums: bool, known: Checksums) -> LakeObject:
    stat = os.stat(path)
    etag = None
    if checksums:
        size, mtime_ns, md5 = known.get(path, (None, None, None))
        same = (size, mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        etag = md5 if same else _md5(path)
    return LakeObject(uri=path, size=stat.st_size, etag=etag, mtime_ns=stat.st_mtime_ns)


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


def _md5(path: str) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_hidden(relative: str) -> bool:
    return any(part.startswith((".", "_")) for part in relative.split("/"))


def _s3():
    import boto3

    return boto3.client("s3")
