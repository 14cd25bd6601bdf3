import pyarrow as pa
import pytest

from orchestration.warehouse.base import InvalidNameError
from orchestration.warehouse.tables import (
    LOAD_ORDER,
    TABLES,
    audit_create_sql,
    ddl_statements,
    get_table,
    quote,
    validate_identifier,
)
from transforms.schemas import CURATED_BUSINESS_KEYS, CURATED_SCHEMAS


def test_every_curated_table_is_a_target_with_its_columns_in_order_and_business_keys():
    assert {name: t.column_names for name, t in TABLES.items()} == {
        name: tuple(schema.fieldNames()) for name, schema in CURATED_SCHEMAS.items()
    }
    assert {name: t.business_keys for name, t in TABLES.items()} == CURATED_BUSINESS_KEYS


def test_dimensions_load_before_the_fact():
    assert LOAD_ORDER == ("dim_customer", "dim_date", "dim_part", "dim_supplier", "fact_sales")


def test_redshift_ddl_of_a_replicated_dimension():
    assert TABLES["dim_part"].create_sql("redshift") == (
        'CREATE TABLE IF NOT EXISTS "dim_part" (\n'
        '    "part_key" BIGINT NOT NULL,\n'
        '    "name" VARCHAR(256),\n'
        '    "manufacturer" VARCHAR(256),\n'
        '    "brand" VARCHAR(256),\n'
        '    "part_type" VARCHAR(256),\n'
        '    "size" INTEGER,\n'
        '    "container" VARCHAR(256),\n'
        '    "retail_price" DECIMAL(15,2),\n'
        '    PRIMARY KEY ("part_key")\n'
        ")\n"
        "DISTSTYLE ALL\n"
        'SORTKEY ("part_key")'
    )


def test_fact_sales_is_distributed_on_customer_and_sorted_on_order_date_in_redshift():
    assert (
        TABLES["fact_sales"]
        .create_sql("redshift")
        .endswith(
            '    PRIMARY KEY ("order_key", "line_number")\n'
            ")\n"
            'DISTSTYLE KEY DISTKEY ("customer_key")\n'
            'SORTKEY ("order_date")'
        )
    )


def test_postgresql_ddl_has_no_redshift_clauses_and_uses_text():
    sql = TABLES["dim_customer"].create_sql("postgresql")

    assert '"name" TEXT,' in sql
    assert "DISTKEY" not in sql and "SORTKEY" not in sql and "DISTSTYLE" not in sql


def test_audit_table_is_keyed_by_batch_and_table_with_a_utc_default_timestamp():
    assert audit_create_sql("postgresql") == (
        'CREATE TABLE IF NOT EXISTS "etl_load_audit" (\n'
        '    "batch_id" VARCHAR(256) NOT NULL,\n'
        '    "table_name" VARCHAR(256) NOT NULL,\n'
        '    "rows_staged" BIGINT NOT NULL,\n'
        '    "inserted" BIGINT NOT NULL,\n'
        '    "updated" BIGINT NOT NULL,\n'
        "    \"loaded_at\" TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),\n"
        '    PRIMARY KEY ("batch_id", "table_name")\n'
        ")"
    )
    assert '"loaded_at" TIMESTAMP NOT NULL DEFAULT SYSDATE' in audit_create_sql("redshift")


def test_ddl_statements_create_the_audit_table_then_the_target():
    assert ddl_statements("duckdb", TABLES["dim_date"]) == [
        audit_create_sql("duckdb"),
        TABLES["dim_date"].create_sql("duckdb"),
    ]
    with pytest.raises(ValueError, match="unknown dialect 'mysql'"):
        ddl_statements("mysql", TABLES["dim_date"])


def test_arrow_schema_is_what_spark_writes_for_fact_sales():
    schema = TABLES["fact_sales"].arrow_schema

    assert [(f.name, f.type) for f in schema][:7] == [
        ("order_key", pa.int64()),
        ("line_number", pa.int32()),
        ("customer_key", pa.int64()),
        ("part_key", pa.int64()),
        ("supplier_key", pa.int64()),
        ("order_date_key", pa.int32()),
        ("order_date", pa.date32()),
    ]
    assert schema.field("revenue").type == pa.decimal128(18, 2)
    assert schema.field("quantity").type == pa.decimal128(15, 2)
    assert schema.field("ship_mode").type == pa.string()
    assert all(f.nullable for f in schema)


def test_business_keys_are_not_null_and_other_columns_nullable():
    columns = {c.name: c.not_null for c in TABLES["fact_sales"].columns}

    assert [name for name, not_null in columns.items() if not_null] == ["order_key", "line_number"]


@pytest.mark.parametrize(
    "name",
    ['fact_sales"; DROP TABLE x; --', "Fact_Sales", "fact-sales", "1table", "", None, "dim_foo"],
)
def test_get_table_refuses_anything_but_a_defined_table(name):
    with pytest.raises(InvalidNameError, match=repr(name).replace("(", r"\(")):
        get_table(name)


def test_get_table_returns_the_definition():
    assert get_table("dim_date") is TABLES["dim_date"]


def test_quote_validates_before_quoting():
    assert quote("order_key") == '"order_key"'
    with pytest.raises(InvalidNameError, match=r"invalid identifier 'a\"b'"):
        quote('a"b')
    assert validate_identifier("_x1", "column") == "_x1"
