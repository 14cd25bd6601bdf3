"""What every warehouse adapter shares: the result of a load, the errors, the adapter interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from orchestration.core.errors import UserError
from orchestration.core.manifest import check_batch_id

if TYPE_CHECKING:
    from orchestration.warehouse.tables import TableDef


class WarehouseError(UserError):
    """A load was refused or failed; nothing of it was applied to the warehouse."""


class InvalidNameError(WarehouseError, ValueError):
    """A dataset, table, column or batch id that is not a known, well-formed name."""


class WarehouseConfigError(WarehouseError):
    """The SFN_ETL_WAREHOUSE URL is malformed or names an unsupported warehouse."""


class CuratedDataError(WarehouseError):
    """Curated Parquet is missing, unreadable or does not have the table's schema."""


class LoadRejectedError(WarehouseError):
    """The warehouse refused a value of the batch (a NULL key, an overflow, a bad cast)."""


class DuplicateKeyError(WarehouseError):
    """A batch holds a business key twice: the transform de-duplicates, so this is a bug there."""

    def __init__(self, table: str, keys: tuple[str, ...], values: tuple[Any, ...] | None) -> None:
        self.table = table
        self.keys = keys
        self.values = values
        if values is None:
            key = ", ".join(keys)
            detail = f"a duplicate business key ({key})"
        else:
            detail = "duplicate business key " + ", ".join(
                f"{name}={value!r}" for name, value in zip(keys, values, strict=True)
            )
        super().__init__(f"{table}: {detail} in the batch; nothing was loaded")


def validate_batch_id(batch_id: object) -> str:
    """The batch id as the manifests check it (orchestration.core.manifest.check_batch_id), refused
    as an InvalidNameError. It is inlined as a SQL literal in the statements shared with
    Redshift's batch_execute_statement, so nothing else may pass."""
    try:
        return check_batch_id(batch_id, name="batch_id")
    except UserError as exc:
        raise InvalidNameError(str(exc)) from None


@dataclass(frozen=True)
class LoadResult:
    dataset: str
    table: str
    rows_staged: int
    inserted: int
    updated: int
    skipped: bool

    @classmethod
    def skipped_batch(cls, dataset: str, table: str) -> LoadResult:
        """A batch already in the audit table: this call changed nothing."""
        return cls(dataset, table, rows_staged=0, inserted=0, updated=0, skipped=True)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Warehouse(ABC):
    """One target warehouse. `load` is all-or-nothing and idempotent per (batch_id, dataset,
    table)."""

    dialect: str

    def load(self, batch_id: str, dataset: str, table: str, curated_uri: str) -> LoadResult:
        """Load `curated_uri` into a declared table (`load_table`); any other dataset or table
        name is refused before the warehouse is reached."""
        # Imported here: tables.py builds on this module's errors.
        from orchestration.warehouse.tables import get_table

        return self.load_table(batch_id, get_table(dataset, table), curated_uri)

    @abstractmethod
    def load_table(self, batch_id: str, table: TableDef, curated_uri: str) -> LoadResult:
        """Stage `curated_uri`, MERGE it into the table of the dataset's schema on its business
        keys and record the batch in that schema's audit table, in one transaction. A batch
        already recorded returns skipped."""

    def close(self) -> None:  # noqa: B027 - adapters without a connection have nothing to close
        pass

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
