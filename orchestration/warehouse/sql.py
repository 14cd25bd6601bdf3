"""The SQL of a load after staging, shared by every adapter.

It is written in the subset that DuckDB, PostgreSQL 15 and Redshift all accept (no IS DISTINCT
FROM, no conditional WHEN MATCHED, no RETURNING, no time functions) so the statements Redshift
runs are the ones the tests run on PostgreSQL. Names come from the table definitions, quoted; the
only literals are a validated batch id and table name (and, in a message, the schema).

A load, inside one transaction, after the batch is in the staging table:
  1. already_loaded_guard  empty the staging table if the audit table has the batch (a concurrent
                           load won the race), so the statements below change nothing;
  2. changes               the staged rows that are new or differ from their target row, each
                           flagged matched or not: the one join of staging with the target;
  3. audit_insert          record the batch with its counts, read off the two temporary tables;
  4. merge                 MERGE the changes: update the matched rows, insert the others.
Only changed rows are updated: re-sending identical rows rewrites nothing (no dead tuples in
PostgreSQL, no deleted blocks to vacuum in Redshift) and `updated` counts real changes.

The target and the audit table are referenced by their schema-qualified names in every clause
(`"<schema>"."<table>"`); temporary tables live in a schema of the session's, so their names
carry the schema instead: `sfn_etl_stage_<schema>_<table>`, `sfn_etl_changes_<schema>_<table>`.
"""

from __future__ import annotations

from orchestration.warehouse.base import validate_batch_id
from orchestration.warehouse.tables import INTERNAL_PREFIX, TableDef, quote

MATCHED = f"{INTERNAL_PREFIX}matched"


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def stage_name(table: TableDef) -> str:
    return f"{INTERNAL_PREFIX}stage_{table.schema}_{table.name}"


def changes_name(table: TableDef) -> str:
    return f"{INTERNAL_PREFIX}changes_{table.schema}_{table.name}"


def _keys_match(table: TableDef, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{quote(k)} = {right}.{quote(k)}" for k in table.business_keys)


def _unchanged(table: TableDef, left: str, right: str) -> str:
    """True when every value column is equal or both NULL; NULL or false otherwise, so use it only
    where NULL counts as false (WHERE, CASE WHEN)."""
    return " AND ".join(
        f"({left}.{c} = {right}.{c} OR ({left}.{c} IS NULL AND {right}.{c} IS NULL))"
        for c in map(quote, table.value_columns)
    )


def _audit_row(table: TableDef, batch_id: str) -> str:
    return (
        f"{quote('batch_id')} = {literal(validate_batch_id(batch_id))} "
        f"AND {quote('table_name')} = {literal(table.name)}"
    )


def audit_exists_sql(table: TableDef, batch_id: str) -> str:
    return f"SELECT 1 FROM {table.audit} WHERE {_audit_row(table, batch_id)}"


def audit_select_sql(table: TableDef, batch_id: str) -> str:
    return (
        'SELECT "rows_staged", "inserted", "updated" '
        f"FROM {table.audit} WHERE {_audit_row(table, batch_id)}"
    )


def audit_values_sql(table: TableDef, batch_id: str, rows: int) -> str:
    """The audit row of a batch bulk-loaded into an empty target: every row inserted."""
    return (
        f"INSERT INTO {table.audit} "
        '("batch_id", "table_name", "rows_staged", "inserted", "updated") '
        f"VALUES ({literal(validate_batch_id(batch_id))}, {literal(table.name)}, "
        f"{int(rows)}, {int(rows)}, 0)"
    )


def is_empty_sql(table: TableDef) -> str:
    return f"SELECT NOT EXISTS (SELECT 1 FROM {table.qualified})"


def duplicate_key_sql(table: TableDef) -> str:
    keys = ", ".join(map(quote, table.business_keys))
    return (
        f"SELECT {keys} FROM {quote(stage_name(table))} "
        f"GROUP BY {keys} HAVING COUNT(*) > 1 ORDER BY {keys} LIMIT 1"
    )


def duplicate_key_guard_sql(table: TableDef) -> str:
    """Fails the transaction when staging holds a business key twice. For Redshift, which has no
    RAISE outside procedures: the cast of a non-number fails only when a duplicate row exists."""
    keys = ", ".join(map(quote, table.business_keys))
    return (
        f"SELECT CAST('duplicate business key in {table.label}: ' || CAST(dup.n AS VARCHAR(20)) "
        f"|| ' rows' AS INTEGER) FROM (SELECT COUNT(*) AS n FROM {quote(stage_name(table))} "
        f"GROUP BY {keys} HAVING COUNT(*) > 1) AS dup"
    )


def already_loaded_guard_sql(table: TableDef, batch_id: str) -> str:
    return (
        f"DELETE FROM {quote(stage_name(table))} WHERE EXISTS ({audit_exists_sql(table, batch_id)})"
    )


def changes_sql(table: TableDef) -> str:
    stage, target = quote(stage_name(table)), table.qualified
    first_key = f"{target}.{quote(table.business_keys[0])}"
    columns = ", ".join(f"{stage}.{quote(c)}" for c in table.column_names)
    return (
        f"CREATE TEMP TABLE {quote(changes_name(table))} AS SELECT {columns}, "
        f"CASE WHEN {first_key} IS NULL THEN 0 ELSE 1 END AS {quote(MATCHED)} "
        f"FROM {stage} LEFT JOIN {target} ON {_keys_match(table, stage, target)} "
        f"WHERE {first_key} IS NULL "
        f"OR CASE WHEN {_unchanged(table, stage, target)} THEN FALSE ELSE TRUE END"
    )


def audit_insert_sql(table: TableDef, batch_id: str) -> str:
    return (
        f"INSERT INTO {table.audit} "
        '("batch_id", "table_name", "rows_staged", "inserted", "updated") '
        f"SELECT {literal(validate_batch_id(batch_id))}, {literal(table.name)}, "
        "s.n, c.n - c.matched, c.matched "
        f"FROM (SELECT COUNT(*) AS n FROM {quote(stage_name(table))}) AS s, "
        f"(SELECT COUNT(*) AS n, COALESCE(SUM({quote(MATCHED)}), 0) AS matched "
        f"FROM {quote(changes_name(table))}) AS c "
        f"WHERE NOT EXISTS ({audit_exists_sql(table, batch_id)})"
    )


def merge_sql(table: TableDef) -> str:
    source, target = quote(changes_name(table)), table.qualified
    updates = ", ".join(f"{quote(c)} = {source}.{quote(c)}" for c in table.value_columns)
    columns = ", ".join(map(quote, table.column_names))
    values = ", ".join(f"{source}.{quote(c)}" for c in table.column_names)
    return (
        f"MERGE INTO {target} USING {source} ON {_keys_match(table, target, source)} "
        f"WHEN MATCHED THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({columns}) VALUES ({values})"
    )


def merge_statements(table: TableDef, batch_id: str) -> list[str]:
    """Steps 1-4 of the module docstring, in order."""
    return [
        already_loaded_guard_sql(table, batch_id),
        changes_sql(table),
        audit_insert_sql(table, batch_id),
        merge_sql(table),
    ]
