"""`sfn-etl new-dataset NAME`: a minimal dataset that works end to end, to edit into your own.

It writes the dataset's two folders (transforms/<name>/ and expectations/<name>/) and a test,
and refuses to overwrite anything. The sample is one raw table of items (CSV with a header)
and one curated dimension; `sfn-etl seed <name>` lands three sample rows, `sfn-etl run
--dataset <name>` takes them to the warehouse, and the test runs the transform job on them.
"""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.core.errors import UserError
from transforms.declaration import NAME

_DATASET = '''"""The dataset {name}.

Describe where the data comes from and what the curated tables are for.

Declared here and in its expectations folder, nowhere else. The registry checks this file
when anything starts: `sfn-etl datasets --check` lists what it found.
"""

from __future__ import annotations

from transforms.declaration import CuratedTable, Dataset, Field, FileFormat, RawTable, Rule

CSV = FileFormat(delimiter=",", header=True, quote='"', null_tokens=("NA",))

DATASET = Dataset(
    name="{name}",
    description="{name}: a sample of items (edit me)",
    raw_tables=(
        RawTable(
            name="items",
            fields=(
                Field("item_id", "bigint", key=True),
                Field("item_name", "string(100)"),
                Field("price", "decimal(12,2)"),
            ),
            format=CSV,
            # A row rule quarantines the rows that break it; gate=True would judge the batch.
            rules=(Rule("price_not_negative", "price >= 0", "a price cannot be negative"),),
        ),
    ),
    curated_tables=(
        CuratedTable(
            name="dim_item",
            columns=(
                Field("item_key", "bigint", key=True),
                Field("name", "string(100)"),
                Field("price", "decimal(12,2)"),
            ),
            build="dim_item:build_dim_item",
            inputs=("items",),
            source="items",
            sortkey=("item_key",),
        ),
    ),
    destinations=("warehouse", "catalog"),
    seed="seed:seed",
)
'''

_BUILDER = '''"""dim_item: the items, renamed to the star schema."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F


def build_dim_item(items: DataFrame) -> DataFrame:
    return items.select(
        F.col("item_id").alias("item_key"),
        F.col("item_name").alias("name"),
        F.col("price"),
    )
'''

_SEED = '''"""Land a sample extract of {name}.

Replace the sample with a copy of your source's files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from orchestration.core.lake import RAW, Lake
from orchestration.core.seeding import SeedResult, land

SAMPLE = "item_id,item_name,price\\n1,kettle,24.90\\n2,teapot,18.00\\n3,mug,NA\\n"


def seed(lake: Lake) -> SeedResult:
    result = SeedResult(rows={{"items": 3}})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.csv"
        path.write_text(SAMPLE, encoding="utf-8")
        folder = (RAW, "{name}", "items", "ingest_date=2025-01-01")
        land(lake, path, (*folder, "items.csv"), result)
    return result
'''

_TEST = '''"""The dataset {name} on its sample.

The transform job turns the seeded items into dim_item.
"""

from __future__ import annotations

from decimal import Decimal

from jobs.transform import main
from orchestration.core.lake import Lake
from transforms.registry import get_dataset, resolve

DATASET = "{name}"


def test_the_sample_items_become_dim_item(spark, tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    dataset = get_dataset(DATASET)
    resolve(dataset, dataset.seed)(lake)

    assert main(["--dataset", DATASET, "--lake", lake.root, "--batch_id", "b1"]) == 0

    rows = spark.read.parquet(f"{{lake.root}}/curated/{{DATASET}}/dim_item/batch_id=b1")
    assert sorted(map(tuple, rows.collect())) == [
        (1, "kettle", Decimal("24.90")),
        (2, "teapot", Decimal("18.00")),
        (3, "mug", None),
    ]
'''

_SUITE = {
    "name": "dim_item",
    "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "item_key"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "item_key"}},
    ],
    "meta": {},
}


def scaffold(root: Path, name: str) -> list[Path]:
    """Write the new dataset under the project `root`; the paths written, in order."""
    if not NAME.match(name):
        raise UserError(f"dataset name {name!r} must match {NAME.pattern}")
    package = root / "transforms" / name
    files = {
        package / "__init__.py": "",
        package / "dataset.py": _DATASET.format(name=name),
        package / "dim_item.py": _BUILDER,
        package / "seed.py": _SEED.format(name=name),
        root / "expectations" / name / "dim_item.json": json.dumps(_SUITE, indent=2) + "\n",
        root / "tests" / "transforms" / name / "__init__.py": "",
        root / "tests" / "transforms" / name / f"test_{name}.py": _TEST.format(name=name),
    }
    existing = [str(path) for path in files if path.exists()]
    module = root / "transforms" / f"{name}.py"
    if module.exists():
        raise UserError(f"{module} exists: a dataset named {name} would hide that module")
    if existing or package.exists():
        raise UserError(f"dataset {name} exists already: {', '.join(existing) or package}")
    if not (root / "transforms").is_dir():
        raise UserError(f"{root} is not the project root: it has no transforms/ folder")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
