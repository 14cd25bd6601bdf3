"""What a transform run reads: the files of a manifest, or every raw file in the lake."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from orchestration.errors import UserError
from orchestration.lake import RAW, Lake, normalize_uri
from orchestration.manifest import ManifestFile, manifest_file, read_manifest
from transforms.schemas import RAW_TABLES


@dataclass(frozen=True)
class BatchInput:
    manifest_uri: str | None
    files: tuple[ManifestFile, ...]

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})

    def files_of(self, table: str) -> list[str]:
        return [f.uri for f in self.files if f.table == table]


def resolve_input(lake: Lake, manifest_uri: str | None) -> BatchInput:
    """The batch's files, checked: each exists and belongs to a table with a raw schema."""
    if manifest_uri:
        files = read_manifest(lake, manifest_uri).files
        if not files:
            raise UserError(f"manifest {manifest_uri} lists no files")
        missing = [f.uri for f in files if not lake.exists(f.uri)]
        if missing:
            raise UserError(f"manifest {manifest_uri} lists missing files: {', '.join(missing)}")
    else:
        raw_root = lake.uri(RAW)
        files = tuple(manifest_file(lake, obj) for obj in lake.list(raw_root))
        if not files:
            raise UserError(f"no raw files under {raw_root}")
    unknown = sorted({f"{f.table} ({f.uri})" for f in files if f.table not in RAW_TABLES})
    if unknown:
        known = ", ".join(sorted(RAW_TABLES))
        raise UserError(f"no raw schema for {'; '.join(unknown)}; known tables: {known}")
    return BatchInput(manifest_uri=manifest_uri, files=tuple(files))


def read_lines(spark: SparkSession, paths: list[str]) -> DataFrame:
    """Every line of `paths` (decoded as UTF-8; bad bytes become U+FFFD) with its source file."""
    # Spark keeps undecodable bytes as they are; the round trip through a Java string turns
    # them into U+FFFD, which the parser rejects and Parquet can store.
    decoded = F.decode(F.encode(F.col("value"), "UTF-8"), "UTF-8")
    return spark.read.text(paths).select(
        _normalized_source_file().alias("source_file"), decoded.alias("raw_line")
    )


def files_without_lines(paths: list[str], files_with_lines: set[str]) -> list[str]:
    return [p for p in paths if normalize_uri(p) not in files_with_lines]


def _normalized_source_file() -> F.Column:
    # Spark names local files file:/… or file:///…; the manifest names them by plain path.
    return F.regexp_replace(F.input_file_name(), r"^file:/*", "/")
