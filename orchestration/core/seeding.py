"""Landing sample extracts in the lake, for the datasets' seeds: atomically, and only when new.

Seeding twice rewrites nothing: a file already in the lake with the same bytes is left alone.
"""

from __future__ import annotations

import filecmp
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.core.errors import UserError
from orchestration.core.lake import Lake


@dataclass
class SeedResult:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)


def land(lake: Lake, path: Path, parts: tuple[str, ...], result: SeedResult) -> None:
    """Put the local file `path` at `parts` of the lake (relative to its root)."""
    uri = lake.uri(*parts)
    if lake.is_s3:
        if lake.exists(uri):
            result.unchanged.append(uri)
            return
        bucket, key = lake.bucket_key(*parts)
        import boto3

        boto3.client("s3").upload_file(str(path), bucket, key)
        result.written.append(uri)
        return
    destination = Path(uri)
    if destination.exists() and filecmp.cmp(path, destination, shallow=False):
        result.unchanged.append(uri)
        return
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        temporary = destination.with_name(f".{destination.name}.tmp")
        shutil.copyfile(path, temporary)
        temporary.replace(destination)
    except OSError as exc:
        raise UserError(f"cannot write {uri}: {exc.strerror or exc}") from exc
    result.written.append(uri)
