"""The shared load statements: exact text for a small table, semantics on in-memory DuckDB."""

import dataclasses
from decimal import Decimal

import duckdb
import pytest

from orchestration.warehouse.base import InvalidNameError
from orchestration.warehouse.sql import (
    already_loaded_guard_sql,
    audit_insert_sql,
    audit_select_sql,
    audit_values_sql,
    changes_name,
    changes_sql,
    duplicate_key_guard_sql,
    duplicate_key_sql,
    is_empty_sql,
    literal,
    merge_sql,
    merge_statements,
    stage_name,
)
from orchestration.warehouse.tables import Column, TableDef, audit_create_sql

TINY = TableDef(
    schema="s",
    name="tiny",
    columns=(
        Column("k", "bigint", not_null=True),
        Column("v", "string(10)", not_null=False),
        Column("amount", "decimal(15,2)", not_null=False),
    ),
    business_keys=("k",),
    distkey=None,
    sortkey=("k",),
)
STAGE = '"sfn_etl_stage_s_tiny"'
CHANGES = '"sfn_etl_changes_s_tiny"'
TARGET = '"s"."tiny"'


def test_changes_are_the_new_and_differing_staged_rows_flagged_matched_or_not():
    assert changes_sql(TINY) == (
        f'CREATE TEMP TABLE {CHANGES} AS SELECT {STAGE}."k", {STAGE}."v", {STAGE}."amount", '
        f'CASE WHEN {TARGET}."k" IS NULL THEN 0 ELSE 1 END AS "sfn_etl_matched" '
        f'FROM {STAGE} LEFT JOIN {TARGET} ON {STAGE}."k" = {TARGET}."k" '
        f'WHERE {TARGET}."k" IS NULL OR CASE WHEN '
        f'({STAGE}."v" = {TARGET}."v" OR ({STAGE}."v" IS NULL AND {TARGET}."v" IS NULL)) '
        f'AND ({STAGE}."amount" = {TARGET}."amount" '
        f'OR ({STAGE}."amount" IS NULL AND {TARGET}."amount" IS NULL)) THEN FALSE ELSE TRUE END'
    )


def test_the_audit_row_counts_staged_rows_and_splits_changes_into_new_and_updated():
    assert audit_insert_sql(TINY, "b1") == (
        'INSERT INTO "s"."etl_load_audit" ("batch_id", "table_name", "rows_staged", "inserted", '
        "\"updated\") SELECT 'b1', 'tiny', s.n, c.n - c.matched, c.matched "
        f"FROM (SELECT COUNT(*) AS n FROM {STAGE}) AS s, "
        f'(SELECT COUNT(*) AS n, COALESCE(SUM("sfn_etl_matched"), 0) AS matched FROM {CHANGES}) '
        'AS c WHERE NOT EXISTS (SELECT 1 FROM "s"."etl_load_audit" '
        "WHERE \"batch_id\" = 'b1' AND \"table_name\" = 'tiny')"
    )


def test_merge_updates_value_columns_and_inserts_every_column_from_the_changes():
    assert merge_sql(TINY) == (
        f'MERGE INTO {TARGET} USING {CHANGES} ON {TARGET}."k" = {CHANGES}."k" '
        f'WHEN MATCHED THEN UPDATE SET "v" = {CHANGES}."v", "amount" = {CHANGES}."amount" '
        f'WHEN NOT MATCHED THEN INSERT ("k", "v", "amount") '
        f'VALUES ({CHANGES}."k", {CHANGES}."v", {CHANGES}."amount")'
    )


def test_temporary_tables_carry_the_schema_so_tables_of_one_name_never_share_them():
    other = dataclasses.replace(TINY, schema="t")

    assert (stage_name(TINY), changes_name(TINY)) == (
        "sfn_etl_stage_s_tiny",
        "sfn_etl_changes_s_tiny",
    )
    assert (stage_name(other), changes_name(other)) == (
        "sfn_etl_stage_t_tiny",
        "sfn_etl_changes_t_tiny",
    )


def test_the_guard_the_emptiness_check_and_a_first_load_audit_row_use_qualified_names():
    assert already_loaded_guard_sql(TINY, "b1") == (
        f'DELETE FROM {STAGE} WHERE EXISTS (SELECT 1 FROM "s"."etl_load_audit" '
        "WHERE \"batch_id\" = 'b1' AND \"table_name\" = 'tiny')"
    )
    assert is_empty_sql(TINY) == 'SELECT NOT EXISTS (SELECT 1 FROM "s"."tiny")'
    assert audit_values_sql(TINY, "b1", 7) == (
        'INSERT INTO "s"."etl_load_audit" ("batch_id", "table_name", "rows_staged", "inserted", '
        "\"updated\") VALUES ('b1', 'tiny', 7, 7, 0)"
    )
    assert duplicate_key_sql(TINY) == (
        f'SELECT "k" FROM {STAGE} GROUP BY "k" HAVING COUNT(*) > 1 ORDER BY "k" LIMIT 1'
    )


def test_literals_double_quotes_and_batch_ids_are_validated():
    assert literal("it's") == "'it''s'"
    assert audit_select_sql(TINY, "20261125T153012Z-9f2c1a") == (
        'SELECT "rows_staged", "inserted", "updated" FROM "s"."etl_load_audit" '
        "WHERE \"batch_id\" = '20261125T153012Z-9f2c1a' AND \"table_name\" = 'tiny'"
    )
    with pytest.raises(InvalidNameError, match="invalid batch_id"):
        merge_statements(TINY, "b'; DROP TABLE tiny; --")


@pytest.fixture
def db():
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA s")
    conn.execute(audit_create_sql("duckdb", "s"))
    conn.execute("CREATE TABLE s.tiny (k BIGINT PRIMARY KEY, v VARCHAR, amount DECIMAL(15,2))")
    conn.execute(
        "CREATE TEMP TABLE sfn_etl_stage_s_tiny (k BIGINT, v VARCHAR, amount DECIMAL(15,2))"
    )
    conn.execute(
        "INSERT INTO s.tiny VALUES (1, 'same', 1.00), (2, NULL, NULL), (3, 'old', 3.00), "
        "(4, 'x', NULL)"
    )
    # A table of the same name in another schema, which no statement of s.tiny may touch.
    conn.execute("CREATE SCHEMA t")
    conn.execute(audit_create_sql("duckdb", "t"))
    conn.execute("CREATE TABLE t.tiny (k BIGINT PRIMARY KEY, v VARCHAR, amount DECIMAL(15,2))")
    conn.execute("INSERT INTO t.tiny VALUES (3, 'other schema', NULL)")
    yield conn
    conn.close()


def _stage(db, *rows):
    db.executemany("INSERT INTO sfn_etl_stage_s_tiny VALUES (?, ?, ?)", rows)


def test_statements_count_and_apply_only_changes_to_the_table_of_their_schema(db):
    _stage(
        db,
        (1, "same", Decimal("1.00")),  # unchanged
        (2, None, None),  # unchanged: NULL equals NULL here
        (3, "new", Decimal("3.00")),  # changed value
        (4, "x", Decimal("0.00")),  # NULL -> value is a change
        (5, "five", None),  # new
    )
    for statement in merge_statements(TINY, "b1"):
        db.execute(statement)

    assert db.execute(
        "SELECT batch_id, table_name, rows_staged, inserted, updated FROM s.etl_load_audit"
    ).fetchall() == [("b1", "tiny", 5, 1, 2)]
    assert db.execute("SELECT * FROM s.tiny ORDER BY k").fetchall() == [
        (1, "same", Decimal("1.00")),
        (2, None, None),
        (3, "new", Decimal("3.00")),
        (4, "x", Decimal("0.00")),
        (5, "five", None),
    ]
    assert db.execute("SELECT * FROM t.tiny").fetchall() == [(3, "other schema", None)]
    assert db.execute("SELECT COUNT(*) FROM t.etl_load_audit").fetchall() == [(0,)]


def test_statements_change_nothing_when_the_batch_is_already_audited(db):
    db.execute(
        "INSERT INTO s.etl_load_audit (batch_id, table_name, rows_staged, inserted, updated) "
        "VALUES ('b1', 'tiny', 9, 9, 0)"
    )
    _stage(db, (3, "changed", None), (6, "new", None))

    for statement in merge_statements(TINY, "b1"):
        db.execute(statement)

    assert db.execute("SELECT rows_staged FROM s.etl_load_audit").fetchall() == [(9,)]
    assert db.execute("SELECT k, v FROM s.tiny ORDER BY k").fetchall() == [
        (1, "same"),
        (2, None),
        (3, "old"),
        (4, "x"),
    ]


def test_duplicate_keys_are_found_and_the_guard_fails_only_on_them(db):
    _stage(db, (8, "a", None), (9, "b", None))
    assert db.execute(duplicate_key_sql(TINY)).fetchall() == []
    assert db.execute(duplicate_key_guard_sql(TINY)).fetchall() == []

    _stage(db, (9, "again", None))

    assert db.execute(duplicate_key_sql(TINY)).fetchall() == [(9,)]
    with pytest.raises(
        duckdb.ConversionException, match="duplicate business key in s.tiny: 2 rows"
    ):
        db.execute(duplicate_key_guard_sql(TINY))
