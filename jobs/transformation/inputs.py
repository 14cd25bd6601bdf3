"""What a transform run reads: the files of a dataset's manifest, or every raw file it claims."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from orchestration.core.errors import UserError
from orchestration.core.lake import URI_REWRITES, Lake, normalize_uri
from orchestration.core.layout import raw_file_uri, raw_root
from orchestration.core.manifest import ManifestFile, claim, manifest_file, read_manifest
from transforms.declaration import Dataset, FileFormat
from transforms.registry import get_dataset
from transforms.schemas import spark_schema

HADOOP_GLOB = re.compile(r"([\[\]*?{}\\])")
"""The characters Hadoop's glob syntax gives a meaning; a backslash makes each literal."""


@dataclass(frozen=True)
class BatchInput:
    dataset: Dataset
    manifest_uri: str | None
    files: tuple[ManifestFile, ...]
    uris: dict[str, str]
    """The lake URI of each file's path."""
    previous_batch_id: str | None = None
    """The dataset's last committed batch: its report says where the persisted state is."""

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})

    def files_of(self, table: str) -> list[ManifestFile]:
        return [f for f in self.files if f.table == table]


def resolve_input(lake: Lake, manifest_uri: str | None, dataset_name: str | None) -> BatchInput:
    """The batch's files, checked: each exists and is a raw table of the batch's dataset."""
    if manifest_uri:
        manifest = read_manifest(lake, manifest_uri)
        if dataset_name and dataset_name != manifest.dataset:
            raise UserError(
                f"--dataset {dataset_name} but manifest {manifest_uri} is a batch of "
                f"{manifest.dataset}"
            )
        dataset = get_dataset(manifest.dataset)
        files = manifest.files
        previous = manifest.previous_batch_id
        if not files:
            raise UserError(f"manifest {manifest_uri} lists no files")
        missing = [f.path for f in files if not lake.exists(raw_file_uri(lake, f.path))]
        if missing:
            raise UserError(f"manifest {manifest_uri} lists missing files: {', '.join(missing)}")
        unknown = sorted({f.table for f in files} - {t.name for t in dataset.raw_tables})
        if unknown:
            raise UserError(
                f"manifest {manifest_uri}: {', '.join(unknown)} are not raw tables of "
                f"{dataset.name}"
            )
    else:
        if not dataset_name:
            raise UserError("name the dataset to transform: --dataset NAME (or --manifest_uri)")
        dataset = get_dataset(dataset_name)
        previous = None
        files = tuple(_claimed_files(lake, dataset))
        if not files:
            raise UserError(f"no raw files of {dataset.name} under {raw_root(lake)}")
    return BatchInput(
        dataset=dataset,
        manifest_uri=manifest_uri,
        files=tuple(files),
        uris={f.path: raw_file_uri(lake, f.path) for f in files},
        previous_batch_id=previous,
    )


def _claimed_files(lake: Lake, dataset: Dataset) -> list[ManifestFile]:
    files = []
    for obj in lake.list(raw_root(lake), checksums=True):
        claimed = claim(lake, obj.uri, [dataset])
        if claimed is not None:
            files.append(manifest_file(lake, obj, claimed[1]))
    return files


def read_lines(spark: SparkSession, uris: list[str], file_format: FileFormat) -> DataFrame:
    """Every line of the files at `uris`, decoded with the declared encoding, with its source
    file as the lake names it.

    File names are data: a name holding `[1]`, `*`, `?` or braces is escaped before Spark sees
    it, which would otherwise read it as a glob. Spark's text reader splits lines on bytes and
    keeps them undecoded; the bytes are decoded here, so an undecodable UTF-8 byte becomes
    U+FFFD (which the parser rejects) and a latin-1 extract reads as latin-1. Compressed files
    are decompressed by their name (.gz, .bz2).
    """
    decoded = F.decode(F.col("value").cast("binary"), file_format.encoding.upper())
    return spark.read.text([literal_path(uri) for uri in uris]).select(
        source_file_column().alias("source_file"), decoded.alias("raw_line")
    )


def literal_path(uri: str) -> str:
    """`uri` as a Hadoop path pattern that matches exactly that file."""
    return HADOOP_GLOB.sub(r"\\\1", uri)


def source_file_column() -> F.Column:
    """The file a row was read from, as the lake names it: Spark gives a URI, percent-encoded
    (`%20`, `%5B`) and prefixed file:/… or s3a://. `+` stays literal in that URI, so it is
    protected from url_decode, which would read it as a space."""
    encoded = normalized_uri_column(F.input_file_name())
    return F.call_function("url_decode", F.replace(encoded, F.lit("+"), F.lit("%2B")))


def files_without_lines(uris: list[str], files_with_lines: set[str]) -> list[str]:
    return [uri for uri in uris if normalize_uri(uri) not in files_with_lines]


def normalized_uri_column(uri: F.Column) -> F.Column:
    """orchestration.core.lake.normalize_uri as a Spark expression, from the same URI_REWRITES:
    Spark names local files file:/… or file:///…, the manifest names them by plain path."""
    for pattern, replacement in URI_REWRITES:
        uri = F.regexp_replace(uri, pattern, replacement)
    return uri


def empty_input(spark: SparkSession, dataset: Dataset, name: str) -> DataFrame:
    """No rows of a raw table (with its lineage columns) or of a curated table, with its schema."""
    if name in {t.name for t in dataset.raw_tables}:
        lineage = [StructField("source_file", StringType()), StructField("raw_line", StringType())]
        schema = StructType(lineage + list(spark_schema(dataset.raw(name).fields).fields))
    else:
        schema = spark_schema(dataset.curated(name).columns)
    return spark.createDataFrame([], schema)
