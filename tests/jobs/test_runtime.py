import pytest

from jobs.runtime import lake_from_options, resolve_options, spark_conf_overrides, start
from orchestration.core.errors import UserError


def test_optional_options_are_read_only_when_present():
    options = resolve_options(
        ["--lake", "/l", "--JOB_NAME", "transform"], ["JOB_NAME"], ["lake", "batch_id"]
    )
    assert options["JOB_NAME"] == "transform"
    assert options["lake"] == "/l"
    assert "batch_id" not in options


def test_missing_required_option_is_a_clear_error():
    with pytest.raises(UserError, match="expected --JOB_NAME VALUE"):
        resolve_options(["--lake", "/l"], ["JOB_NAME"])


def test_local_runs_reuse_the_warm_session(spark):
    runtime = start("transform", ["--lake", "/l"])
    assert runtime.spark is spark
    assert runtime._job is None
    runtime.commit()


def test_local_sessions_get_the_job_sql_settings(spark):
    assert spark.conf.get("spark.sql.codegen.hugeMethodLimit") == "8000"


def test_zone_options_move_a_zone_to_its_own_root(monkeypatch):
    monkeypatch.delenv("SFN_ETL_LAKE_RAW", raising=False)
    lake = lake_from_options({"lake": "s3://curated/c", "lake_raw": "s3://raw/raw"})
    assert lake.uri("raw", "tpch", "x.tbl") == "s3://raw/raw/tpch/x.tbl"
    assert lake.uri("quarantine", "part") == "s3://curated/c/quarantine/part"


def test_every_zone_has_a_job_option():
    from jobs.runtime import LAKE_OPTIONS
    from orchestration.core.lake import ZONES

    assert set(LAKE_OPTIONS) == {"lake", *(f"lake_{zone}" for zone in ZONES)}


def test_spark_conf_overrides_read_key_value_pairs():
    text = "spark.sql.adaptive.enabled=false; spark.sql.shuffle.partitions=2;"
    assert spark_conf_overrides(text) == {
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.shuffle.partitions": "2",
    }
    assert spark_conf_overrides("") == {}


def test_a_spark_conf_pair_without_a_value_is_named():
    with pytest.raises(UserError, match="SFN_ETL_SPARK_CONF: expected key=value, got 'spark.x'"):
        spark_conf_overrides("spark.a=1;spark.x")
