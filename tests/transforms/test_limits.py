from decimal import Decimal

from transforms.declaration import Field
from transforms.limits import limit_violation

COLUMNS = (
    Field("code", "string(3)", key=True),
    Field("label", "string(5)"),
    Field("amount", "decimal(4,2)"),
    Field("count", "int"),
)
SCHEMA = "code string, label string, amount decimal(4,2), count int"


def _violations(spark, *rows) -> list:
    frame = spark.createDataFrame(list(rows), SCHEMA)
    return [r.reason for r in frame.select(limit_violation(COLUMNS).alias("reason")).collect()]


def test_a_row_within_every_declared_length_has_no_violation(spark):
    assert _violations(spark, ("abc", "abcde", Decimal("99.99"), 2**31 - 1)) == [None]


def test_a_string_over_its_declared_bytes_is_named_with_its_length_and_limit(spark):
    assert _violations(spark, ("abc", "abcdef", None, None)) == [
        "column label: 6 bytes, longer than string(5)"
    ]


def test_lengths_are_utf8_bytes_not_characters(spark):
    # "éé" is 2 characters but 4 bytes: Redshift's VARCHAR(3) refuses it.
    assert _violations(spark, ("éé", "ab", None, None), ("é", "ab", None, None)) == [
        "column code: 4 bytes, longer than string(3)",
        None,
    ]


def test_the_first_column_over_its_limit_is_the_reason(spark):
    assert _violations(spark, ("abcd", "abcdef", None, None)) == [
        "column code: 4 bytes, longer than string(3)"
    ]


def test_null_values_fit(spark):
    assert _violations(spark, (None, None, None, None)) == [None]


def test_columns_without_a_string_limit_need_no_check(spark):
    assert limit_violation(COLUMNS[2:]) is not None
    frame = spark.createDataFrame([(Decimal("-99.99"), -1)], "amount decimal(4,2), count int")
    assert [r[0] for r in frame.select(limit_violation(COLUMNS[2:])).collect()] == [None]


def test_every_calendar_name_fits_its_declared_length(spark):
    from datetime import date

    from transforms.calendar import build_calendar
    from transforms.declaration import CALENDAR_COLUMNS

    # A leap year, every month and weekday name: "September" and "Wednesday" are 9 bytes.
    facts = spark.createDataFrame([(date(2024, 1, 1),), (date(2024, 12, 31),)], "day date")
    calendar = build_calendar(facts, ["day"])
    checked = calendar.select(limit_violation(CALENDAR_COLUMNS).alias("reason"))
    assert calendar.count() == 366
    assert checked.where("reason IS NOT NULL").count() == 0


def test_every_declared_unknown_member_fits_its_tables_limits(spark):
    from transforms.registry import datasets
    from transforms.schemas import spark_schema

    for dataset in datasets().values():
        for table in dataset.curated_tables:
            if table.unknown_member is None:
                continue
            schema = spark_schema(table.columns)
            row = tuple(table.unknown_member.get(name) for name in schema.fieldNames())
            frame = spark.createDataFrame([row], schema)
            reasons = [r[0] for r in frame.select(limit_violation(table.columns)).collect()]
            assert reasons == [None], f"{dataset.name}.{table.name}"
