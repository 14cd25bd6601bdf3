"""AWS prices from a dated data file: one per region shipped in insight/prices/<region>.json, or
the user's own (`--prices FILE`, SFN_ETL_PRICES). Figures are decimal strings so that sums of
tiny per-request prices stay exact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from orchestration.core.errors import UserError
from orchestration.core.json_files import read_json_object

PRICES_ENV = "SFN_ETL_PRICES"


@dataclass(frozen=True)
class Prices:
    region: str
    date: str
    source: str
    """The file the prices were read from."""
    per_state_transition: Decimal
    glue_per_dpu_hour: Decimal
    glue_minimum_seconds: int
    glue_minimum_from_version: str
    glue_dpu_per_worker: dict[str, Decimal]
    lambda_per_request: Decimal
    lambda_per_gb_second: dict[str, Decimal]
    """Per architecture: arm64, x86_64."""
    redshift_per_rpu_hour: Decimal
    redshift_minimum_seconds: int
    sns_per_request: Decimal
    sns_request_bytes: int
    sns_per_email: Decimal
    sqs_per_request: Decimal
    sqs_request_bytes: int
    s3_per_get: Decimal
    s3_per_put: Decimal
    catalog_per_request: Decimal


def shipped_regions() -> list[str]:
    folder = resources.files("orchestration.insight") / "prices"
    return sorted(
        item.name.removesuffix(".json") for item in folder.iterdir() if item.name.endswith(".json")
    )


def load_prices(region: str, override: Path | None = None) -> Prices:
    """The prices of `region`: from `override` if given, else the shipped file of the region."""
    if override is not None:
        prices = _parse(read_json_object(override, "prices file"), str(override))
        if prices.region != region:
            raise UserError(
                f"{override} holds the prices of {prices.region!r}, not of region {region!r}: "
                f"pass --region {prices.region} or a file for {region}"
            )
        return prices
    if region not in shipped_regions():
        raise UserError(
            f"no prices shipped for region {region!r} (shipped: {', '.join(shipped_regions())}); "
            f"pass --region with one of those, or --prices FILE (or {PRICES_ENV}) with the "
            f"prices of {region} in the format of the shipped files"
        )
    path = resources.files("orchestration.insight") / "prices" / f"{region}.json"
    return _parse(json.loads(path.read_text(encoding="utf-8")), str(path))


def _parse(document: dict[str, Any], source: str) -> Prices:
    def field(*keys: str) -> Any:
        value: Any = document
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                raise UserError(f"prices file {source} lacks {'.'.join(keys)}")
            value = value[key]
        return value

    def money(*keys: str) -> Decimal:
        value = field(*keys)
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            amount = Decimal(-1)
        if isinstance(value, bool) or not amount.is_finite() or amount < 0:
            raise UserError(f"prices file {source}: {'.'.join(keys)} is {value!r}, not a price")
        return amount

    def count(*keys: str) -> int:
        value = field(*keys)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UserError(
                f"prices file {source}: {'.'.join(keys)} is {value!r}, not a whole number"
            )
        return value

    def table(*keys: str) -> dict[str, Decimal]:
        entries = field(*keys)
        if not isinstance(entries, dict) or not entries:
            raise UserError(f"prices file {source}: {'.'.join(keys)} must map names to prices")
        return {name: money(*keys, name) for name in entries}

    return Prices(
        region=str(field("region")),
        date=str(field("date")),
        source=source,
        per_state_transition=money("step_functions", "per_1000_state_transitions") / 1000,
        glue_per_dpu_hour=money("glue", "per_dpu_hour"),
        glue_minimum_seconds=count("glue", "minimum_billed_seconds"),
        glue_minimum_from_version=str(field("glue", "minimum_applies_from_glue_version")),
        glue_dpu_per_worker=table("glue", "dpu_per_worker"),
        lambda_per_request=money("lambda", "per_million_requests") / 1_000_000,
        lambda_per_gb_second=table("lambda", "per_gb_second"),
        redshift_per_rpu_hour=money("redshift_serverless", "per_rpu_hour"),
        redshift_minimum_seconds=count("redshift_serverless", "minimum_billed_seconds"),
        sns_per_request=money("sns", "per_million_requests") / 1_000_000,
        sns_request_bytes=count("sns", "request_bytes"),
        sns_per_email=money("sns", "per_100000_email_deliveries") / 100_000,
        sqs_per_request=money("sqs", "per_million_requests") / 1_000_000,
        sqs_request_bytes=count("sqs", "request_bytes"),
        s3_per_get=money("s3", "per_1000_get_requests") / 1000,
        s3_per_put=money("s3", "per_1000_put_requests") / 1000,
        catalog_per_request=money("glue_data_catalog", "per_million_requests") / 1_000_000,
    )
