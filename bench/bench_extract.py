"""Benchmark of Extract against a long history (not a test):
`python bench/bench_extract.py [--batches 10000] [--s3-batches 1000 10000] [--repeat 5]`.

1. Local lake with `--batches` committed TPC-H batches (a manifest, its commit marker and a
   small raw file each, written directly: no Spark) and a few new files. Median time of
   Extract reading the dataset's index (warm: built and its checksums cached by a first run),
   and of the old full scan (read every committed manifest, hash every raw file) choosing new
   files and writing their manifest: the same work. Both must choose exactly the same new
   files, or the bench fails. Aim: Extract <= 1 s at 10,000 batches.
2. The same lake in a moto S3 bucket at each of `--s3-batches`: S3 requests of Extract,
   counted with a botocore `before-send` hook (every page and retry is a request), by
   operation: the first run (which builds the index from the manifests), a warm run, and the
   old scan. Beyond the listing of the raw folder (a page per 1,000 files), a warm run's
   requests do not grow with history.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestration.core.lake import MANIFESTS, Lake
from orchestration.core.layout import (
    COMMIT_SUFFIX,
    commit_marker_bucket_key,
    manifest_uri,
    raw_file_uri,
    raw_path,
    raw_root,
)
from orchestration.core.manifest import Manifest, ManifestFile, claim, new_batch_id, read_manifest
from orchestration.lambdas.extract import extract
from transforms.registry import get_dataset

DATASET = "tpch"
NEW_FILES = 5
LOCAL_AIM_SECONDS = 1.0
START = datetime(2025, 1, 1, tzinfo=UTC)


def history(batches: int) -> Iterator[tuple[str, str, bytes, dict]]:
    """(batch id, raw path, raw content, manifest) of each committed batch, oldest first."""
    for number in range(batches):
        moment = START + timedelta(minutes=number)
        batch_id = f"{new_batch_id(moment).rsplit('-', 1)[0]}-{number:06x}-{DATASET}"
        path = f"{DATASET}/orders/ingest_date=2025-01-01/orders-{number:06d}.tbl"
        content = f"{number}|370|O|172799.49|1996-01-02|5-LOW|Clerk#1|0|x|\n".encode()
        etag = hashlib.md5(content, usedforsecurity=False).hexdigest()
        manifest = Manifest(
            batch_id=batch_id,
            dataset=DATASET,
            created_at="2025-01-01T00:00:00+00:00",
            files=(ManifestFile(path, "orders", len(content), etag),),
        )
        yield batch_id, path, content, manifest.to_json()


def new_files() -> Iterator[tuple[str, bytes]]:
    for number in range(NEW_FILES):
        yield f"{DATASET}/lineitem/ingest_date=2025-02-01/lineitem-{number}.tbl", b"1|1|\n"


def build_local(root: Path, batches: int) -> Lake:
    """Plain writes, not the lake's atomic fsynced ones: 30,000 small files in seconds."""
    lake = Lake(str(root))
    for batch_id, path, content, manifest in history(batches):
        raw = Path(raw_file_uri(lake, path))
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(content)
        Path(manifest_uri(lake, batch_id)).parent.mkdir(parents=True, exist_ok=True)
        Path(manifest_uri(lake, batch_id)).write_text(json.dumps(manifest))
        Path(lake.uri(MANIFESTS, batch_id + COMMIT_SUFFIX)).write_text('{"tables": []}')
    for path, content in new_files():
        raw = Path(raw_file_uri(lake, path))
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(content)
    return lake


def build_s3(lake: Lake, batches: int) -> None:
    import boto3

    s3 = boto3.client("s3")
    for batch_id, path, content, manifest in history(batches):
        bucket, key = split(raw_file_uri(lake, path))
        s3.put_object(Bucket=bucket, Key=key, Body=content)
        bucket, key = split(manifest_uri(lake, batch_id))
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode())
        bucket, key = commit_marker_bucket_key(lake, batch_id)
        s3.put_object(Bucket=bucket, Key=key, Body=b'{"tables": []}')
    for path, content in new_files():
        bucket, key = split(raw_file_uri(lake, path))
        s3.put_object(Bucket=bucket, Key=key, Body=content)


def split(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def old_scan(lake: Lake) -> list[str]:
    """Extract before the index, as the reference: every committed manifest read, every raw
    file listed with its checksum, the new ones written into a manifest. Their paths."""
    consumed = set()
    for obj in lake.list(lake.uri(MANIFESTS)):
        if obj.uri.endswith(COMMIT_SUFFIX):
            batch_id = obj.uri.rsplit("/", 1)[-1].removesuffix(COMMIT_SUFFIX)
            manifest = read_manifest(lake, manifest_uri(lake, batch_id))
            consumed.update((f.path, f.etag) for f in manifest.files)
    dataset = get_dataset(DATASET)
    chosen = []
    for obj in lake.list(raw_root(lake), checksums=True):
        path = raw_path(lake, obj.uri)
        claimed = claim(lake, obj.uri, [dataset])
        if claimed is not None and (path, obj.etag) not in consumed:
            chosen.append(ManifestFile(path, claimed[1], obj.size, obj.etag))
    batch_id = new_batch_id(dataset=DATASET)
    manifest = Manifest(batch_id, DATASET, "2025-01-01T00:00:00+00:00", tuple(chosen))
    lake.write_json(manifest_uri(lake, batch_id), manifest.to_json())
    return sorted(f.path for f in chosen)


def index_extract(lake: Lake) -> list[str]:
    """Extract as it is: the paths of the new files of its one batch."""
    return chosen_paths(lake, extract(lake, [DATASET]))


def chosen_paths(lake: Lake, extracted: dict) -> list[str]:
    (batch,) = extracted["datasets"]
    return sorted(f["path"] for f in lake.read_json(batch["manifest_uri"])["files"])


def timed(run: Callable[[], list[str]], repeat: int) -> tuple[list[float], list[str]]:
    samples, chosen = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        chosen = run()
        samples.append(time.perf_counter() - started)
    return samples, chosen


@contextmanager
def s3_requests() -> Iterator[Counter]:
    """S3 requests sent meanwhile, by operation; the hook runs before moto answers."""
    import boto3

    sent: Counter = Counter()

    def count(event_name: str, **_) -> None:
        sent[event_name.rsplit(".", 1)[-1]] += 1

    events = boto3.DEFAULT_SESSION.events
    events.register_first("before-send.s3", count)
    try:
        yield sent
    finally:
        events.unregister("before-send.s3", count)


def same_choice(label: str, index_chosen: list[str], old_chosen: list[str]) -> None:
    expected = [path for path, _ in new_files()]
    if not index_chosen == old_chosen == expected:
        raise SystemExit(
            f"{label}: Extract chose {index_chosen}, the old scan {old_chosen}; "
            f"the new files are {expected}"
        )


def local(batches: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="sfn-etl-bench-extract-") as tmp:
        started = time.perf_counter()
        lake = build_local(Path(tmp) / "lake", batches)
        built = time.perf_counter() - started
        print(f"local lake: {batches:,} committed batches, {NEW_FILES} new files ({built:.1f} s)")
        first, _ = timed(lambda: index_extract(lake), 1)
        warm, index_chosen = timed(lambda: index_extract(lake), repeat)
        old, old_chosen = timed(lambda: old_scan(lake), repeat)
        same_choice("local", index_chosen, old_chosen)
        index_median, old_median = statistics.median(warm), statistics.median(old)
        verdict = "within" if index_median <= LOCAL_AIM_SECONDS else "OVER"
        aim = f"{verdict} the {LOCAL_AIM_SECONDS:g} s aim"
        ratio = old_median / index_median
        print(f"  first Extract (builds the index, hashes every file): {first[0]:.2f} s")
        print(f"  Extract, warm index: median {index_median * 1000:.0f} ms of {repeat} ({aim})")
        print(f"  old full scan:       median {old_median * 1000:.0f} ms of {repeat}")
        print(f"  old / index: {ratio:.1f}x; both chose the same {len(index_chosen)} files")


def s3(batch_counts: list[int]) -> None:
    import boto3
    from moto import mock_aws

    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench"
    )
    warm_by_size = {}
    for batches in batch_counts:
        with mock_aws():
            boto3.client("s3").create_bucket(Bucket="lake")
            lake = Lake("s3://lake/prod")
            build_s3(lake, batches)
            with s3_requests() as first:
                extract(lake, [DATASET])
            with s3_requests() as warm:
                extracted = extract(lake, [DATASET])
            index_chosen = chosen_paths(lake, extracted)
            with s3_requests() as old:
                old_chosen = old_scan(lake)
        same_choice(f"S3 at {batches:,} batches", index_chosen, old_chosen)
        warm_by_size[batches] = warm
        print(f"S3 (moto), {batches:,} committed batches, {batches + NEW_FILES:,} raw files:")
        for label, counts in (("first Extract", first), ("warm Extract", warm), ("old scan", old)):
            detail = ", ".join(f"{op} {n:,}" for op, n in sorted(counts.items()))
            print(f"  {label:<14} {sum(counts.values()):>6,} requests ({detail})")
    if len(warm_by_size) > 1:
        small, large = min(warm_by_size), max(warm_by_size)
        listing = {n: -(-(n + NEW_FILES) // 1000) for n in (small, large)}
        beyond = {n: sum(warm_by_size[n].values()) - listing[n] for n in (small, large)}
        growth = f"{beyond[large] / beyond[small]:.2f}x for {large / small:g}x the history"
        print(
            f"warm Extract beyond the raw folder's listing ({listing[small]} and "
            f"{listing[large]} pages): {beyond[small]} requests at {small:,} batches, "
            f"{beyond[large]} at {large:,} ({growth})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10_000)
    parser.add_argument("--s3-batches", type=int, nargs="*", default=[1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    local(args.batches, args.repeat)
    if args.s3_batches:
        s3(args.s3_batches)


if __name__ == "__main__":
    main()
