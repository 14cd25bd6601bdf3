"""The runtime adapter: the same job script on AWS Glue, spark-submit and the local engine.

On Glue the job gets a GlueContext and Job.init/commit; everywhere else a plain SparkSession
tuned for a small machine, or the warm session the local engine already started.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from awsglue.utils import GlueArgumentError, getResolvedOptions
from pyspark.sql import SparkSession

from orchestration.core.errors import UserError
from orchestration.core.lake import ZONES, Lake
from orchestration.core.settings import Settings

GLUE_RUN_MARKER = "--JOB_RUN_ID"
"""Glue passes the run id to every job run; nothing else does."""


def resolve_options(
    argv: Sequence[str], required: Sequence[str], optional: Sequence[str] = ()
) -> dict[str, str]:
    """Glue-style `--name value` options; optional ones are read only when present."""
    argv = list(argv)
    present = [name for name in optional if f"--{name}" in argv]
    try:
        return getResolvedOptions(["job", *argv], [*required, *present])
    except (GlueArgumentError, SystemExit) as exc:
        expected = " ".join(f"--{name} VALUE" for name in required)
        raise UserError(f"bad job arguments {argv!r}: {exc}; expected {expected}") from exc


LAKE_OPTIONS = (
    "lake",
    "lake_raw",
    "lake_manifests",
    "lake_curated",
    "lake_quarantine",
    "lake_validation",
)
"""`--lake ROOT` and `--lake_<zone> ROOT` for a zone kept elsewhere (its own bucket on AWS)."""


def lake_from_options(options: dict[str, str]) -> Lake:
    """The lake the job arguments name, falling back to the environment's settings."""
    settings = Settings.from_env()
    zone_roots = dict(settings.zone_roots)
    zone_roots.update(
        {zone: options[f"lake_{zone}"] for zone in ZONES if options.get(f"lake_{zone}")}
    )
    return Lake(options.get("lake") or settings.lake, zone_roots)


SPARK_CONF_ENV = "SFN_ETL_SPARK_CONF"
"""Spark settings for local sessions, over the defaults: `key=value;key=value`."""

HOT_JVM_CLASSES = (
    "org.apache.spark.sql.functions",
    "org.apache.spark.api.python.PythonUtils",
    "org.apache.spark.sql.SparkSession",
)
"""Classes PySpark looks up by short name on every call (`F.col`, `F.lit`, ...). py4j tries a
short name in each of PySpark's wildcard imports in turn, and every miss is a class lookup
through every jar on the classpath; imported by full name, they resolve at once."""


JOB_SQL_CONF = {"spark.sql.codegen.hugeMethodLimit": "8000"}
"""SQL settings every job session gets, on Glue as locally. HotSpot leaves a method of over
8,000 bytes of bytecode (its HugeMethodLimit) to the interpreter, and whole-stage codegen of the
strict parse (transforms/parse.py) writes one. Spark's advice for HotSpot is taken: a plan whose
generated method would pass 8,000 bytes runs that part without whole-stage codegen, in small
methods the JIT compiles. The TPC-H lineitem parse ran 2.7x faster. (Uncompressed caches were
faster still at TPC-H scale 1, but ran the 2 GB driver out of heap: not taken.)"""


def spark_conf_overrides(text: str) -> dict[str, str]:
    """{key: value} of `key=value;key=value` (SFN_ETL_SPARK_CONF); a pair without `=` is an
    error naming it."""
    overrides = {}
    for pair in filter(None, (part.strip() for part in text.split(";"))):
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise UserError(f"{SPARK_CONF_ENV}: expected key=value, got {pair!r}")
        overrides[key.strip()] = value.strip()
    return overrides


def local_session(app_name: str) -> SparkSession:
    """A SparkSession for a laptop: all cores, few shuffle partitions, UTC, no UI.

    Under spark-submit (on EMR, say) the master and driver memory are spark-submit's to set.
    """
    builder = SparkSession.builder.appName(app_name)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if "SFN_ETL_SPARK_MASTER" in os.environ or not launched_by_spark_submit:
        builder = builder.master(os.environ.get("SFN_ETL_SPARK_MASTER", "local[*]"))
    if not launched_by_spark_submit:
        builder = builder.config(
            "spark.driver.memory", os.environ.get("SFN_ETL_DRIVER_MEMORY", "2g")
        )
    builder = (
        builder.config(
            "spark.sql.shuffle.partitions", os.environ.get("SFN_ETL_SHUFFLE_PARTITIONS", "8")
        )
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
    )
    for key, value in JOB_SQL_CONF.items():
        builder = builder.config(key, value)
    for key, value in spark_conf_overrides(os.environ.get(SPARK_CONF_ENV, "")).items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    import_hot_classes(session)
    session.sparkContext.setLogLevel(os.environ.get("SFN_ETL_SPARK_LOG_LEVEL", "ERROR"))
    return session


def import_hot_classes(session: SparkSession) -> None:
    """Name HOT_JVM_CLASSES to the session's py4j view by their full names."""
    from py4j.java_gateway import java_import

    for name in HOT_JVM_CLASSES:
        java_import(session.sparkContext._jvm, name)


@dataclass
class Runtime:
    spark: SparkSession
    _job: Any = field(default=None, repr=False)

    def commit(self) -> None:
        if self._job is not None:
            self._job.commit()


def start(job_name: str, argv: Sequence[str]) -> Runtime:
    """The session for a job run: Glue's when on Glue, the active one or a new local one."""
    if GLUE_RUN_MARKER in argv:
        return _start_on_glue(job_name, argv)
    active = SparkSession.getActiveSession()
    return Runtime(spark=active or local_session(job_name))


def _start_on_glue(job_name: str, argv: Sequence[str]) -> Runtime:
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from pyspark.context import SparkContext

    glue_context = GlueContext(SparkContext.getOrCreate())
    for key, value in JOB_SQL_CONF.items():
        glue_context.spark_session.conf.set(key, value)
    import_hot_classes(glue_context.spark_session)
    job = Job(glue_context)
    job.init(job_name, resolve_options(argv, ["JOB_NAME"]))
    return Runtime(spark=glue_context.spark_session, _job=job)


def run_main(main, argv: Sequence[str] | None = None) -> None:
    """`if __name__ == "__main__"` for a job: exit with its code, errors as one clear line."""
    try:
        code = main(list(sys.argv[1:] if argv is None else argv))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code)
