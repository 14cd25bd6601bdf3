"""The result of a step that keeps some rows and rejects others with a reason."""

from __future__ import annotations

from typing import NamedTuple

from pyspark.sql import DataFrame


class Split(NamedTuple):
    """`good` rows go on; `rejected` rows keep source_file, raw_line and a reason."""

    good: DataFrame
    rejected: DataFrame
