"""Redshift (Serverless or provisioned) through the Redshift Data API.

One load is one `batch_execute_statement`, which Redshift runs as one transaction: lock, stage
with `COPY ... FORMAT AS PARQUET` straight from S3, then the shared MERGE statements (sql.py).
The Data API is asynchronous: `describe_statement` is polled with exponential backoff.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestration.core.lake import normalize_uri
from orchestration.warehouse.base import (
    DuplicateKeyError,
    LoadResult,
    Warehouse,
    WarehouseConfigError,
    WarehouseError,
    validate_batch_id,
)
from orchestration.warehouse.sql import (
    audit_exists_sql,
    audit_select_sql,
    duplicate_key_guard_sql,
    literal,
    merge_statements,
    stage_name,
)
from orchestration.warehouse.tables import TableDef, ddl_statements, quote

IAM_ROLE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
S3_URI = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[\w!\-.*()/=+:@,]*$")
LOAD_ERRORS_SQL = (
    "SELECT TRIM(file_name) AS file_name, line_number, TRIM(column_name) AS column_name, "
    "TRIM(column_type) AS column_type, error_code, TRIM(error_message) AS error_message "
    "FROM sys_load_error_detail WHERE query_id = :query_id ORDER BY start_time LIMIT 20"
)
_DONE = {"FINISHED", "FAILED", "ABORTED"}


class RedshiftStatementError(WarehouseError):
    """A Data API statement failed; the transaction was rolled back."""

    def __init__(self, message: str, step: str | None = None) -> None:
        super().__init__(message)
        self.step = step


class RedshiftLoadError(RedshiftStatementError):
    """COPY failed; `load_errors` holds the rows of sys_load_error_detail for it."""

    def __init__(self, message: str, load_errors: list[dict[str, Any]]) -> None:
        lines = [message] + [
            f"  {e.get('file_name')} line {e.get('line_number')} column {e.get('column_name')}: "
            f"{e.get('error_message')} (code {e.get('error_code')})"
            for e in load_errors
        ]
        super().__init__("\n".join(lines), step="copy")
        self.load_errors = load_errors


class RedshiftTimeoutError(RedshiftStatementError):
    """A statement ran longer than allowed; it was cancelled, so its transaction rolled back."""


@dataclass(frozen=True)
class RedshiftTarget:
    """Where and as whom to connect: a Serverless workgroup or a provisioned cluster."""

    database: str
    iam_role: str
    workgroup: str | None = None
    cluster_identifier: str | None = None
    secret_arn: str | None = None
    db_user: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if (self.workgroup is None) == (self.cluster_identifier is None):
            raise WarehouseConfigError("Redshift: give exactly one of a workgroup or a cluster")
        if self.workgroup is not None and self.db_user is not None:
            raise WarehouseConfigError("Redshift Serverless takes secret_arn, not db_user")
        if not self.database:
            raise WarehouseConfigError("Redshift: the database name is missing")
        if not IAM_ROLE.match(self.iam_role or ""):
            raise WarehouseConfigError(
                f"Redshift: iam_role {self.iam_role!r} is not an IAM role ARN (COPY needs one)"
            )

    def connection(self) -> dict[str, str]:
        """The parameters every Data API call takes to reach the database."""
        params = {"Database": self.database}
        if self.workgroup is not None:
            params["WorkgroupName"] = self.workgroup
        else:
            params["ClusterIdentifier"] = self.cluster_identifier  # type: ignore[assignment]
        if self.secret_arn is not None:
            params["SecretArn"] = self.secret_arn
        if self.db_user is not None:
            params["DbUser"] = self.db_user
        return params


@dataclass(frozen=True)
class Backoff:
    first: float = 0.25
    factor: float = 2.0
    cap: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.cap, self.first * self.factor**attempt)


def copy_prefix(curated_uri: str) -> str:
    """The S3 key prefix COPY reads: only the part files, never _SUCCESS or other markers."""
    uri = normalize_uri(curated_uri).rstrip("/")
    if not S3_URI.match(uri):
        raise WarehouseError(f"Redshift loads from S3 only: {curated_uri!r} is not an s3:// URI")
    return f"{uri}/part-"


def load_steps(
    table: TableDef, batch_id: str, curated_uri: str, iam_role: str
) -> list[tuple[str, str]]:
    """The (step, SQL) pairs of one load transaction, in order."""
    if not IAM_ROLE.match(iam_role):
        raise WarehouseConfigError(f"not an IAM role ARN: {iam_role!r}")
    stage = quote(stage_name(table))
    guard, changes, audit_insert, merge = merge_statements(table, batch_id)
    return [
        # First, so the transaction's snapshot is taken after any concurrent load committed.
        ("lock", f"LOCK {table.audit}, {table.qualified}"),
        ("stage", f"CREATE TEMP TABLE {stage} (LIKE {table.qualified})"),
        (
            "copy",
            f"COPY {stage} FROM {literal(copy_prefix(curated_uri))} "
            f"IAM_ROLE {literal(iam_role)} FORMAT AS PARQUET",
        ),
        ("already_loaded_guard", guard),
        ("duplicate_check", duplicate_key_guard_sql(table)),
        ("changes", changes),
        ("audit_insert", audit_insert),
        ("merge", merge),
        ("audit_select", audit_select_sql(table, batch_id)),
    ]


class RedshiftDataWarehouse(Warehouse):
    dialect = "redshift"

    def __init__(
        self,
        target: RedshiftTarget,
        client: Any = None,
        *,
        backoff: Backoff = Backoff(),
        timeout_seconds: float = 840.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self._client = client
        self.backoff = backoff
        self.timeout_seconds = timeout_seconds
        self._sleep = sleep
        self._clock = clock

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("redshift-data", region_name=self.target.region)
        return self._client

    def load_table(self, batch_id: str, table: TableDef, curated_uri: str) -> LoadResult:
        validate_batch_id(batch_id)
        steps = load_steps(table, batch_id, curated_uri, self.target.iam_role)
        self._batch([("ddl", sql) for sql in ddl_statements(self.dialect, table)], table.label)
        if self._query(audit_exists_sql(table, batch_id)):
            return LoadResult.skipped_batch(table.schema, table.name)
        try:
            statement_id, description = self._batch(steps, table.label)
        except RedshiftStatementError as exc:
            if exc.step == "duplicate_check":
                # Imported here: it needs pyarrow, which only this diagnosis of a bad batch uses.
                from orchestration.warehouse import curated

                key = curated.find_duplicate_key(curated_uri, table)
                raise DuplicateKeyError(table.label, table.business_keys, key) from exc
            raise
        names = [name for name, _ in steps]
        audit = description["SubStatements"][names.index("audit_insert")]
        if audit.get("ResultRows") == 0:
            # A concurrent load of the same batch committed first: the guard emptied staging.
            return LoadResult.skipped_batch(table.schema, table.name)
        (row,) = self._records(f"{statement_id}:{names.index('audit_select') + 1}")
        return LoadResult(
            table.schema, table.name, row["rows_staged"], row["inserted"], row["updated"], False
        )

    # -- Data API -------------------------------------------------------------------------

    def _batch(self, steps: list[tuple[str, str]], table: str) -> tuple[str, dict[str, Any]]:
        response = self.client.batch_execute_statement(
            Sqls=[sql for _, sql in steps], **self.target.connection()
        )
        statement_id = response["Id"]
        description = self._wait(statement_id)
        if description["Status"] != "FINISHED":
            self._raise_failure(description, [name for name, _ in steps], table)
        return statement_id, description

    def _query(self, sql: str, parameters: dict[str, str] | None = None) -> list[dict[str, Any]]:
        extra = {}
        if parameters:
            extra["Parameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
        response = self.client.execute_statement(Sql=sql, **self.target.connection(), **extra)
        description = self._wait(response["Id"])
        if description["Status"] != "FINISHED":
            raise RedshiftStatementError(f"query failed: {description.get('Error')}: {sql}")
        if not description.get("HasResultSet"):
            return []
        return self._records(response["Id"])

    def _wait(self, statement_id: str) -> dict[str, Any]:
        deadline = self._clock() + self.timeout_seconds
        attempt = 0
        while True:
            description = self.client.describe_statement(Id=statement_id)
            if description["Status"] in _DONE:
                return description
            if self._clock() >= deadline:
                self.client.cancel_statement(Id=statement_id)
                raise RedshiftTimeoutError(
                    f"statement {statement_id} still {description['Status']} after "
                    f"{self.timeout_seconds:.0f} s; cancelled, so nothing was applied"
                )
            self._sleep(self.backoff.delay(attempt))
            attempt += 1

    def _records(self, statement_id: str) -> list[dict[str, Any]]:
        rows, token = [], None
        while True:
            page = self.client.get_statement_result(
                Id=statement_id, **({"NextToken": token} if token else {})
            )
            names = [column["name"] for column in page["ColumnMetadata"]]
            rows += [dict(zip(names, map(_value, row), strict=True)) for row in page["Records"]]
            token = page.get("NextToken")
            if not token:
                return rows

    def _raise_failure(self, description: dict[str, Any], names: list[str], table: str) -> None:
        failed = next(
            (s for s in description.get("SubStatements", []) if s.get("Status") == "FAILED"), None
        )
        error = (failed or {}).get("Error") or description.get("Error") or "no detail"
        step = names[int(failed["Id"].rsplit(":", 1)[1]) - 1] if failed else None
        message = (
            f"{table}: Redshift {description['Status'].lower()} at step {step or 'unknown'}: "
            f"{error}; the transaction was rolled back"
        )
        if step == "copy":
            raise RedshiftLoadError(message, self._load_errors(failed.get("RedshiftQueryId")))
        raise RedshiftStatementError(message, step)

    def _load_errors(self, query_id: int | None) -> list[dict[str, Any]]:
        if not query_id or query_id < 0:
            return []
        try:
            return self._query(LOAD_ERRORS_SQL, {"query_id": str(query_id)})
        except Exception as exc:  # noqa: BLE001 - the COPY failure is the error to report
            return [{"error_message": f"sys_load_error_detail unavailable: {exc}"}]


def _value(field: dict[str, Any]) -> Any:
    if field.get("isNull"):
        return None
    ((_, value),) = field.items()
    return value
