import dataclasses

import pyarrow as pa
import pytest

from orchestration.warehouse.base import InvalidNameError
from orchestration.warehouse.tables import (
    audit_create_sql,
    ddl_statements,
    get_table,
    quote,
    table_def,
    tables_of,
    validate_identifier,
)
from tests.warehouse._datasets import CRM, CRM_ORDERS, SHOP, SHOP_ORDERS, dataset
from transforms.declaration import Field

SHOP_TABLE = table_def(SHOP, SHOP_ORDERS)
CRM_TABLE = table_def(CRM, CRM_ORDERS)


def test_tpch_tables_come_from_its_declaration_in_its_schema_dimensions_first():
    tables = tables_of("tpch")

    assert [(t.schema, t.name) for t in tables] == [
        ("tpch", "dim_customer"),
        ("tpch", "dim_date"),
        ("tpch", "dim_part"),
        ("tpch", "dim_supplier"),
        ("tpch", "fact_sales"),
    ]
    assert tables[2].column_names == (
        "part_key",
        "name",
        "manufacturer",
        "brand",
        "part_type",
        "size",
        "container",
        "retail_price",
    )
    assert tables[4].business_keys == ("order_key", "line_number")


def test_a_table_is_named_by_its_schema_everywhere():
    assert SHOP_TABLE.qualified == '"shop"."orders"'
    assert SHOP_TABLE.audit == '"shop"."etl_load_audit"'
    assert CRM_TABLE.qualified == '"crm"."orders"'


def test_redshift_ddl_keeps_string_lengths_in_bytes_and_the_declared_keys():
    assert SHOP_TABLE.create_sql("redshift") == (
        'CREATE TABLE IF NOT EXISTS "shop"."orders" (\n'
        '    "order_id" BIGINT NOT NULL,\n'
        '    "line" INTEGER NOT NULL,\n'
        '    "status" VARCHAR(10),\n'
        '    "amount" DOUBLE PRECISION,\n'
        '    "total" DECIMAL(12,2),\n'
        '    "placed_at" TIMESTAMP,\n'
        '    "placed_on" DATE,\n'
        '    "paid" BOOLEAN,\n'
        '    PRIMARY KEY ("order_id", "line")\n'
        ")\n"
        'DISTSTYLE KEY DISTKEY ("order_id")\n'
        'SORTKEY ("placed_on", "order_id")'
    )


def test_a_string_25_column_is_varchar_25_in_redshift_and_no_distkey_replicates_the_table():
    # No SORTKEY declared: Redshift then chooses one (SORTKEY () would be a syntax error).
    assert CRM_TABLE.create_sql("redshift") == (
        'CREATE TABLE IF NOT EXISTS "crm"."orders" (\n'
        '    "order_id" INTEGER NOT NULL,\n'
        '    "channel" VARCHAR(25),\n'
        '    PRIMARY KEY ("order_id")\n'
        ")\n"
        "DISTSTYLE ALL"
    )


def test_duckdb_and_postgresql_ddl_have_unbounded_strings_and_no_redshift_clauses():
    assert SHOP_TABLE.create_sql("duckdb") == (
        'CREATE TABLE IF NOT EXISTS "shop"."orders" (\n'
        '    "order_id" BIGINT NOT NULL,\n'
        '    "line" INTEGER NOT NULL,\n'
        '    "status" VARCHAR,\n'
        '    "amount" DOUBLE,\n'
        '    "total" DECIMAL(12,2),\n'
        '    "placed_at" TIMESTAMP,\n'
        '    "placed_on" DATE,\n'
        '    "paid" BOOLEAN,\n'
        '    PRIMARY KEY ("order_id", "line")\n'
        ")"
    )
    assert CRM_TABLE.create_sql("postgresql") == (
        'CREATE TABLE IF NOT EXISTS "crm"."orders" (\n'
        '    "order_id" INTEGER NOT NULL,\n'
        '    "channel" TEXT,\n'
        '    PRIMARY KEY ("order_id")\n'
        ")"
    )
    assert '"amount" DOUBLE PRECISION,' in SHOP_TABLE.create_sql("postgresql")


def test_tpch_redshift_ddl_of_a_replicated_dimension():
    assert get_table("tpch", "dim_part").create_sql("redshift") == (
        'CREATE TABLE IF NOT EXISTS "tpch"."dim_part" (\n'
        '    "part_key" BIGINT NOT NULL,\n'
        '    "name" VARCHAR(55),\n'
        '    "manufacturer" VARCHAR(25),\n'
        '    "brand" VARCHAR(10),\n'
        '    "part_type" VARCHAR(25),\n'
        '    "size" INTEGER,\n'
        '    "container" VARCHAR(10),\n'
        '    "retail_price" DECIMAL(15,2),\n'
        '    PRIMARY KEY ("part_key")\n'
        ")\n"
        "DISTSTYLE ALL\n"
        'SORTKEY ("part_key")'
    )


def test_fact_sales_is_distributed_on_customer_and_sorted_on_order_date_in_redshift():
    assert (
        get_table("tpch", "fact_sales")
        .create_sql("redshift")
        .endswith(
            '    PRIMARY KEY ("order_key", "line_number")\n'
            ")\n"
            'DISTSTYLE KEY DISTKEY ("customer_key")\n'
            'SORTKEY ("order_date")'
        )
    )


def test_each_schema_has_its_audit_table_keyed_by_batch_and_table_with_a_utc_timestamp():
    assert audit_create_sql("postgresql", "shop") == (
        'CREATE TABLE IF NOT EXISTS "shop"."etl_load_audit" (\n'
        '    "batch_id" VARCHAR(256) NOT NULL,\n'
        '    "table_name" VARCHAR(256) NOT NULL,\n'
        '    "rows_staged" BIGINT NOT NULL,\n'
        '    "inserted" BIGINT NOT NULL,\n'
        '    "updated" BIGINT NOT NULL,\n'
        "    \"loaded_at\" TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),\n"
        '    PRIMARY KEY ("batch_id", "table_name")\n'
        ")"
    )
    assert '"loaded_at" TIMESTAMP NOT NULL DEFAULT SYSDATE' in audit_create_sql("redshift", "crm")


def test_ddl_creates_the_schema_first_then_its_audit_table_then_the_table():
    statements = ddl_statements("duckdb", CRM_TABLE)

    assert statements[0] == 'CREATE SCHEMA IF NOT EXISTS "crm"'
    assert statements[1].startswith('CREATE TABLE IF NOT EXISTS "crm"."etl_load_audit" (\n')
    assert statements[2].startswith('CREATE TABLE IF NOT EXISTS "crm"."orders" (\n')
    assert len(statements) == 3
    with pytest.raises(ValueError, match="unknown dialect 'mysql'"):
        ddl_statements("mysql", CRM_TABLE)


def test_arrow_schema_is_what_spark_writes_for_each_declared_type():
    schema = SHOP_TABLE.arrow_schema

    assert [(f.name, f.type) for f in schema] == [
        ("order_id", pa.int64()),
        ("line", pa.int32()),
        ("status", pa.string()),
        ("amount", pa.float64()),
        ("total", pa.decimal128(12, 2)),
        ("placed_at", pa.timestamp("us")),
        ("placed_on", pa.date32()),
        ("paid", pa.bool_()),
    ]
    assert all(f.nullable for f in schema)


def test_business_keys_are_not_null_and_other_columns_nullable():
    columns = {c.name: c.not_null for c in get_table("tpch", "fact_sales").columns}

    assert [name for name, not_null in columns.items() if not_null] == ["order_key", "line_number"]


@pytest.mark.parametrize(
    "name",
    ['fact_sales"; DROP TABLE x; --', "Fact_Sales", "fact-sales", "1table", "", None],
)
def test_get_table_refuses_a_malformed_table_name(name):
    with pytest.raises(
        InvalidNameError, match="invalid table name " + repr(name).replace("(", r"\(")
    ):
        get_table("tpch", name)


def test_get_table_refuses_an_unknown_table_naming_the_tables_of_the_dataset():
    with pytest.raises(
        InvalidNameError,
        match=r"^unknown table 'dim_foo' of dataset tpch: expected one of dim_customer, "
        r"dim_date, dim_part, dim_supplier, fact_sales$",
    ):
        get_table("tpch", "dim_foo")


@pytest.mark.parametrize("name", ["nope", "TPCH", 'tpch"."x', None])
def test_get_table_and_tables_of_refuse_an_unknown_dataset_naming_the_known_ones(name):
    message = r"(unknown dataset 'nope': expected one of .*\btpch\b|invalid dataset name)"
    with pytest.raises(InvalidNameError, match=message):
        get_table(name, "dim_part")
    with pytest.raises(InvalidNameError, match=message):
        tables_of(name)


def test_get_table_returns_the_declared_table_in_its_schema():
    table = get_table("tpch", "dim_date")

    assert (table.schema, table.name, table.distkey, table.sortkey) == (
        "tpch",
        "dim_date",
        None,
        ("date_key",),
    )
    assert table.column_names[-1] == "is_weekend"


@pytest.mark.parametrize("name", ["temp", "system", "information_schema", "pg_x", "sfn_etl_x"])
def test_a_dataset_named_like_a_system_schema_is_refused(name):
    with pytest.raises(InvalidNameError, match=f"schema '{name}' is reserved in the warehouse"):
        table_def(dataset(name, CRM_ORDERS), CRM_ORDERS)


def test_a_table_or_column_that_would_clash_with_the_loader_is_refused():
    audit = dataclasses.replace(CRM_ORDERS, name="etl_load_audit")
    with pytest.raises(InvalidNameError, match="etl_load_audit is the name of the load audit"):
        table_def(CRM, audit)

    flagged = dataclasses.replace(
        CRM_ORDERS, columns=(*CRM_ORDERS.columns, Field("sfn_etl_matched", "int"))
    )
    with pytest.raises(InvalidNameError, match=r"column 'sfn_etl_matched': sfn_etl_\* is taken"):
        table_def(CRM, flagged)


def test_quote_validates_before_quoting():
    assert quote("order_key") == '"order_key"'
    with pytest.raises(InvalidNameError, match=r"invalid identifier 'a\"b'"):
        quote('a"b')
    assert validate_identifier("_x1", "column") == "_x1"
