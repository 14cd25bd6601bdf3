import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg
import pytest

from jobs.validation.warehouse_keys import KnownKeys, read_keys
from orchestration.core.errors import UserError


@pytest.fixture
def duckdb_url(tmp_path):
    """tpch.dim_customer holds keys 1 and 3; crm.dim_customer, of another dataset, holds 8."""
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE SCHEMA tpch")
        conn.execute("CREATE TABLE tpch.dim_customer (customer_key BIGINT, name VARCHAR)")
        conn.execute(
            "INSERT INTO tpch.dim_customer VALUES (3, 'c'), (1, 'a'), (NULL, 'x'), (3, 'd')"
        )
        conn.execute("CREATE SCHEMA crm")
        conn.execute("CREATE TABLE crm.dim_customer (customer_key BIGINT)")
        conn.execute("INSERT INTO crm.dim_customer VALUES (8)")
        conn.execute("CREATE TABLE main.dim_part (part_key BIGINT)")
        conn.execute("INSERT INTO main.dim_part VALUES (5)")
    return f"duckdb:///{path}"


def test_duckdb_keys_are_the_distinct_non_null_keys_of_the_table_in_its_schema(duckdb_url):
    assert sorted(read_keys(duckdb_url, "tpch", "dim_customer", "customer_key").keys) == [1, 3]
    assert read_keys(duckdb_url, "crm", "dim_customer", "customer_key") == KnownKeys([8])


def test_keys_are_read_while_another_dataset_loads_into_the_same_file(duckdb_url):
    # The loads of a parallel dataset iteration hold a read-write connection in this process;
    # DuckDB refuses a second connection to the file with another configuration.
    with duckdb.connect(duckdb_url.removeprefix("duckdb:///")) as loading:
        loading.execute("INSERT INTO crm.dim_customer VALUES (9)")
        assert sorted(read_keys(duckdb_url, "tpch", "dim_customer", "customer_key").keys) == [1, 3]


def test_a_table_the_schema_does_not_have_yet_holds_no_keys(duckdb_url):
    # main.dim_part exists, tpch.dim_part does not.
    assert read_keys(duckdb_url, "tpch", "dim_part", "part_key") == KnownKeys([])


def test_a_schema_the_warehouse_does_not_have_yet_holds_no_keys(duckdb_url):
    assert read_keys(duckdb_url, "shop", "dim_customer", "customer_key") == KnownKeys([])


def test_a_warehouse_file_not_created_yet_holds_no_keys_and_stays_uncreated(tmp_path):
    path = tmp_path / "none.duckdb"
    assert read_keys(f"duckdb:///{path}", "tpch", "dim_part", "part_key") == KnownKeys([])
    assert not path.exists()


def test_a_relative_duckdb_path_is_read_from_the_working_directory(duckdb_url, monkeypatch):
    path = urlsplit(duckdb_url).path
    monkeypatch.chdir(os.path.dirname(path))
    keys = read_keys("duckdb:///./warehouse.duckdb", "tpch", "dim_customer", "customer_key").keys
    assert sorted(keys) == [1, 3]


def test_redshift_keys_are_not_read_and_the_note_says_so():
    url = "redshift-data://wg/dev?iam_role=arn:aws:iam::1:role/r"
    assert read_keys(url, "tpch", "dim_part", "part_key") == KnownKeys(
        None,
        "warehouse keys not checked: tpch.dim_part.part_key lives in Redshift (redshift-data://)",
    )


@pytest.mark.parametrize(
    ("url", "schema", "table", "message"),
    [
        ("mysql://h/db", "tpch", "dim_part", "unsupported warehouse URL scheme 'mysql'"),
        ("duckdb:///", "tpch", "dim_part", "expected duckdb:///path/to/file.duckdb"),
        ("duckdb:///x.duckdb", "tpch", 'dim_part"; drop', "invalid identifier 'dim_part\""),
        ("duckdb:///x.duckdb", 'tpch".x; --', "dim_part", "invalid identifier 'tpch\""),
    ],
)
def test_bad_urls_and_names_are_refused(url, schema, table, message):
    with pytest.raises(UserError, match=message):
        read_keys(url, schema, table, "part_key")


@pytest.fixture
def pg_url():
    server = os.environ.get("SFN_ETL_TEST_PG_DSN")
    if not server:
        pytest.fail(
            'SFN_ETL_TEST_PG_DSN is not set: start PostgreSQL with eval "$(bash tests/postgres.sh '
            'start)"',
            pytrace=False,
        )
    name = f"sfn_etl_keys_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_postgres_keys_are_read_from_the_schema_and_a_missing_schema_or_table_holds_none(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA tpch")
        conn.execute("CREATE TABLE tpch.dim_supplier (supplier_key BIGINT)")
        conn.execute("INSERT INTO tpch.dim_supplier VALUES (7), (5), (NULL), (7)")
        conn.execute("CREATE TABLE public.dim_part (part_key BIGINT)")
        conn.execute("INSERT INTO public.dim_part VALUES (1)")

    assert sorted(read_keys(pg_url, "tpch", "dim_supplier", "supplier_key").keys) == [5, 7]
    assert read_keys(pg_url, "tpch", "dim_part", "part_key") == KnownKeys([])
    assert read_keys(pg_url, "shop", "dim_supplier", "supplier_key") == KnownKeys([])
