"""Loading curated batches into the warehouse: DuckDB (embedded default), PostgreSQL, Redshift."""

from orchestration.warehouse.base import (
    CuratedDataError,
    DuplicateKeyError,
    InvalidNameError,
    LoadRejectedError,
    LoadResult,
    Warehouse,
    WarehouseConfigError,
    WarehouseError,
)
from orchestration.warehouse.factory import open_warehouse

__all__ = [
    "CuratedDataError",
    "DuplicateKeyError",
    "InvalidNameError",
    "LoadRejectedError",
    "LoadResult",
    "Warehouse",
    "WarehouseConfigError",
    "WarehouseError",
    "open_warehouse",
]
