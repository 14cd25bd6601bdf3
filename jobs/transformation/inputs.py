"""What a transform run reads: the files of a dataset's manifest, or every raw file it claims."""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from orchestration.errors import UserError
from orchestration.lake import URI_REWRITES, Lake, normalize_uri
from orchestration.layout import raw_root
from orchestration.manifest import ManifestFile, claim, manifest_file, read_manifest
from transforms.declaration import Dataset, FileFormat
from transforms.registry import get_dataset


@dataclass(frozen=True)
class BatchInput:
    dataset: Dataset
    manifest_uri: str | None
    files: tuple[ManifestFile, ...]

    @property
    def tables(self) -> list[str]:
        return sorted({f.table for f in self.files})

    def files_of(self, table: str) -> list[str]:
        return [f.uri for f in self.files if f.table == table]


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
        if not files:
            raise UserError(f"manifest {manifest_uri} lists no files")
        missing = [f.uri for f in files if not lake.exists(f.uri)]
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
        files = tuple(_claimed_files(lake, dataset))
        if not files:
            raise UserError(f"no raw files of {dataset.name} under {raw_root(lake)}")
    return BatchInput(dataset=dataset, manifest_uri=manifest_uri, files=tuple(files))


def _claimed_files(lake: Lake, dataset: Dataset) -> list[ManifestFile]:
    files = []
    for obj in lake.list(raw_root(lake), checksums=True):
        claimed = claim(lake, obj.uri, [dataset])
        if claimed is not None:
            files.append(manifest_file(obj, claimed[1]))
    return files


def read_lines(spark: SparkSession, paths: list[str], file_format: FileFormat) -> DataFrame:
    """Every line of `paths`, decoded with the declared encoding, with its source file.

    Spark's text reader splits lines on bytes and keeps them undecoded; the bytes are decoded
    here, so an undecodable UTF-8 byte becomes U+FFFD (which the parser rejects) and a latin-1
    extract reads as latin-1. Compressed files are decompressed by their name (.gz, .bz2).
    """
    decoded = F.decode(F.col("value").cast("binary"), file_format.encoding.upper())
    return spark.read.text(paths).select(
        normalized_uri_column(F.input_file_name()).alias("source_file"), decoded.alias("raw_line")
    )


def files_without_lines(paths: list[str], files_with_lines: set[str]) -> list[str]:
    return [p for p in paths if normalize_uri(p) not in files_with_lines]


def normalized_uri_column(uri: F.Column) -> F.Column:
    """orchestration.lake.normalize_uri as a Spark expression, from the same URI_REWRITES: Spark
    names local files file:/… or file:///…, the manifest names them by plain path."""
    for pattern, replacement in URI_REWRITES:
        uri = F.regexp_replace(uri, pattern, replacement)
    return uri
