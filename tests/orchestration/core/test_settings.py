from pathlib import Path

from orchestration.core.settings import Settings


def test_defaults_need_no_configuration(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.lake == str(tmp_path / "lake")
    assert settings.home == tmp_path / ".sfn-etl"
    assert settings.warehouse == f"duckdb:///{tmp_path}/.sfn-etl/warehouse.duckdb"
    assert settings.catalog == tmp_path / ".sfn-etl" / "catalog.duckdb"


def test_environment_overrides_and_zone_roots():
    settings = Settings.from_env(
        {
            "SFN_ETL_LAKE": "s3://lake/p",
            "SFN_ETL_LAKE_RAW": "s3://raw",
            "SFN_ETL_WAREHOUSE": "postgresql://u@h/db",
            "SFN_ETL_HOME": "/state",
        }
    )
    assert settings.home == Path("/state")
    assert settings.catalog == Path("/state/catalog.duckdb")
    assert settings.warehouse == "postgresql://u@h/db"
    assert settings.open_lake().uri("raw", "x") == "s3://raw/x"
    assert settings.open_lake().uri("curated", "x") == "s3://lake/p/curated/x"


def test_the_catalog_file_is_its_own_setting_resolved_from_the_working_directory(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"SFN_ETL_CATALOG": "meta/glue.duckdb", "SFN_ETL_HOME": "/state"})
    assert settings.catalog == tmp_path / "meta" / "glue.duckdb"
