"""Great Expectations 1.x on Spark: one in-memory context per job run, Data Docs to the lake.

The context is ephemeral (suites come from the package, results go to the summary), but its
Data Docs site is configured: GX's default ephemeral site is a new temp dir on every run. The
site is a folder for a local lake and GX's S3 site store for an s3:// lake: the same rendering
either way, only the store backend differs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import great_expectations as gx
from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
)
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from pyspark.sql import DataFrame

from jobs.validation.suites import Suite
from orchestration.core.lake import split_s3_uri

SITE_NAME = "batch"
DATA_SOURCE = "curated"
# The first pass asks only pass/fail: GX then needs just unexpected counts, which it computes
# as aggregates bundled into one Spark job per domain. Listing unexpected values is a job per
# expectation (a filtered scan), paid in a second pass for the expectations that failed.
VERDICT_FORMAT = {"result_format": "BOOLEAN_ONLY"}
DETAIL_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 20}


def docs_site_config(docs_root: str) -> dict[str, Any]:
    """A SiteBuilder writing to `docs_root`: a local folder or s3://bucket/prefix."""
    if docs_root.startswith("s3://"):
        bucket, prefix = split_s3_uri(docs_root)
        backend = {
            "class_name": "TupleS3StoreBackend",
            "bucket": bucket,
            "prefix": prefix.rstrip("/"),
        }
    else:
        backend = {"class_name": "TupleFilesystemStoreBackend", "base_directory": docs_root}
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": backend,
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }


class SuiteRunner:
    """Runs suites against DataFrames of one batch and renders the batch's Data Docs."""

    def __init__(self, batch_id: str, docs_root: str) -> None:
        config = DataContextConfig(
            store_backend_defaults=InMemoryStoreBackendDefaults(),
            data_docs_sites={SITE_NAME: docs_site_config(docs_root)},
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
        )
        self._context = gx.get_context(project_config=config, mode="ephemeral")
        # GX would persist each batch's DataFrame: a copy of every column in memory, built on
        # its first metric, where each metric reads only its columns from the Parquet.
        self._source = self._context.data_sources.add_spark(DATA_SOURCE, persist=False)
        # One run id for every table: Data Docs groups the batch's results under its id.
        self._run_id = RunIdentifier(run_name=batch_id, run_time=datetime.now(UTC))

    def run(self, suite: Suite, frame: DataFrame) -> ExpectationSuiteValidationResult:
        """Validate `frame`; failed expectations come back with counts and unexpected values."""
        gx_suite = self._context.suites.add(suite.to_gx())
        batch = (
            self._source.add_dataframe_asset(suite.table)
            .add_batch_definition_whole_dataframe(suite.table)
            .get_batch(batch_parameters={"dataframe": frame})
        )
        result = batch.validate(gx_suite, result_format=VERDICT_FORMAT)
        for index, verdict in enumerate(result.results):
            if not verdict.success:
                result.results[index] = batch.validate(
                    verdict.expectation_config.to_domain_obj(), result_format=DETAIL_FORMAT
                )
        result.meta["run_id"] = self._run_id
        result.meta["validation_time"] = self._run_id.run_time
        self._context.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.table),
                run_id=self._run_id,
                batch_identifier=batch.id,
            ),
        )
        return result

    def build_docs(self) -> None:
        self._context.build_data_docs(site_names=[SITE_NAME])
