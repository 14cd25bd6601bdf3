"""The Redshift Data API flow with botocore's Stubber; its SQL executed for real on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import boto3
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from orchestration.warehouse import DuplicateKeyError, InvalidNameError, LoadResult, WarehouseError
from orchestration.warehouse.curated import iter_batches
from orchestration.warehouse.postgres_adapter import copy_batches, copy_sql
from orchestration.warehouse.redshift_adapter import (
    LOAD_ERRORS_SQL,
    Backoff,
    RedshiftDataWarehouse,
    RedshiftLoadError,
    RedshiftStatementError,
    RedshiftTarget,
    RedshiftTimeoutError,
    load_steps,
)
from orchestration.warehouse.sql import stage_name
from orchestration.warehouse.tables import ddl_statements, get_table, table_def
from tests.warehouse._datasets import CRM, CRM_ORDERS

ROLE = "arn:aws:iam::123456789012:role/sfn-etl-redshift-copy"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:sfn-etl-abc"
TARGET = RedshiftTarget(database="dev", iam_role=ROLE, workgroup="sfn-etl", secret_arn=SECRET)
CONNECTION = {"Database": "dev", "WorkgroupName": "sfn-etl", "SecretArn": SECRET}
ORDERS = table_def(CRM, CRM_ORDERS)
URI = "s3://lake-bucket/curated/crm/orders/batch_id=b2"
CUSTOMER = get_table("tpch", "dim_customer")
CUSTOMER_URI = "s3://lake-bucket/curated/tpch/dim_customer/batch_id=b2"
DDL_ID = "11111111-1111-1111-1111-111111111111"
CHECK_ID = "22222222-2222-2222-2222-222222222222"
LOAD_ID = "33333333-3333-3333-3333-333333333333"
ERRORS_ID = "44444444-4444-4444-4444-444444444444"

# The Redshift SQL of loading batch b2 of crm.orders (order_id INTEGER key, channel VARCHAR(25)).
STAGE = '"sfn_etl_stage_crm_orders"'
CHANGES = '"sfn_etl_changes_crm_orders"'
ORDERS_SQL = '"crm"."orders"'
AUDIT_SQL = '"crm"."etl_load_audit"'
AUDIT_ROW = "\"batch_id\" = 'b2' AND \"table_name\" = 'orders'"
DDL_SQLS = [
    'CREATE SCHEMA IF NOT EXISTS "crm"',
    'CREATE TABLE IF NOT EXISTS "crm"."etl_load_audit" (\n'
    '    "batch_id" VARCHAR(256) NOT NULL,\n'
    '    "table_name" VARCHAR(256) NOT NULL,\n'
    '    "rows_staged" BIGINT NOT NULL,\n'
    '    "inserted" BIGINT NOT NULL,\n'
    '    "updated" BIGINT NOT NULL,\n'
    '    "loaded_at" TIMESTAMP NOT NULL DEFAULT SYSDATE,\n'
    '    PRIMARY KEY ("batch_id", "table_name")\n'
    ")",
    'CREATE TABLE IF NOT EXISTS "crm"."orders" (\n'
    '    "order_id" INTEGER NOT NULL,\n'
    '    "channel" VARCHAR(25),\n'
    '    PRIMARY KEY ("order_id")\n'
    ")\n"
    "DISTSTYLE ALL",
]
CHECK_SQL = f"SELECT 1 FROM {AUDIT_SQL} WHERE {AUDIT_ROW}"
STEPS = [
    "lock",
    "stage",
    "copy",
    "already_loaded_guard",
    "duplicate_check",
    "changes",
    "audit_insert",
    "merge",
    "audit_select",
]
LOAD_SQLS = [
    f"LOCK {AUDIT_SQL}, {ORDERS_SQL}",
    f"CREATE TEMP TABLE {STAGE} (LIKE {ORDERS_SQL})",
    f"COPY {STAGE} FROM '{URI}/part-' IAM_ROLE '{ROLE}' FORMAT AS PARQUET",
    f"DELETE FROM {STAGE} WHERE EXISTS (SELECT 1 FROM {AUDIT_SQL} WHERE {AUDIT_ROW})",
    "SELECT CAST('duplicate business key in crm.orders: ' || CAST(dup.n AS VARCHAR(20)) "
    f"|| ' rows' AS INTEGER) FROM (SELECT COUNT(*) AS n FROM {STAGE} "
    'GROUP BY "order_id" HAVING COUNT(*) > 1) AS dup',
    f'CREATE TEMP TABLE {CHANGES} AS SELECT {STAGE}."order_id", {STAGE}."channel", '
    f'CASE WHEN {ORDERS_SQL}."order_id" IS NULL THEN 0 ELSE 1 END AS "sfn_etl_matched" '
    f'FROM {STAGE} LEFT JOIN {ORDERS_SQL} ON {STAGE}."order_id" = {ORDERS_SQL}."order_id" '
    f'WHERE {ORDERS_SQL}."order_id" IS NULL OR CASE WHEN ({STAGE}."channel" = '
    f'{ORDERS_SQL}."channel" OR ({STAGE}."channel" IS NULL AND {ORDERS_SQL}."channel" IS NULL)) '
    "THEN FALSE ELSE TRUE END",
    f'INSERT INTO {AUDIT_SQL} ("batch_id", "table_name", "rows_staged", "inserted", "updated") '
    "SELECT 'b2', 'orders', s.n, c.n - c.matched, c.matched "
    f"FROM (SELECT COUNT(*) AS n FROM {STAGE}) AS s, "
    f'(SELECT COUNT(*) AS n, COALESCE(SUM("sfn_etl_matched"), 0) AS matched FROM {CHANGES}) '
    f"AS c WHERE NOT EXISTS (SELECT 1 FROM {AUDIT_SQL} WHERE {AUDIT_ROW})",
    f'MERGE INTO {ORDERS_SQL} USING {CHANGES} ON {ORDERS_SQL}."order_id" = {CHANGES}."order_id" '
    f'WHEN MATCHED THEN UPDATE SET "channel" = {CHANGES}."channel" '
    f'WHEN NOT MATCHED THEN INSERT ("order_id", "channel") '
    f'VALUES ({CHANGES}."order_id", {CHANGES}."channel")',
    f'SELECT "rows_staged", "inserted", "updated" FROM {AUDIT_SQL} WHERE {AUDIT_ROW}',
]


def customer(key: int | None, name: str = "Customer", balance: str = "10.00") -> dict:
    return {
        "customer_key": key,
        "name": name,
        "address": f"{key} Main St",
        "phone": "25-989-741-2988",
        "account_balance": Decimal(balance),
        "market_segment": "BUILDING",
        "nation_key": 15,
        "nation_name": "MOROCCO",
        "region_key": 0,
        "region_name": "AFRICA",
    }


def test_one_load_is_lock_stage_copy_then_the_shared_merge_statements_on_qualified_names():
    steps = load_steps(ORDERS, "b2", URI + "/", ROLE)

    assert [name for name, _ in steps] == STEPS
    assert [sql for _, sql in steps] == LOAD_SQLS


def test_the_ddl_creates_the_schema_its_audit_table_then_the_table():
    assert ddl_statements("redshift", ORDERS) == DDL_SQLS


@pytest.mark.parametrize("uri", ["/tmp/lake/curated/x", "s3://Bad_Bucket/x", "s3://b/x'; --"])
def test_redshift_loads_only_from_a_plain_s3_uri(uri):
    with pytest.raises(WarehouseError, match="Redshift loads from S3 only"):
        load_steps(ORDERS, "b2", uri, ROLE)


class Api:
    """A stubbed redshift-data client and the sleeps the adapter asked for."""

    def __init__(self) -> None:
        self.client = boto3.client(
            "redshift-data",
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self.stub = Stubber(self.client)
        self.sleeps: list[float] = []
        self.now = 0.0

    def warehouse(self, **kwargs) -> RedshiftDataWarehouse:
        return RedshiftDataWarehouse(
            TARGET, self.client, sleep=self.sleeps.append, clock=lambda: self.now, **kwargs
        )

    def batch(self, statement_id: str, sqls: list[str]) -> None:
        self.stub.add_response(
            "batch_execute_statement", {"Id": statement_id}, {"Sqls": sqls, **CONNECTION}
        )

    def execute(self, statement_id: str, sql: str, **extra) -> None:
        self.stub.add_response(
            "execute_statement", {"Id": statement_id}, {"Sql": sql, **CONNECTION, **extra}
        )

    def describe(self, statement_id: str, status: str, **extra) -> None:
        self.stub.add_response(
            "describe_statement",
            {"Id": statement_id, "Status": status, **extra},
            {"Id": statement_id},
        )

    def result(self, statement_id: str, columns: list[str], records: list[list[dict]]) -> None:
        self.stub.add_response(
            "get_statement_result",
            {"Records": records, "ColumnMetadata": [{"name": c} for c in columns]},
            {"Id": statement_id},
        )

    def ddl_and_check(self, already_loaded: bool = False) -> None:
        self.batch(DDL_ID, DDL_SQLS)
        self.describe(DDL_ID, "FINISHED")
        self.execute(CHECK_ID, CHECK_SQL)
        self.describe(CHECK_ID, "FINISHED", HasResultSet=True)
        self.result(CHECK_ID, ["?column?"], [[{"longValue": 1}]] if already_loaded else [])


def substatements(failed_at: int | None = None, audit_rows: int = 1, **failure) -> list[dict]:
    subs = []
    for index, name in enumerate(STEPS, start=1):
        sub = {"Id": f"{LOAD_ID}:{index}", "Status": "FINISHED"}
        if failed_at is not None and index == failed_at:
            sub = {**sub, "Status": "FAILED", **failure}
        elif failed_at is not None and index > failed_at:
            sub["Status"] = "ABORTED"
        if name == "audit_insert":
            sub["ResultRows"] = audit_rows
        subs.append(sub)
    return subs


def test_a_load_runs_ddl_checks_the_audit_then_one_batch_polled_with_backoff():
    api = Api()
    api.ddl_and_check()
    api.batch(LOAD_ID, LOAD_SQLS)
    for status in ("SUBMITTED", "PICKED", "STARTED"):
        api.describe(LOAD_ID, status)
    api.describe(LOAD_ID, "FINISHED", SubStatements=substatements())
    api.result(
        f"{LOAD_ID}:9",
        ["rows_staged", "inserted", "updated"],
        [[{"longValue": 4}, {"longValue": 1}, {"longValue": 2}]],
    )

    with api.stub:
        result = api.warehouse().load_table("b2", ORDERS, URI)
        api.stub.assert_no_pending_responses()

    assert result == LoadResult(
        "crm", "orders", rows_staged=4, inserted=1, updated=2, skipped=False
    )
    assert api.sleeps == [0.25, 0.5, 1.0]


def test_backoff_doubles_up_to_its_cap():
    assert [Backoff().delay(n) for n in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_a_batch_already_audited_is_skipped_without_copying():
    api = Api()
    api.ddl_and_check(already_loaded=True)

    with api.stub:
        result = api.warehouse().load_table("b2", ORDERS, URI)
        api.stub.assert_no_pending_responses()

    assert result == LoadResult("crm", "orders", 0, 0, 0, skipped=True)


def test_a_concurrent_load_that_committed_first_makes_this_one_skipped():
    api = Api()
    api.ddl_and_check()
    api.batch(LOAD_ID, LOAD_SQLS)
    api.describe(LOAD_ID, "FINISHED", SubStatements=substatements(audit_rows=0))

    with api.stub:
        result = api.warehouse().load_table("b2", ORDERS, URI)
        api.stub.assert_no_pending_responses()

    assert result == LoadResult("crm", "orders", 0, 0, 0, skipped=True)


def test_a_copy_failure_raises_with_the_rows_of_sys_load_error_detail():
    api = Api()
    api.ddl_and_check()
    api.batch(LOAD_ID, LOAD_SQLS)
    error = "ERROR: Spectrum Scan Error. File has an invalid version number"
    api.describe(
        LOAD_ID,
        "FAILED",
        Error=error,
        SubStatements=substatements(failed_at=3, Error=error, RedshiftQueryId=7731),
    )
    api.execute(ERRORS_ID, LOAD_ERRORS_SQL, Parameters=[{"name": "query_id", "value": "7731"}])
    api.describe(ERRORS_ID, "STARTED")
    api.describe(ERRORS_ID, "FINISHED", HasResultSet=True)
    columns = ["file_name", "line_number", "column_name", "column_type", "error_code"]
    api.result(
        ERRORS_ID,
        [*columns, "error_message"],
        [
            [
                {"stringValue": f"{URI}/part-00000.parquet"},
                {"longValue": 1},
                {"stringValue": "channel"},
                {"stringValue": "varchar"},
                {"longValue": 1204},
                {"stringValue": "String length exceeds DDL length"},
            ]
        ],
    )

    with api.stub, pytest.raises(RedshiftLoadError) as raised:
        api.warehouse().load_table("b2", ORDERS, URI)

    assert raised.value.load_errors == [
        {
            "file_name": f"{URI}/part-00000.parquet",
            "line_number": 1,
            "column_name": "channel",
            "column_type": "varchar",
            "error_code": 1204,
            "error_message": "String length exceeds DDL length",
        }
    ]
    assert str(raised.value) == (
        f"crm.orders: Redshift failed at step copy: {error}; the transaction was rolled back\n"
        f"  {URI}/part-00000.parquet line 1 column channel: String length exceeds DDL length "
        "(code 1204)"
    )
    assert api.sleeps == [0.25]


def test_another_failed_statement_names_its_step():
    api = Api()
    api.ddl_and_check()
    api.batch(LOAD_ID, LOAD_SQLS)
    error = "ERROR: permission denied for relation orders"
    api.describe(
        LOAD_ID, "FAILED", Error=error, SubStatements=substatements(failed_at=8, Error=error)
    )

    with api.stub, pytest.raises(RedshiftStatementError, match="at step merge: ERROR: permission"):
        api.warehouse().load_table("b2", ORDERS, URI)


def test_a_statement_running_past_the_timeout_is_cancelled():
    api = Api()
    api.ddl_and_check()
    api.batch(LOAD_ID, LOAD_SQLS)
    api.describe(LOAD_ID, "STARTED")
    api.describe(LOAD_ID, "STARTED")
    api.stub.add_response("cancel_statement", {"Status": True}, {"Id": LOAD_ID})
    warehouse = api.warehouse(timeout_seconds=60)

    def advance(seconds: float) -> None:
        api.sleeps.append(seconds)
        api.now += 100

    warehouse._sleep = advance

    with api.stub, pytest.raises(RedshiftTimeoutError, match=f"{LOAD_ID} still STARTED after 60"):
        warehouse.load_table("b2", ORDERS, URI)

    api.stub.assert_no_pending_responses()


def test_a_duplicate_key_failure_is_reported_with_the_key_read_from_the_batch(
    monkeypatch, tmp_path
):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    api = Api()
    api.ddl_and_check()
    api.batch(LOAD_ID, LOAD_SQLS)
    error = 'ERROR: invalid input syntax for integer: "duplicate business key in crm.orders"'
    api.describe(
        LOAD_ID, "FAILED", Error=error, SubStatements=substatements(failed_at=5, Error=error)
    )
    local = tmp_path / "part-00000.parquet"
    rows = [{"order_id": k, "channel": "web"} for k in (4, 12, 4)]
    pq.write_table(pa.Table.from_pylist(rows, ORDERS.arrow_schema), local)

    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(
            Bucket="lake-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.upload_file(str(local), "lake-bucket", "curated/crm/orders/batch_id=b2/part-0.parquet")
        with api.stub, pytest.raises(DuplicateKeyError) as raised:
            api.warehouse().load_table("b2", ORDERS, URI)

    assert str(raised.value) == (
        "crm.orders: duplicate business key order_id=4 in the batch; nothing was loaded"
    )


# -- the generated SQL, executed on PostgreSQL 15 --------------------------------------------


def run_on_postgres(dsn: str, batch_id: str, curated_uri: str) -> tuple[dict, tuple | None]:
    """Every Redshift statement of a load in one PostgreSQL transaction; COPY, which reads S3,
    is replaced by a COPY FROM STDIN of the same Parquet."""
    steps = load_steps(CUSTOMER, batch_id, CUSTOMER_URI, ROLE)
    rowcounts, audit = {}, None
    with psycopg.connect(dsn) as conn:
        for ddl in ddl_statements("postgresql", CUSTOMER):
            conn.execute(ddl)
        conn.commit()
        for name, sql in steps:
            if name == "copy":
                with conn.cursor() as cursor:
                    copy_batches(
                        cursor,
                        copy_sql(f'"{stage_name(CUSTOMER)}"', CUSTOMER),
                        iter_batches(curated_uri, CUSTOMER),
                    )
                continue
            cursor = conn.execute(sql)
            rowcounts[name] = cursor.rowcount
            if name == "audit_select":
                audit = cursor.fetchone()
    return rowcounts, audit


def table_rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return (
            conn.execute(
                "SELECT customer_key, name, account_balance FROM tpch.dim_customer ORDER BY 1"
            ).fetchall()
            + conn.execute(
                "SELECT batch_id, rows_staged, inserted, updated FROM tpch.etl_load_audit "
                "ORDER BY 1"
            ).fetchall()
        )


def test_the_redshift_statements_merge_changes_on_postgresql(pg_dsn, write_curated):
    first = write_curated("dim_customer", [customer(1), customer(2), customer(3)], "b1")
    second = [customer(1), customer(2, balance="-5.25"), customer(3, name="Renamed"), customer(4)]

    run_on_postgres(pg_dsn, "b1", first)
    counts, audit = run_on_postgres(pg_dsn, "b2", write_curated("dim_customer", second, "b2"))

    assert audit == (4, 1, 2)
    assert {k: counts[k] for k in ("changes", "audit_insert", "merge")} == {
        "changes": 3,
        "audit_insert": 1,
        "merge": 3,
    }
    assert table_rows(pg_dsn) == [
        (1, "Customer", Decimal("10.00")),
        (2, "Customer", Decimal("-5.25")),
        (3, "Renamed", Decimal("10.00")),
        (4, "Customer", Decimal("10.00")),
        ("b1", 3, 3, 0),
        ("b2", 4, 1, 2),
    ]


def test_the_redshift_statements_change_nothing_for_a_batch_already_audited(pg_dsn, write_curated):
    uri = write_curated("dim_customer", [customer(1), customer(2)], "b1")
    run_on_postgres(pg_dsn, "b1", uri)
    before = table_rows(pg_dsn)

    counts, audit = run_on_postgres(pg_dsn, "b1", uri)

    assert (counts["already_loaded_guard"], counts["audit_insert"], counts["merge"]) == (2, 0, 0)
    assert audit == (2, 2, 0)
    assert table_rows(pg_dsn) == before


def test_the_redshift_duplicate_guard_aborts_the_transaction_on_postgresql(pg_dsn, write_curated):
    run_on_postgres(pg_dsn, "b1", write_curated("dim_customer", [customer(1)], "b1"))
    before = table_rows(pg_dsn)
    duplicated = write_curated("dim_customer", [customer(1, "x"), customer(5), customer(5)], "b2")

    with pytest.raises(
        psycopg.errors.InvalidTextRepresentation,
        match='"duplicate business key in tpch.dim_customer: 2 rows"',
    ):
        run_on_postgres(pg_dsn, "b2", duplicated)

    assert table_rows(pg_dsn) == before


def test_a_local_uri_is_refused_before_any_api_call(tmp_path: Path):
    api = Api()

    with api.stub, pytest.raises(WarehouseError, match="Redshift loads from S3 only"):
        api.warehouse().load("b2", "tpch", "dim_customer", str(tmp_path))


def test_an_undeclared_table_is_refused_by_name_before_any_api_call():
    api = Api()

    with api.stub, pytest.raises(InvalidNameError, match="^unknown table 'orders' of dataset tpch"):
        api.warehouse().load("b2", "tpch", "orders", URI)
