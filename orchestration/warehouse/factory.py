"""The warehouse adapter for a SFN_ETL_WAREHOUSE URL.

duckdb:///abs/path/warehouse.duckdb       (duckdb:///./rel/path for a relative path)
postgresql://user[:password]@host:port/db  (or postgres://; any libpq URL)
redshift-data://WORKGROUP/DATABASE?iam_role=ARN[&secret_arn=ARN][&region=R]
redshift-data:///DATABASE?cluster_identifier=ID&iam_role=ARN[&secret_arn=ARN|&db_user=U]
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from orchestration.warehouse.base import Warehouse, WarehouseConfigError

if TYPE_CHECKING:
    from orchestration.warehouse.redshift_adapter import RedshiftTarget

_REDSHIFT_PARAMS = {"iam_role", "secret_arn", "db_user", "region", "cluster_identifier"}


def open_warehouse(url: str) -> Warehouse:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "duckdb":
        from orchestration.warehouse.duckdb_adapter import DuckDBWarehouse

        return DuckDBWarehouse(duckdb_path(url))
    if scheme in ("postgresql", "postgres"):
        from orchestration.warehouse.postgres_adapter import PostgresWarehouse

        return PostgresWarehouse(url)
    if scheme == "redshift-data":
        from orchestration.warehouse.redshift_adapter import RedshiftDataWarehouse

        return RedshiftDataWarehouse(redshift_target(url))
    raise WarehouseConfigError(
        f"unsupported warehouse URL {_redact(url)!r}: expected duckdb:///path, "
        "postgresql://... or redshift-data://workgroup/database?iam_role=..."
    )


def duckdb_path(url: str) -> str:
    rest = url.split("://", 1)[1]
    if rest.startswith(("/./", "/../")):
        return rest[1:]
    path = "/" + rest.lstrip("/") if rest.startswith("/") else rest
    if path in ("", "/") or "?" in path:
        raise WarehouseConfigError(f"{url!r}: expected duckdb:///path/to/file.duckdb")
    return path


def redshift_target(url: str) -> RedshiftTarget:
    from orchestration.warehouse.redshift_adapter import RedshiftTarget

    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - _REDSHIFT_PARAMS
    if unknown:
        raise WarehouseConfigError(
            f"redshift-data URL: unknown parameter(s) {', '.join(sorted(unknown))}; "
            f"expected {', '.join(sorted(_REDSHIFT_PARAMS))}"
        )
    params = {key: values[-1] for key, values in query.items()}
    return RedshiftTarget(
        database=parts.path.strip("/"),
        iam_role=params.get("iam_role", ""),
        workgroup=parts.hostname or None,
        cluster_identifier=params.get("cluster_identifier"),
        secret_arn=params.get("secret_arn"),
        db_user=params.get("db_user"),
        region=params.get("region"),
    )


def _redact(url: str) -> str:
    """The URL without a password, for error messages."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url
