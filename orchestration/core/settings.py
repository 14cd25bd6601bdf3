"""One settings object, read from the environment, with defaults that need no configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.core.lake import ZONES, Lake

DEFAULT_LAKE = "./lake"
DEFAULT_HOME = "./.sfn-etl"


@dataclass(frozen=True)
class Settings:
    lake: str
    warehouse: str
    home: Path
    catalog: Path
    """The local Glue Data Catalog's DuckDB file (orchestration/engine/catalog.py)."""
    zone_roots: dict[str, str] = field(default_factory=dict)

    def open_lake(self) -> Lake:
        return Lake(self.lake, dict(self.zone_roots))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("SFN_ETL_HOME", DEFAULT_HOME)).resolve()
        lake = env.get("SFN_ETL_LAKE", DEFAULT_LAKE)
        if "://" not in lake:
            lake = str(Path(lake).resolve())
        warehouse = env.get("SFN_ETL_WAREHOUSE", f"duckdb:///{home / 'warehouse.duckdb'}")
        catalog = Path(env.get("SFN_ETL_CATALOG", home / "catalog.duckdb")).resolve()
        zone_roots = {
            zone: env[f"SFN_ETL_LAKE_{zone.upper()}"]
            for zone in ZONES
            if env.get(f"SFN_ETL_LAKE_{zone.upper()}")
        }
        return cls(
            lake=lake, warehouse=warehouse, home=home, catalog=catalog, zone_roots=zone_roots
        )
