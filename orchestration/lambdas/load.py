"""The Load Lambda: one curated table of one batch into the warehouse (a Map iteration).

Event `{batch_id, dataset, table, curated_uri}`; result
`{dataset, table, rows_staged, inserted, updated, skipped}`: the table is the one of that name in
the dataset's schema.
The warehouse comes from SFN_ETL_WAREHOUSE (orchestration.core.settings). Errors keep their
class name so the state machine's Retry and Catch can tell bad data from a transient failure.
"""

from __future__ import annotations

import logging
from typing import Any

from orchestration.core.errors import UserError
from orchestration.core.settings import Settings
from orchestration.warehouse import open_warehouse

FIELDS = ("batch_id", "dataset", "table", "curated_uri")

logger = logging.getLogger(__name__)


class LoadEventError(UserError):
    """The event lacks a field or has one of the wrong type; the message names it."""


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise LoadEventError(f"load event must be an object with {', '.join(FIELDS)}")
    for field in FIELDS:
        value = event.get(field)
        if not isinstance(value, str) or not value:
            raise LoadEventError(f"load event: {field!r} must be a non-empty string, got {value!r}")
    with open_warehouse(Settings.from_env().warehouse) as warehouse:
        result = warehouse.load(
            event["batch_id"], event["dataset"], event["table"], event["curated_uri"]
        )
    logger.info("load %s", result)
    return result.as_dict()
