from pathlib import Path

import pytest

from orchestration.core.settings import Settings
from orchestration.warehouse import WarehouseConfigError, open_warehouse
from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse
from orchestration.warehouse.factory import duckdb_path, redshift_target
from orchestration.warehouse.postgres_adapter import PostgresWarehouse
from orchestration.warehouse.redshift_adapter import RedshiftDataWarehouse, RedshiftTarget

ROLE = "arn:aws:iam::123456789012:role/sfn-etl-redshift-copy"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sfn-etl-abc"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("duckdb:///abs/path/warehouse.duckdb", "/abs/path/warehouse.duckdb"),
        ("duckdb:////abs/path/warehouse.duckdb", "/abs/path/warehouse.duckdb"),
        ("duckdb:///./rel/warehouse.duckdb", "./rel/warehouse.duckdb"),
    ],
)
def test_duckdb_urls_name_a_file(url, path):
    assert duckdb_path(url) == path


def test_the_default_settings_open_duckdb_under_the_state_directory(tmp_path):
    settings = Settings.from_env({"SFN_ETL_HOME": str(tmp_path)})

    warehouse = open_warehouse(settings.warehouse)

    assert isinstance(warehouse, DuckDBWarehouse)
    assert warehouse.path == Path(tmp_path / "warehouse.duckdb")


def test_postgresql_urls_open_the_postgres_adapter_with_the_url_as_dsn():
    for url in ("postgresql://etl@db:5432/dw", "postgres://etl@db/dw"):
        warehouse = open_warehouse(url)
        assert isinstance(warehouse, PostgresWarehouse)
        assert warehouse.dsn == url


def test_a_serverless_workgroup_url():
    url = f"redshift-data://sfn-etl/dev?secret_arn={SECRET}&iam_role={ROLE}&region=eu-west-1"

    warehouse = open_warehouse(url)

    assert isinstance(warehouse, RedshiftDataWarehouse)
    assert warehouse.target == RedshiftTarget(
        database="dev", iam_role=ROLE, workgroup="sfn-etl", secret_arn=SECRET, region="eu-west-1"
    )
    assert warehouse.target.connection() == {
        "Database": "dev",
        "WorkgroupName": "sfn-etl",
        "SecretArn": SECRET,
    }


def test_a_provisioned_cluster_url_with_temporary_credentials():
    target = redshift_target(
        f"redshift-data:///analytics?cluster_identifier=dw-1&db_user=etl&iam_role={ROLE}"
    )

    assert target.connection() == {
        "Database": "analytics",
        "ClusterIdentifier": "dw-1",
        "DbUser": "etl",
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u@h/db", "unsupported warehouse URL 'mysql://u@h/db'"),
        ("warehouse.duckdb", "unsupported warehouse URL 'warehouse.duckdb'"),
        (
            "postgres-ish://u:s3cret@h/db",
            "unsupported warehouse URL 'postgres-ish://u:\\*\\*\\*@h/db'",
        ),
        ("duckdb://", "expected duckdb:///path/to/file.duckdb"),
        (f"redshift-data://wg/dev?iam_role={ROLE}&password=x", "unknown parameter\\(s\\) password"),
        ("redshift-data://wg/dev", "iam_role '' is not an IAM role ARN"),
        (f"redshift-data://wg/?iam_role={ROLE}", "the database name is missing"),
        (
            f"redshift-data://wg/dev?cluster_identifier=c&iam_role={ROLE}",
            "exactly one of a workgroup or a cluster",
        ),
        (f"redshift-data://wg/dev?db_user=u&iam_role={ROLE}", "takes secret_arn, not db_user"),
    ],
)
def test_bad_urls_are_refused_with_the_reason(url, message):
    with pytest.raises(WarehouseConfigError, match=message):
        open_warehouse(url)
