"""The curated star schema as plain data: column names with their Spark SQL types, and the
business keys of every table.

No pyspark here: the load Lambda reads these definitions on a runtime that has only boto3.
transforms/schemas.py builds the Spark schemas from them.
"""

from __future__ import annotations

FACT_SALES = (
    ("order_key", "bigint"),
    ("line_number", "int"),
    ("customer_key", "bigint"),
    ("part_key", "bigint"),
    ("supplier_key", "bigint"),
    ("order_date_key", "int"),
    ("order_date", "date"),
    ("ship_date", "date"),
    ("commit_date", "date"),
    ("receipt_date", "date"),
    ("quantity", "decimal(15,2)"),
    ("extended_price", "decimal(15,2)"),
    ("discount", "decimal(15,2)"),
    ("tax", "decimal(15,2)"),
    ("revenue", "decimal(18,2)"),
    ("return_flag", "string"),
    ("line_status", "string"),
    ("ship_mode", "string"),
    ("ship_instruct", "string"),
    ("order_status", "string"),
    ("order_priority", "string"),
)

_GEOGRAPHY = (
    ("nation_key", "int"),
    ("nation_name", "string"),
    ("region_key", "int"),
    ("region_name", "string"),
)

DIM_CUSTOMER = (
    ("customer_key", "bigint"),
    ("name", "string"),
    ("address", "string"),
    ("phone", "string"),
    ("account_balance", "decimal(15,2)"),
    ("market_segment", "string"),
    *_GEOGRAPHY,
)

DIM_SUPPLIER = (
    ("supplier_key", "bigint"),
    ("name", "string"),
    ("address", "string"),
    ("phone", "string"),
    ("account_balance", "decimal(15,2)"),
    *_GEOGRAPHY,
)

DIM_PART = (
    ("part_key", "bigint"),
    ("name", "string"),
    ("manufacturer", "string"),
    ("brand", "string"),
    ("part_type", "string"),
    ("size", "int"),
    ("container", "string"),
    ("retail_price", "decimal(15,2)"),
)

DIM_DATE = (
    ("date_key", "int"),
    ("date", "date"),
    ("year", "int"),
    ("quarter", "int"),
    ("month", "int"),
    ("month_name", "string"),
    ("day_of_month", "int"),
    ("day_of_week", "int"),
    ("day_name", "string"),
    ("week_of_year", "int"),
    ("is_weekend", "boolean"),
)

CURATED_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "fact_sales": FACT_SALES,
    "dim_customer": DIM_CUSTOMER,
    "dim_supplier": DIM_SUPPLIER,
    "dim_part": DIM_PART,
    "dim_date": DIM_DATE,
}

CURATED_BUSINESS_KEYS: dict[str, tuple[str, ...]] = {
    "fact_sales": ("order_key", "line_number"),
    "dim_customer": ("customer_key",),
    "dim_supplier": ("supplier_key",),
    "dim_part": ("part_key",),
    "dim_date": ("date_key",),
}
